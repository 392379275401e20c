/**
 * Everything that differs between SQLite and PostgreSQL, in one place (pg-boss keeps its
 * dialect knowledge in one module too). Repositories read these flags; nothing else asks
 * "which database is this?".
 */
export interface DialectCapabilities {
  name: 'sqlite' | 'postgres';
  /** Column type for an auto-incrementing integer primary key. */
  serialType: 'integer' | 'bigserial';
  /** Column type for epoch-millisecond timestamps (needs 64 bits). */
  epochType: 'integer' | 'bigint';
  /** `SELECT … FOR UPDATE SKIP LOCKED` is available (many processes claim concurrently). */
  skipLocked: boolean;
  /**
   * A constraint can be dropped with ALTER TABLE (PostgreSQL). SQLite cannot drop a column's
   * UNIQUE: the table is rebuilt instead (migration 0008).
   */
  dropsConstraints: boolean;
  /**
   * Kysely's migrator runs each migration in a transaction (PostgreSQL: transactional DDL).
   * On SQLite it does not; a migration that must not stop half-way opens its own.
   */
  migratesInTransaction: boolean;
}

export const sqliteCapabilities: DialectCapabilities = {
  name: 'sqlite',
  serialType: 'integer',
  epochType: 'integer',
  skipLocked: false,
  dropsConstraints: false,
  migratesInTransaction: false,
};

export const postgresCapabilities: DialectCapabilities = {
  name: 'postgres',
  serialType: 'bigserial',
  epochType: 'bigint',
  skipLocked: true,
  dropsConstraints: true,
  migratesInTransaction: true,
};
