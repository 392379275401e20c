import { after, describe, it } from 'node:test';
import { Kysely, PostgresDialect } from 'kysely';
import { createPool } from '../../src/adapters/postgres/postgres.database.js';
import { postgresCapabilities } from '../../src/adapters/sql/dialect.js';
import { migrateToLatest } from '../../src/adapters/sql/migrations.js';
import { checkOutboxUpgrade } from './outbox.migration.js';
import { dropSchema, freshSchema, PG_URL } from './postgres.schema.js';

describe('postgres migration 0007_outbox', () => {
  const schema = freshSchema();
  after(async () => dropSchema(schema));

  it('turns every dispatch mark into an unsent outbox row, which the relay then sends', async () => {
    const pool = createPool(PG_URL, { schema, poolSize: 2 });
    await pool.query(`CREATE SCHEMA "${schema}"`);
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    try {
      await checkOutboxUpgrade(db, postgresCapabilities, (upTo) => migrateToLatest(db, postgresCapabilities, { schema, upTo }));
    } finally {
      await db.destroy();
    }
  });
});
