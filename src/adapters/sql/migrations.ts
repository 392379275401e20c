import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { withSchemaIntrospection } from './schema-introspection.js';
import type { DialectCapabilities } from './dialect.js';
import type { OutputType } from '../../domain/job-spec.js';
import { jobRoute, LIGHTEST_ROUTE, type Route } from '../../domain/routes.js';
import { accountsMigration } from './accounts.migration.js';
import { principalOwnerMigration } from './principal-owner.migration.js';
import { usersMigration } from './users.migration.js';
import { webhooksMigration } from './webhooks.migration.js';
import { lifecycleMigration } from './lifecycle.migration.js';
import { notifyMigration } from './notify.migration.js';
import { ingestMigration } from './ingest.migration.js';

/**
 * Numbered migrations (graphile-worker style), applied in order, each once. They are
 * written against Kysely's schema builder so one list serves both dialects.
 */
function migrations(caps: DialectCapabilities): Record<string, Migration> {
  const epoch = caps.epochType;
  return {
    '0001_initial': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('uploads')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('filename', 'text', (c) => c.notNull())
          .addColumn('size', epoch, (c) => c.notNull())
          .addColumn('content_type', 'text', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('storage_key', 'text', (c) => c.notNull())
          .addColumn('created_at', epoch, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('jobs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('progress', 'real', (c) => c.notNull().defaultTo(0))
          .addColumn('stage', 'text')
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('max_attempts', 'integer', (c) => c.notNull())
          .addColumn('upload_id', 'text', (c) => c.notNull())
          .addColumn('probe', 'text')
          .addColumn('outputs', 'text', (c) => c.notNull())
          .addColumn('user_metadata', 'text')
          .addColumn('error', 'text')
          .addColumn('idempotency_key', 'text', (c) => c.unique())
          .addColumn('request_hash', 'text')
          .addColumn('created_at', epoch, (c) => c.notNull())
          .addColumn('started_at', epoch)
          .addColumn('finished_at', epoch)
          .addColumn('run_after', epoch, (c) => c.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_expires_at', epoch)
          .addColumn('updated_at', epoch, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('jobs_status_lease').on('jobs').columns(['status', 'lease_expires_at']).execute();
        await db.schema.createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', epoch, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('queue_messages')
          .addColumn('id', caps.serialType, (c) =>
            caps.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
          )
          .addColumn('queue', 'text', (c) => c.notNull())
          .addColumn('job_id', 'text', (c) => c.notNull())
          .addColumn('available_at', epoch, (c) => c.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', epoch)
          .addColumn('deliveries', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', epoch, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('queue_messages_due')
          .on('queue_messages')
          .columns(['queue', 'available_at'])
          .execute();
      },
    },
    '0002_direct_uploads': {
      // Presigned direct uploads exist as `pending` rows until POST /v1/uploads/:id/complete
      // has checked the stored object; jobs refuse them until then.
      async up(db: Kysely<any>) {
        await db.schema.alterTable('uploads').addColumn('status', 'text', (c) => c.notNull().defaultTo('ready')).execute();
        await db.schema.alterTable('uploads').addColumn('multipart_id', 'text').execute();
        await db.schema.alterTable('uploads').addColumn('expires_at', epoch).execute();
      },
    },
    '0003_url_inputs': {
      // A job's input may be a URL the worker downloads; such jobs keep upload_id = ''
      // (SQLite cannot drop the NOT NULL of 0001).
      async up(db: Kysely<any>) {
        await db.schema.alterTable('jobs').addColumn('input_url', 'text').execute();
      },
    },
    '0004_queue_routes': {
      // Each message carries its job's route (src/domain/routes.ts) so a worker can claim only
      // some output types. Rows already waiting get their job's route, computed here from the
      // job's outputs; a row whose job is gone gets the lightest route (any worker taking
      // every route takes it, and it finds nothing to do).
      async up(db: Kysely<any>) {
        await db.schema.alterTable('queue_messages').addColumn('route', 'text', (c) => c.notNull().defaultTo(LIGHTEST_ROUTE)).execute();
        const waiting = await db
          .selectFrom('queue_messages')
          .innerJoin('jobs', 'jobs.id', 'queue_messages.job_id')
          .select(['queue_messages.id as id', 'jobs.outputs as outputs'])
          .execute();
        for (const row of waiting) {
          let route: Route = LIGHTEST_ROUTE;
          try {
            route = jobRoute(JSON.parse(String(row.outputs)) as Array<{ spec: { type: OutputType } }>);
          } catch {
            // Unreadable outputs: the lightest route; the worker reports the job's real problem.
          }
          if (route !== LIGHTEST_ROUTE) await db.updateTable('queue_messages').set({ route }).where('id', '=', row.id).execute();
        }
        await db.schema.dropIndex('queue_messages_due').execute();
        await db.schema.createIndex('queue_messages_due').on('queue_messages').columns(['queue', 'route', 'available_at']).execute();
      },
    },
    '0005_dispatch_due': {
      // Set whenever a job needs a queue message (created, requeued, recovered, retried) and
      // cleared once the queue has taken it. A queued job still marked after a grace period
      // lost its message (the queue refused it, or the process died in between); the worker
      // sweeper sends it again. Jobs already waiting are marked too: after an upgrade from a
      // version with one queue (before 0004's routes), their messages sit in a queue the new
      // workers do not read, and the sweeper re-sends them on their routes (a duplicate, where
      // an old message is still read, is harmless: the claim is fenced).
      async up(db: Kysely<any>) {
        await db.schema.alterTable('jobs').addColumn('dispatch_due', epoch).execute();
        await db.schema.createIndex('jobs_dispatch_due').on('jobs').column('dispatch_due').execute();
        await db.updateTable('jobs').set({ dispatch_due: sql`run_after` }).where('status', '=', 'queued').execute();
      },
    },
    '0006_damage_policy': {
      // `input.onDamage` of the request (null: the default, fail) and the warnings a finished
      // job carries (a damaged source processed anyway, an output shorter than its source).
      async up(db: Kysely<any>) {
        await db.schema.alterTable('jobs').addColumn('on_damage', 'text').execute();
        await db.schema.alterTable('jobs').addColumn('warnings', 'text').execute();
      },
    },
    '0007_outbox': {
      // Replaces 0005's dispatch mark with a table: every transition's outgoing messages are
      // written in its transaction, and a relay sends them (src/services/outbox-relay.ts).
      // A job still marked at upgrade time needs a message the queue may never have taken,
      // so it becomes an unsent row, offered from its mark's time (as 0005's sweeper offered
      // it): the guarantee carries over. The column stays, unread and no longer written
      // (SQLite cannot drop it without rebuilding the table; on PostgreSQL a process of the
      // previous version still running through a rolling upgrade would fail on its writes).
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('outbox')
          .addColumn('id', caps.serialType, (c) => (caps.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('job_id', 'text')
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('available_at', epoch, (c) => c.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', epoch)
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('sent_at', epoch)
          .addColumn('created_at', epoch, (c) => c.notNull())
          .addColumn('last_error', 'text')
          .execute();
        // Partial indexes (both engines have them): the relays only ever look at unsent rows.
        await db.schema.createIndex('outbox_due').on('outbox').columns(['available_at', 'id']).where(sql.ref('sent_at'), 'is', null).execute();
        await db.schema.createIndex('outbox_job').on('outbox').column('job_id').where(sql.ref('sent_at'), 'is', null).execute();
        await db.schema.createIndex('outbox_sent').on('outbox').column('sent_at').where(sql.ref('sent_at'), 'is not', null).execute();
        await db
          .insertInto('outbox')
          .columns(['kind', 'job_id', 'payload', 'available_at', 'attempts', 'created_at'])
          .expression(
            db
              .selectFrom('jobs')
              .select([
                sql.lit('queue.dispatch').as('kind'),
                'id',
                // Job ids are generated ([a-z0-9_]), so plain concatenation makes valid JSON.
                sql<string>`'{"kind":"queue.dispatch","jobId":"' || id || '"}'`.as('payload'),
                'dispatch_due',
                sql.lit(0).as('attempts'),
                'dispatch_due as created_at',
              ])
              .where('dispatch_due', 'is not', null)
              .orderBy('dispatch_due'),
          )
          .execute();
        await db.updateTable('jobs').set({ dispatch_due: null }).where('dispatch_due', 'is not', null).execute();
      },
    },
    // Every job and upload carries its owner; Idempotency-Key unique per owner (its own file).
    '0008_principal_owner': principalOwnerMigration(caps),
    '0009_upload_probe': {
      // What the first job's probe found about an upload (src/pipelines/probe-reuse.ts), so
      // later jobs on the same upload skip ffprobe. Null until a job probed it; a stored probe
      // of another version is measured again, so old rows need nothing.
      async up(db: Kysely<any>) {
        await db.schema.alterTable('uploads').addColumn('probe', 'text').execute();
      },
    },
    // Accounts own jobs, uploads and keys; keys carry scopes (its own file).
    '0010_accounts': accountsMigration(caps),
    '0011_job_usage': {
      // What each job used (src/domain/usage.ts), as JSON text: null for every job finished
      // before it (nothing was measured; the usage report leaves them out) and until a job's
      // first attempt settles. The report reads finished jobs by their finish time.
      async up(db: Kysely<any>) {
        await db.schema.alterTable('jobs').addColumn('usage', 'text').execute();
        await db.schema.createIndex('jobs_account_finished').on('jobs').columns(['account_id', 'finished_at']).execute();
      },
    },
    '0013_fair_claim': {
      // The fair claim (src/adapters/sql/fair-claim.ts) picks among the waiting jobs of one
      // route by account: each job's route as a column (jobs still to run get it from their
      // outputs, as 0004 did for queue messages; finished ones keep the default, never read).
      async up(db: Kysely<any>) {
        await db.schema.alterTable('jobs').addColumn('route', 'text', (c) => c.notNull().defaultTo(LIGHTEST_ROUTE)).execute();
        const rows = await db.selectFrom('jobs').select(['id', 'outputs']).where('status', 'in', ['queued', 'running']).execute();
        for (const row of rows as Array<{ id: string; outputs: string }>) {
          let route: Route = LIGHTEST_ROUTE;
          try {
            route = jobRoute((JSON.parse(row.outputs) as Array<{ spec: { type: OutputType } }>).filter((o) => o?.spec?.type));
          } catch {
            /* unreadable outputs: the lightest route */
          }
          if (route !== LIGHTEST_ROUTE) await db.updateTable('jobs').set({ route }).where('id', '=', row.id).execute();
        }
        await db.schema.createIndex('jobs_waiting').on('jobs').columns(['status', 'route', 'account_id', 'id']).execute();
        await db.schema.createIndex('jobs_account_started').on('jobs').columns(['account_id', 'started_at']).execute();
      },
    },
    // Console users, sessions, invitations, failed logins (its own file).
    '0014_users': usersMigration(caps),
    // Webhook endpoints, events, deliveries and attempts (its own file).
    '0015_webhooks': webhooksMigration(caps),
    // Presets, retention, deletion (its own file).
    '0016_lifecycle': lifecycleMigration(caps),
    // Notify addresses of jobs and accounts, endpoint failure clock (its own file).
    '0017_notify': notifyMigration(caps),
    // Processing on upload, bucket events (its own file).
    '0018_ingest': ingestMigration(caps),
    '0019_queue_traceparent': {
      // The trace a db-queue message continues (docs/observability.md#traces): the BullMQ and
      // RabbitMQ messages carry it in their payload, this queue's rows in a column. Null for
      // rows written before it (and when nothing is traced): the worker's run starts a trace.
      async up(db: Kysely<any>) {
        await db.schema.alterTable('queue_messages').addColumn('traceparent', 'text').execute();
      },
    },
    // 'playable' on the job.output.ready an HLS output sends when it first can be played; null:
    // the output is stored (every row before, every other event). Nullable, so a process of the
    // previous version keeps writing events beside it.
    '0020_output_phase': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('webhook_events').addColumn('phase', 'text').execute();
      },
    },
    // The deliveries of one job (GET /v1/jobs/{id}/deliveries, the console's job page) are
    // found from its events: without this index, every event of the account is read.
    '0021_webhook_events_subject': {
      async up(db: Kysely<any>) {
        await db.schema.createIndex('webhook_events_subject').on('webhook_events').columns(['subject_id']).execute();
      },
    },
  };
}

export async function migrateToLatest(
  db: Kysely<any>,
  caps: DialectCapabilities,
  opts: { schema?: string; /** Stop after this migration (tests of a migration's data step). */ upTo?: string } = {},
): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(caps) };
  // With a schema, the migrator must look for its bookkeeping tables in that schema only:
  // otherwise it finds another schema's tables on the same server and skips creating its own.
  const migrator = new Migrator({
    db: caps.name === 'postgres' && opts.schema ? withSchemaIntrospection(db, opts.schema) : db,
    provider,
    migrationTableName: 'mediaforge_migrations',
    migrationLockTableName: 'mediaforge_migrations_lock',
    ...(opts.schema ? { migrationTableSchema: opts.schema } : {}),
  });
  const { error, results } = opts.upTo ? await migrator.migrateTo(opts.upTo) : await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export { sql };
