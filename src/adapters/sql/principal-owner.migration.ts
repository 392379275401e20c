import { sql, type Kysely, type Migration } from 'kysely';
import { LEGACY_OWNER } from '../../domain/principal.js';
import type { DialectCapabilities } from './dialect.js';

/**
 * 0008_principal_owner: every job and upload carries its owner (`owner_key_id`, the id of the
 * API key that created it; src/domain/principal.ts), and an Idempotency-Key is unique per
 * owner instead of across the installation.
 *
 * Rows already there get the oldest API key's id: the bootstrap admin key, the one that wrote
 * them unless the key was rotated, so a client replaying an Idempotency-Key across the upgrade
 * still gets its earlier job. A database without any key gives them 'legacy'. The column's
 * default is 'legacy' too: an API process of the previous version, still running during a
 * rolling upgrade, inserts rows without the column. The accounts issue maps owners to accounts
 * through `api_keys` ('legacy' to the bootstrap account).
 *
 * 0001 declared `idempotency_key` UNIQUE on the column. PostgreSQL drops that constraint;
 * SQLite cannot, so the jobs table is rebuilt from its own description (PRAGMA table_info and
 * the indexes it has), whatever columns earlier migrations left it with.
 */
export function principalOwnerMigration(caps: DialectCapabilities): Migration {
  return {
    async up(db: Kysely<any>) {
      const steps = async (db: Kysely<any>) => {
        for (const table of ['jobs', 'uploads']) {
          await db.schema.alterTable(table).addColumn('owner_key_id', 'text', (c) => c.notNull().defaultTo(LEGACY_OWNER)).execute();
        }
        const admin = await db.selectFrom('api_keys').select('id').orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
        if (admin) {
          for (const table of ['jobs', 'uploads']) await db.updateTable(table).set({ owner_key_id: admin.id }).execute();
        }
        if (caps.dropsConstraints) await sql`ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_idempotency_key_key`.execute(db);
        else await rebuildSqliteTable(db, 'jobs');
        // NULL keys (requests without Idempotency-Key) never collide: both engines treat NULLs as distinct.
        await db.schema.createIndex('jobs_owner_idempotency').unique().on('jobs').columns(['owner_key_id', 'idempotency_key']).execute();
        // Listing one owner's jobs newest first (the accounts issue filters every list by owner).
        await db.schema.createIndex('jobs_owner_id').on('jobs').columns(['owner_key_id', 'id']).execute();
      };
      // A rebuild stopped half-way would leave the jobs under another table's name.
      if (caps.migratesInTransaction) await steps(db);
      else await db.transaction().execute(steps);
    },
  };
}

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * SQLite's way to drop a column constraint (https://sqlite.org/lang_altertable.html#otheralter):
 * a new table with the same columns, types, NOT NULLs, defaults and primary key but no UNIQUE
 * on any column, the rows copied, the old table dropped, the new one renamed, its indexes
 * created again from their own SQL.
 */
async function rebuildSqliteTable(db: Kysely<any>, table: string): Promise<void> {
  const { rows: columns } = await sql<ColumnInfo>`SELECT * FROM pragma_table_info(${table})`.execute(db);
  const { rows: indexes } = await sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ${table} AND sql IS NOT NULL`.execute(db);
  const rebuilt = `${table}_rebuilt`;
  const definitions = columns.map((c) =>
    [quote(c.name), c.type, c.pk ? 'PRIMARY KEY' : '', c.notnull ? 'NOT NULL' : '', c.dflt_value !== null ? `DEFAULT ${c.dflt_value}` : ''].filter(Boolean).join(' '),
  );
  const names = columns.map((c) => quote(c.name)).join(', ');
  await sql.raw(`CREATE TABLE ${quote(rebuilt)} (${definitions.join(', ')})`).execute(db);
  await sql.raw(`INSERT INTO ${quote(rebuilt)} (${names}) SELECT ${names} FROM ${quote(table)}`).execute(db);
  await sql.raw(`DROP TABLE ${quote(table)}`).execute(db);
  await sql.raw(`ALTER TABLE ${quote(rebuilt)} RENAME TO ${quote(table)}`).execute(db);
  for (const index of indexes) await sql.raw(index.sql).execute(db);
}
