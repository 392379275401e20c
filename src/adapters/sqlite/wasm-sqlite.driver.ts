import sqliteWasm from 'node-sqlite3-wasm';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

const { Database: WasmDatabase } = sqliteWasm;

/**
 * Adapts node-sqlite3-wasm (SQLite compiled to WebAssembly, writing a real file through
 * Node's fs) to the interface Kysely's SqliteDialect expects. We use it instead of
 * better-sqlite3 because better-sqlite3 downloads a prebuilt binary from GitHub at install
 * time (or needs a C++ toolchain), and the embedded mode must install from the npm
 * registry alone on a machine that has only Node.js. Node's own `node:sqlite` would do,
 * but only from Node 22.5.
 */
const READER = /^\s*(select|with|pragma|values|explain)\b|\breturning\b/i;

type Param = number | bigint | string | Uint8Array | null | boolean;

function toParams(parameters: ReadonlyArray<unknown>): Param[] {
  return parameters.map((p) => (p === undefined ? null : (p as Param)));
}

export function openWasmSqlite(filename: string): SqliteDatabase & { exec(sql: string): void } {
  const db = new WasmDatabase(filename);
  return {
    close: () => db.close(),
    exec: (sql: string) => db.exec(sql),
    prepare(sql: string): SqliteStatement {
      return {
        reader: READER.test(sql),
        all: (parameters) => db.all(sql, toParams(parameters)) as unknown[],
        run: (parameters) => db.run(sql, toParams(parameters)),
        iterate: (parameters) => (db.all(sql, toParams(parameters)) as unknown[])[Symbol.iterator](),
      };
    },
  };
}
