import type { Kysely, Migration } from 'kysely';
import type { DialectCapabilities } from './dialect.js';

/**
 * 0015_webhooks: signed webhooks (docs/notifications.md). Only new tables: nothing that exists
 * changes, so a process of the previous version keeps working beside it (its outbox relay
 * takes `queue.dispatch` rows only, and webhook rows carry no job_id for its per-job send).
 *
 * - `webhook_endpoints`: an account's receivers; the secret (and the one before a rotation)
 *   sealed with a key derived from the signing secret; `paused_until` from a Retry-After.
 * - `webhook_events`: what happened (one per outbox row fanned out, or test event), kept for
 *   the delivery log and replay.
 * - `webhook_deliveries`: one event to one endpoint, leased by a sender per attempt.
 * - `webhook_attempts`: each attempt's status, latency, start of the answer, error.
 */
export function webhooksMigration(caps: DialectCapabilities): Migration {
  const epoch = caps.epochType;
  return {
    async up(outer: Kysely<any>) {
      const steps = async (db: Kysely<any>) => {
        await db.schema
          .createTable('webhook_endpoints')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('events', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('previous_secret', 'text')
          .addColumn('previous_secret_until', epoch)
          .addColumn('paused_until', epoch)
          .addColumn('created_at', epoch, (c) => c.notNull())
          .addColumn('updated_at', epoch, (c) => c.notNull())
          .addColumn('disabled_at', epoch)
          .addColumn('disabled_reason', 'text')
          .execute();
        await db.schema.createIndex('webhook_endpoints_account').on('webhook_endpoints').columns(['account_id', 'id']).execute();

        await db.schema
          .createTable('webhook_events')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('subject_id', 'text', (c) => c.notNull())
          .addColumn('output', 'integer')
          .addColumn('at', epoch, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('webhook_events_account_at').on('webhook_events').columns(['account_id', 'at']).execute();

        await db.schema
          .createTable('webhook_deliveries')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('endpoint_id', 'text', (c) => c.notNull())
          .addColumn('event_id', 'text', (c) => c.notNull())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', epoch)
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', epoch)
          .addColumn('created_at', epoch, (c) => c.notNull())
          .addColumn('updated_at', epoch, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
        await db.schema.createIndex('webhook_deliveries_endpoint').on('webhook_deliveries').columns(['endpoint_id', 'id']).execute();
        await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').columns(['event_id']).execute();
        await db.schema.createIndex('webhook_deliveries_created').on('webhook_deliveries').columns(['created_at']).execute();

        await db.schema
          .createTable('webhook_attempts')
          .addColumn('id', caps.serialType, (c) => (caps.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('delivery_id', 'text', (c) => c.notNull())
          .addColumn('at', epoch, (c) => c.notNull())
          .addColumn('status_code', 'integer')
          .addColumn('latency_ms', 'integer', (c) => c.notNull())
          .addColumn('response_body', 'text')
          .addColumn('error', 'text')
          .execute();
        await db.schema.createIndex('webhook_attempts_delivery').on('webhook_attempts').columns(['delivery_id', 'id']).execute();
      };
      // All tables or none: a failed start leaves nothing half made.
      if (caps.migratesInTransaction) await steps(outer);
      else await outer.transaction().execute(steps);
    },
  };
}
