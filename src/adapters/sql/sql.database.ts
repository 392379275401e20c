import type { Kysely } from 'kysely';
import type { Database, UnitOfWork } from '../../ports/db.port.js';
import type { DialectCapabilities } from './dialect.js';
import { SqlJobRepository } from './job.repository.js';
import { SqlOutboxRepository, type OutboxWriteOptions } from './outbox.repository.js';
import type { Tables } from './schema.js';
import { SqlUploadRepository } from './upload.repository.js';
import { SqlWebhookDeliveryStore } from './webhook-delivery.store.js';
import { SqlWebhookRepository } from './webhook.repository.js';
import { SqlAccountRepository, SqlApiKeyRepository } from './account.repository.js';
import { SqlPresetRepository } from './preset.repository.js';
import { SqlRetentionRepository } from './retention.repository.js';
import { SqlIngestObjectRepository } from './ingest-object.repository.js';
import { SqlInviteRepository, SqlSessionRepository, SqlUserRepository } from './user.repository.js';
import { SqlLoginFailureRepository } from './login-failure.repository.js';

export interface SqlDatabaseOptions {
  /**
   * Every event also gets a `broker.event` outbox row, for every account (the deployment
   * publishes events on its broker: docs/notifications.md#events-on-the-broker). Off: events
   * are written only for accounts with a subscribed webhook endpoint. Every process of a
   * deployment must be opened with the same value.
   */
  brokerEvents?: boolean;
  /**
   * The deployment sends e-mail (MEDIAFORGE_SMTP_URL): a job's end writes an `email.notify`
   * row when the job or its account has a notify address, and so does a webhook delivery that
   * runs out of attempts or an endpoint disabled for failing (docs/notifications.md#e-mail).
   */
  emails?: boolean;
}

/**
 * The repositories over one Kysely instance, and the unit of work: the same repositories
 * bound to one transaction (Kysely's `transaction().execute`, on both engines; on SQLite's
 * single connection Kysely holds the connection for the transaction, so other queries of
 * the process wait for it instead of interleaving).
 */
export function sqlDatabase(kysely: Kysely<Tables>, caps: DialectCapabilities, opts: SqlDatabaseOptions = {}): Omit<Database, 'close'> {
  const writes: OutboxWriteOptions = { brokerEvents: opts.brokerEvents ?? false, emails: opts.emails ?? false, written: new Set(), oneStatement: caps.name === 'postgres' };
  return {
    jobs: new SqlJobRepository(kysely, writes),
    uploads: new SqlUploadRepository(kysely, writes),
    apiKeys: new SqlApiKeyRepository(kysely),
    accounts: new SqlAccountRepository(kysely),
    users: new SqlUserRepository(kysely),
    sessions: new SqlSessionRepository(kysely),
    invites: new SqlInviteRepository(kysely),
    loginFailures: new SqlLoginFailureRepository(kysely),
    outbox: new SqlOutboxRepository(kysely, caps, writes),
    webhooks: new SqlWebhookRepository(kysely),
    webhookDeliveries: new SqlWebhookDeliveryStore(kysely, caps, writes),
    presets: new SqlPresetRepository(kysely),
    retention: new SqlRetentionRepository(kysely),
    ingest: new SqlIngestObjectRepository(kysely),
    transaction: <T>(work: (tx: UnitOfWork) => Promise<T>) =>
      kysely.transaction().execute((trx) =>
        work({ jobs: new SqlJobRepository(trx, writes), uploads: new SqlUploadRepository(trx, writes), outbox: new SqlOutboxRepository(trx, caps, writes), ingest: new SqlIngestObjectRepository(trx) }),
      ),
  };
}
