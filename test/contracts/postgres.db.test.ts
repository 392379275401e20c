import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { migratePostgres, openPostgresDatabase } from '../../src/adapters/postgres/postgres.database.js';
import { runDbContract } from './db.contract.js';
import { runJobTransitionsContract } from './job-transitions.contract.js';
import { runOutboxContract } from './outbox.contract.js';
import { runUsageContract } from './usage.contract.js';
import { runUsersContract } from './users.contract.js';
import { runWebhooksContract } from './webhooks.contract.js';
import { runBrokerEventsContract } from './broker-events.contract.js';
import type { SqlDatabaseOptions } from '../../src/adapters/sql/sql.database.js';
import { runLifecycleContract } from './lifecycle.contract.js';
import { runIngestContract } from './ingest.contract.js';
import { dropSchema, freshSchema, PG_URL } from './postgres.schema.js';
import { ADMIN } from '../helpers/principals.js';

/** A fresh schema, dropped after, for each contract. */
const openFresh = async (opts: SqlDatabaseOptions = {}) => {
  const schema = freshSchema();
  const db = await openPostgresDatabase(PG_URL, { schema, poolSize: 4, ...opts });
  return {
    db,
    cleanup: async () => {
      await db.close();
      await dropSchema(schema);
    },
  };
};

runDbContract('postgres', openFresh);
runJobTransitionsContract('postgres', openFresh);
runOutboxContract('postgres', openFresh);
runUsageContract('postgres', openFresh);
runUsersContract('postgres', openFresh);
runWebhooksContract('postgres', openFresh);
runBrokerEventsContract('postgres', openFresh);
runLifecycleContract('postgres', openFresh);
runIngestContract('postgres', openFresh);

describe('postgres migrations', () => {
  const schemas: string[] = [];
  after(async () => {
    for (const s of schemas) await dropSchema(s);
  });

  it('lets several processes start together: the advisory lock serializes them and each migration runs once', async () => {
    const schema = freshSchema();
    schemas.push(schema);
    const results = await Promise.all([0, 1, 2, 3].map(() => migratePostgres(PG_URL, { schema })));
    const ran = results.filter((r) => r.length > 0);
    assert.equal(ran.length, 1, `exactly one process applies the migrations: ${JSON.stringify(results)}`);
    assert.equal(ran[0][0], '0001_initial');
    assert.equal(new Set(ran[0]).size, ran[0].length);
    assert.deepEqual(await migratePostgres(PG_URL, { schema }), [], 'a later start finds nothing to do');
  });

  it('keeps each schema apart and returns bigint columns as numbers', async () => {
    const s1 = freshSchema();
    const s2 = freshSchema();
    schemas.push(s1, s2);
    const a = await openPostgresDatabase(PG_URL, { schema: s1, poolSize: 2 });
    const b = await openPostgresDatabase(PG_URL, { schema: s2, poolSize: 2 });
    try {
      const big = 1_790_000_000_000;
      await a.uploads.create(ADMIN, { id: 'upl_1', filename: 'a.mp4', size: 5_000_000_000, contentType: 'video/mp4', sha256: 'x', key: 'uploads/upl_1/source', createdAt: big });
      const read = await a.uploads.get(ADMIN, 'upl_1');
      assert.equal(read?.createdAt, big);
      assert.equal(typeof read?.size, 'number');
      assert.equal(read?.size, 5_000_000_000);
      assert.equal(await b.uploads.get(ADMIN, 'upl_1'), null, 'the other schema does not see it');
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      const { rows } = await client.query('SELECT table_schema FROM information_schema.tables WHERE table_name = $1 AND table_schema = ANY($2)', ['jobs', [s1, s2]]);
      await client.end();
      assert.equal(rows.length, 2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await assert.rejects(openPostgresDatabase(PG_URL, { schema: 'x"; drop table jobs; --' }), /invalid PostgreSQL schema name/);
  });
});
