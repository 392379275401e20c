import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../../ports/db.port.js';
import { sqliteCapabilities } from '../sql/dialect.js';
import { migrateToLatest } from '../sql/migrations.js';
import type { Tables } from '../sql/schema.js';
import { sqlDatabase, type SqlDatabaseOptions } from '../sql/sql.database.js';
import { openWasmSqlite } from './wasm-sqlite.driver.js';

export interface SqliteHandle extends Database {
  kysely: Kysely<Tables>;
}

export async function openSqliteDatabase(filename: string, opts: SqlDatabaseOptions = {}): Promise<SqliteHandle> {
  const raw = openWasmSqlite(filename);
  // The WASM build has no shared memory, so no WAL (it would need locking_mode EXCLUSIVE,
  // whose lock directory a killed process would leave behind: the VFS locks with mkdir).
  // TRUNCATE is the rollback journal with DELETE's guarantees, but the journal file is
  // emptied at commit instead of created and unlinked for every transaction: about a third
  // less CPU per write here (docs/benchmarks.md). busy_timeout covers a CLI that opens the file too.
  raw.exec('PRAGMA journal_mode = TRUNCATE; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
  const kysely = new Kysely<Tables>({ dialect: new SqliteDialect({ database: raw }) });
  await migrateToLatest(kysely, sqliteCapabilities);
  return {
    kysely,
    ...sqlDatabase(kysely, sqliteCapabilities, opts),
    close: () => kysely.destroy(),
  };
}
