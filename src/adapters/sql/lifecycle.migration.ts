import { sql, type Kysely, type Migration } from 'kysely';
import { RETENTION_SWEEPER_LEASE } from '../../domain/retention.js';
import type { DialectCapabilities } from './dialect.js';

/**
 * 0016_lifecycle: presets, retention and deletion (docs/lifecycle.md). In one transaction:
 * a failed start leaves nothing half made.
 *
 * - `presets`: an account's named output lists, unique per (account, name).
 * - `uploads.retention` (JSON asked for, `{}`), `source_expires_at` (null: kept until
 *   deleted), `removed_at`. Uploads made before keep their sources until deleted: an upgrade
 *   never starts removing media (docs/lifecycle.md says how to give old uploads an expiry).
 * - `jobs.outputs_seconds`, `source_seconds` (null for jobs from before: kept),
 *   `outputs_removed_at`, `deleted_at`.
 * - `accounts.retention`: what the admin set on the account (`{}`: the configuration's).
 * - `storage_deletions`: keys a removal committed, deleted from storage after the commit.
 * - `leases`: one row per leased task (the retention sweeper's), so one process sweeps.
 *
 * Only additions with defaults: a process of the previous version keeps working beside it
 * (it neither reads nor writes them; an `expired` upload reads to it as ready, and a job on
 * it fails in the worker with `upload_expired` of the new version, or `not_found` of the old).
 */
export function lifecycleMigration(caps: DialectCapabilities): Migration {
  const epoch = caps.epochType;
  return {
    async up(outer: Kysely<any>) {
      const steps = async (db: Kysely<any>) => {
        await db.schema
          .createTable('presets')
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('outputs', 'text', (c) => c.notNull())
          .addColumn('created_at', epoch, (c) => c.notNull())
          .addColumn('updated_at', epoch, (c) => c.notNull())
          .addPrimaryKeyConstraint('presets_pk', ['account_id', 'name'])
          .execute();

        await db.schema.alterTable('uploads').addColumn('retention', 'text', (c) => c.notNull().defaultTo('{}')).execute();
        await db.schema.alterTable('uploads').addColumn('source_expires_at', epoch).execute();
        await db.schema.alterTable('uploads').addColumn('removed_at', epoch).execute();
        // The sweeper's look-up: sources still stored, by when they are due.
        await db.schema.createIndex('uploads_source_due').on('uploads').column('source_expires_at').where(sql.ref('removed_at'), 'is', null).execute();
        await db.schema.createIndex('uploads_account').on('uploads').columns(['account_id', 'status']).execute();

        await db.schema.alterTable('jobs').addColumn('outputs_seconds', 'integer').execute();
        await db.schema.alterTable('jobs').addColumn('source_seconds', 'integer').execute();
        await db.schema.alterTable('jobs').addColumn('outputs_removed_at', epoch).execute();
        await db.schema.alterTable('jobs').addColumn('deleted_at', epoch).execute();
        // Finished jobs whose outputs have a lifetime and are still stored (the sweeper's), and
        // the jobs of an upload (is it still in use? did a job limit its source?).
        await db.schema
          .createIndex('jobs_outputs_due')
          .on('jobs')
          .column('finished_at')
          .where(sql<boolean>`outputs_seconds IS NOT NULL AND outputs_removed_at IS NULL`)
          .execute();
        await db.schema.createIndex('jobs_upload').on('jobs').columns(['upload_id', 'status']).execute();

        await db.schema.alterTable('accounts').addColumn('retention', 'text', (c) => c.notNull().defaultTo('{}')).execute();

        await db.schema
          .createTable('storage_deletions')
          .addColumn('id', caps.serialType, (c) => (caps.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('storage_key', 'text', (c) => c.notNull())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('created_at', epoch, (c) => c.notNull())
          .addColumn('available_at', epoch, (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_error', 'text')
          .execute();
        await db.schema.createIndex('storage_deletions_due').on('storage_deletions').columns(['available_at', 'id']).execute();

        await db.schema
          .createTable('leases')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('owner', 'text')
          .addColumn('lease_until', epoch, (c) => c.notNull())
          .execute();
        await db.insertInto('leases').values({ name: RETENTION_SWEEPER_LEASE, owner: null, lease_until: 0 }).execute();
      };
      if (caps.migratesInTransaction) await steps(outer);
      else await outer.transaction().execute(steps);
    },
  };
}
