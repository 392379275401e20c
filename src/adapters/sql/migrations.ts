import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { DialectCapabilities } from './dialect.js';

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
  };
}

export async function migrateToLatest(db: Kysely<any>, caps: DialectCapabilities, opts: { schema?: string } = {}): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(caps) };
  // With a schema, the migrator must look for its bookkeeping tables in that schema only:
  // otherwise it finds another schema's tables on the same server and skips creating its own.
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'mediaforge_migrations',
    migrationLockTableName: 'mediaforge_migrations_lock',
    ...(opts.schema ? { migrationTableSchema: opts.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export { sql };
