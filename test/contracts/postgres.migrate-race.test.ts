import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { migratePostgres } from '../../src/adapters/postgres/postgres.database.js';
import { dropSchema, freshSchema, PG_URL } from './postgres.schema.js';

/**
 * Schemas of other deployments (or test runs) on the same server come and go: a start must not
 * fail because one was dropped while its migrator looked for its own tables.
 */
describe('postgres migrations beside schemas that come and go', () => {
  it('migrate fresh schemas while another connection creates and drops schemas without pause', async () => {
    const churn = new pg.Client({ connectionString: PG_URL });
    await churn.connect();
    let stop = false;
    let churned = 0;
    const loop = (async () => {
      while (!stop) {
        const s = freshSchema('mf_churn');
        // Three commits: the schema and its table are there for others to see, then gone.
        await churn.query(`CREATE SCHEMA "${s}"`);
        await churn.query(`CREATE TABLE "${s}".t (id int, v text)`);
        await churn.query(`DROP SCHEMA "${s}" CASCADE`);
        churned++;
      }
    })();
    const schemas = Array.from({ length: 6 }, () => freshSchema('mf_race'));
    try {
      for (const schema of schemas) assert.ok((await migratePostgres(PG_URL, { schema })).length > 10, `${schema} migrated`);
    } finally {
      stop = true;
      await loop;
      await churn.end();
      for (const s of schemas) await dropSchema(s);
    }
    assert.ok(churned > 0, 'the other schemas did come and go meanwhile');
  });
});
