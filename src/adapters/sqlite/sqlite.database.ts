import { Kysely, SqliteDialect, sql } from 'kysely';
import type { Database } from '../../ports/db.port.js';
import { sqliteCapabilities } from '../sql/dialect.js';
import { migrateToLatest } from '../sql/migrations.js';
import type { Tables } from '../sql/schema.js';
import { sqlDatabase, type SqlDatabaseOptions } from '../sql/sql.database.js';
import { claimSqliteFile } from './sqlite-owner.js';
import { openWasmSqlite } from './wasm-sqlite.driver.js';

export interface SqliteHandle extends Database {
  kysely: Kysely<Tables>;
}

export async function openSqliteDatabase(filename: string, opts: SqlDatabaseOptions = {}): Promise<SqliteHandle> {
  const release = await claimSqliteFile(filename);
  let raw: ReturnType<typeof openWasmSqlite>;
  try {
    raw = openWasmSqlite(filename);
    // One process owns the file (sqlite-owner.ts), so it keeps SQLite's lock for as long as
    // it is open (locking_mode EXCLUSIVE): the WASM VFS locks with a directory, and taking it
    // and giving it back was an mkdir and an rmdir around every statement. Exclusive mode is
    // also what lets this build (no shared memory) run WAL: a commit appends to the -wal file
    // instead of writing a journal, syncing it and truncating it. With synchronous NORMAL a
    // commit survives the process being killed; an OS crash or power cut can lose the last
    // commits before a checkpoint, never the database's consistency. 0.03–0.09 ms of CPU per
    // write+read instead of 1–1.8 ms (docs/benchmarks.md). busy_timeout covers the moment
    // an earlier owner's lock is released.
    raw.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
  } catch (err) {
    await release();
    throw err;
  }
  const kysely = new Kysely<Tables>({ dialect: new SqliteDialect({ database: raw }) });
  try {
    await migrateToLatest(kysely, sqliteCapabilities);
  } catch (err) {
    await kysely.destroy().catch(() => undefined);
    await release();
    throw err;
  }
  return {
    kysely,
    ...sqlDatabase(kysely, sqliteCapabilities, opts),
    close: async () => {
      // Back to a rollback journal as it closes: the WAL is checkpointed into the file and
      // removed, so the file alone is the database again (for a backup, the sqlite3 shell,
      // or an earlier mediaforge, none of which can open this build's WAL).
      await sql`PRAGMA journal_mode = TRUNCATE`.execute(kysely).catch(() => undefined);
      await kysely.destroy();
      await release();
    },
  };
}
