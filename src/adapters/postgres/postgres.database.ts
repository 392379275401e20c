import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../../ports/db.port.js';
import { postgresCapabilities } from '../sql/dialect.js';
import { migrateToLatest } from '../sql/migrations.js';
import type { Tables } from '../sql/schema.js';
import { sqlDatabase, type SqlDatabaseOptions } from '../sql/sql.database.js';

export interface PostgresOptions extends SqlDatabaseOptions {
  /** Schema for every table (created when missing); default `public`. */
  schema?: string;
  /** Connections in this process's pool; default 10. */
  poolSize?: number;
}

export interface PostgresHandle extends Database {
  kysely: Kysely<Tables>;
  pool: pg.Pool;
  schema: string;
  close(): Promise<void>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Epoch milliseconds and counts are bigint in PostgreSQL, which `pg` hands back as strings
 * by default. Every bigint this schema holds fits in a double (ms timestamps, sizes under
 * 2^53), so they come back as numbers. Per-pool parsers, so nothing global is changed.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name "${schema}": use lower-case letters, digits and _ (at most 63, not starting with a digit)`);
  }
  return schema;
}

export function createPool(url: string, opts: PostgresOptions = {}): pg.Pool {
  const schema = checkSchemaName(opts.schema ?? 'public');
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    types,
    // search_path is a connection parameter, so every pooled connection lands in the schema
    // without an extra round trip per checkout.
    options: `-c search_path=${schema}`,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its server (restart, failover) emits here; without a listener the
  // process would crash. The pool drops that client and the next checkout reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Stable 32-bit key for the migration advisory lock, one per schema. */
const migrationLockKey = (schema: string) => `mediaforge_migrate:${schema}`;

async function migrateWithPool(pool: pg.Pool, kysely: Kysely<Tables>, schema: string): Promise<string[]> {
  // Two processes starting together would both try to create the migration tables. A
  // session-level advisory lock, held on its own connection, makes them take turns; the
  // second one then finds everything applied and does nothing.
  const lockClient = await pool.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock(hashtext($1))', [migrationLockKey(schema)]);
    try {
      // Only when missing: CREATE SCHEMA needs the CREATE privilege on the database even with
      // IF NOT EXISTS, which an application role on a managed server often lacks.
      const { rowCount } = await lockClient.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (!rowCount) await lockClient.query(`CREATE SCHEMA "${schema}"`);
      return await migrateToLatest(kysely, postgresCapabilities, { schema });
    } finally {
      await lockClient.query('SELECT pg_advisory_unlock(hashtext($1))', [migrationLockKey(schema)]);
    }
  } finally {
    lockClient.release();
  }
}

/** Applies pending migrations and returns the names it applied (for `mediaforge migrate`). */
export async function migratePostgres(url: string, opts: PostgresOptions = {}): Promise<string[]> {
  const schema = checkSchemaName(opts.schema ?? 'public');
  const pool = createPool(url, { ...opts, poolSize: Math.max(2, opts.poolSize ?? 2) });
  const kysely = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  try {
    return await migrateWithPool(pool, kysely, schema);
  } finally {
    await kysely.destroy();
  }
}

export async function openPostgresDatabase(url: string, opts: PostgresOptions = {}): Promise<PostgresHandle> {
  const schema = checkSchemaName(opts.schema ?? 'public');
  // The migration lock holds one connection while Kysely uses another.
  const pool = createPool(url, { ...opts, poolSize: Math.max(2, opts.poolSize ?? 10) });
  const kysely = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateWithPool(pool, kysely, schema);
  } catch (err) {
    await kysely.destroy().catch(() => undefined);
    throw err;
  }
  return {
    kysely,
    pool,
    schema,
    ...sqlDatabase(kysely, postgresCapabilities, { brokerEvents: opts.brokerEvents, emails: opts.emails }),
    close: () => kysely.destroy(),
  };
}
