import { join } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { createPool } from '../../src/adapters/postgres/postgres.database.js';
import { openWasmSqlite } from '../../src/adapters/sqlite/wasm-sqlite.driver.js';
import { postgresCapabilities, sqliteCapabilities, type DialectCapabilities } from '../../src/adapters/sql/dialect.js';
import { migrateToLatest } from '../../src/adapters/sql/migrations.js';
import { tempDir } from '../helpers/temp.js';
import { dropSchema, freshSchema, PG_URL } from './postgres.schema.js';

/**
 * A database of an earlier schema, for migration tests: migrate it to a named migration, fill
 * it as that version's code would, migrate on and look at what the upgrade kept.
 */
export interface OldDb {
  db: Kysely<any>;
  caps: DialectCapabilities;
  migrate(upTo?: string): Promise<string[]>;
  /** Names of the indexes on `jobs`. */
  jobIndexes(): Promise<string[]>;
  close(): Promise<void>;
}

export async function sqliteDb(): Promise<OldDb> {
  const t = await tempDir();
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: openWasmSqlite(join(t.dir, 'old.db')) }) });
  return {
    db,
    caps: sqliteCapabilities,
    migrate: (upTo) => migrateToLatest(db, sqliteCapabilities, { upTo }),
    jobIndexes: async () => (await db.selectFrom('sqlite_master').select('name').where('type', '=', 'index').where('tbl_name', '=', 'jobs').execute()).map((r) => r.name),
    close: async () => {
      await db.destroy();
      await t.cleanup();
    },
  };
}

export async function postgresDb(): Promise<OldDb> {
  const schema = freshSchema();
  const pool = createPool(PG_URL, { schema, poolSize: 2 });
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  await pool.query(`CREATE SCHEMA "${schema}"`);
  return {
    db,
    caps: postgresCapabilities,
    migrate: (upTo) => migrateToLatest(db, postgresCapabilities, { schema, upTo }),
    jobIndexes: async () => (await pool.query('SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2', [schema, 'jobs'])).rows.map((r) => r.indexname),
    close: async () => {
      await db.destroy();
      await dropSchema(schema);
    },
  };
}
