import type { Kysely, Migration } from 'kysely';
import { ADMIN_ACCOUNT_ID } from '../../domain/account.js';
import type { DialectCapabilities } from './dialect.js';

/**
 * 0010_accounts: accounts own everything. An `accounts` table with the built-in admin account;
 * every API key belongs to an account and carries scopes, a last-used time and a revocation
 * time; every job and upload carries its account (`account_id`), and an Idempotency-Key is
 * unique per account.
 *
 * Nothing existing changes hands: every key there is (the bootstrap admin key, and any key it
 * was rotated from) moves into the admin account with the `admin` scope, which holds every
 * other scope, and every job and upload with it (`owner_key_id` stays, as the key that made
 * the row). The column defaults are the admin account and `["admin"]`, so an API process of
 * the previous version, still running during a rolling upgrade, writes rows that land there
 * too.
 */
export function accountsMigration(caps: DialectCapabilities): Migration {
  const epoch = caps.epochType;
  return {
    async up(db: Kysely<any>) {
      const steps = async (db: Kysely<any>) => {
        await db.schema
          .createTable('accounts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          // Only the quotas set on this account (JSON); the rest are the configured defaults.
          .addColumn('quotas', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('created_at', epoch, (c) => c.notNull())
          .addColumn('updated_at', epoch, (c) => c.notNull())
          .execute();
        const now = Date.now();
        await db.insertInto('accounts').values({ id: ADMIN_ACCOUNT_ID, name: 'admin', quotas: '{}', created_at: now, updated_at: now }).execute();

        await db.schema.alterTable('api_keys').addColumn('account_id', 'text', (c) => c.notNull().defaultTo(ADMIN_ACCOUNT_ID)).execute();
        await db.schema.alterTable('api_keys').addColumn('scopes', 'text', (c) => c.notNull().defaultTo('["admin"]')).execute();
        await db.schema.alterTable('api_keys').addColumn('last_used_at', epoch).execute();
        await db.schema.alterTable('api_keys').addColumn('revoked_at', epoch).execute();
        await db.schema.createIndex('api_keys_account').on('api_keys').columns(['account_id', 'id']).execute();

        for (const table of ['jobs', 'uploads']) {
          await db.schema.alterTable(table).addColumn('account_id', 'text', (c) => c.notNull().defaultTo(ADMIN_ACCOUNT_ID)).execute();
        }
        await db.schema.alterTable('jobs').addColumn('output_bytes', epoch, (c) => c.notNull().defaultTo(0)).execute();
        await backfillOutputBytes(db);
        await db.schema.dropIndex('jobs_owner_idempotency').execute();
        await db.schema.dropIndex('jobs_owner_id').execute();
        // NULL keys (requests without Idempotency-Key) never collide: both engines treat NULLs as distinct.
        await db.schema.createIndex('jobs_account_idempotency').unique().on('jobs').columns(['account_id', 'idempotency_key']).execute();
        await db.schema.createIndex('jobs_account_id').on('jobs').columns(['account_id', 'id']).execute();
        await db.schema.createIndex('uploads_account_id').on('uploads').columns(['account_id', 'id']).execute();
      };
      if (caps.migratesInTransaction) await steps(db);
      else await db.transaction().execute(steps);
    },
  };
}

/** The stored bytes of every existing job, from its outputs JSON (what the repository writes from now on). */
async function backfillOutputBytes(db: Kysely<any>): Promise<void> {
  const rows = await db.selectFrom('jobs').select(['id', 'outputs']).execute();
  for (const row of rows as Array<{ id: string; outputs: string }>) {
    let bytes = 0;
    try {
      for (const o of JSON.parse(row.outputs) as Array<{ files?: Array<{ size?: number }> }>) for (const f of o.files ?? []) bytes += Number(f.size) || 0;
    } catch {
      continue;
    }
    if (bytes > 0) await db.updateTable('jobs').set({ output_bytes: bytes }).where('id', '=', row.id).execute();
  }
}
