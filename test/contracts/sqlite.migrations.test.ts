import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Kysely, SqliteDialect } from 'kysely';
import { tempDir } from '../helpers/temp.js';
import { openWasmSqlite } from '../../src/adapters/sqlite/wasm-sqlite.driver.js';
import { sqliteCapabilities } from '../../src/adapters/sql/dialect.js';
import { migrateToLatest } from '../../src/adapters/sql/migrations.js';
import { toJob } from '../../src/adapters/sql/rows.js';
import type { JobsTable } from '../../src/adapters/sql/schema.js';

describe('migration 0004_queue_routes', () => {
  it("gives messages already waiting their job's route, and the lightest route when the job is gone", async () => {
    const t = await tempDir();
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: openWasmSqlite(join(t.dir, 'old.db')) }) });
    try {
      await migrateToLatest(db, sqliteCapabilities, { upTo: '0003_url_inputs' });
      const outputs = JSON.stringify([{ spec: { type: 'thumbnail' }, status: 'pending', files: [] }, { spec: { type: 'hls' }, status: 'pending', files: [] }]);
      await db
        .insertInto('jobs')
        .values({ id: 'job_old', status: 'queued', max_attempts: 3, upload_id: 'upl_x', outputs, created_at: 1, run_after: 1, updated_at: 1 })
        .execute();
      const row = { queue: 'q', available_at: 1, deliveries: 0, created_at: 1 };
      await db.insertInto('queue_messages').values([{ ...row, job_id: 'job_old' }, { ...row, job_id: 'job_gone' }]).execute();

      const applied = await migrateToLatest(db, sqliteCapabilities);
      assert.ok(applied.includes('0004_queue_routes'), applied.join(','));
      const rows = await db.selectFrom('queue_messages').select(['job_id', 'route']).orderBy('job_id').execute();
      assert.deepEqual(rows, [
        { job_id: 'job_gone', route: 'image' },
        { job_id: 'job_old', route: 'hls' },
      ]);
    } finally {
      await db.destroy();
      await t.cleanup();
    }
  });
});

describe('migration 0005_dispatch_due', () => {
  it('marks the jobs waiting at upgrade time (their messages may sit in a queue the new workers do not read), and no others', async () => {
    const t = await tempDir();
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: openWasmSqlite(join(t.dir, 'old.db')) }) });
    try {
      await migrateToLatest(db, sqliteCapabilities, { upTo: '0004_queue_routes' });
      const job = { max_attempts: 3, upload_id: 'upl_x', outputs: '[]', created_at: 1, updated_at: 1 };
      await db
        .insertInto('jobs')
        .values([
          { ...job, id: 'job_waiting', status: 'queued', run_after: 7 },
          { ...job, id: 'job_running', status: 'running', run_after: 2 },
          { ...job, id: 'job_done', status: 'succeeded', run_after: 3 },
        ])
        .execute();
      const applied = await migrateToLatest(db, sqliteCapabilities, { upTo: '0005_dispatch_due' });
      assert.deepEqual(applied, ['0005_dispatch_due']);
      const rows = await db.selectFrom('jobs').select(['id', 'dispatch_due']).orderBy('id').execute();
      assert.deepEqual(rows, [
        { id: 'job_done', dispatch_due: null },
        { id: 'job_running', dispatch_due: null },
        { id: 'job_waiting', dispatch_due: 7 },
      ]);
    } finally {
      await db.destroy();
      await t.cleanup();
    }
  });
});

describe('migration 0006_damage_policy', () => {
  it('jobs from before it read as onDamage "fail" with no warnings', async () => {
    const t = await tempDir();
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: openWasmSqlite(join(t.dir, 'old.db')) }) });
    try {
      await migrateToLatest(db, sqliteCapabilities, { upTo: '0005_dispatch_due' });
      await db
        .insertInto('jobs')
        .values({ id: 'job_old', status: 'succeeded', max_attempts: 3, upload_id: 'upl_x', outputs: '[]', created_at: 1, run_after: 1, updated_at: 1 })
        .execute();
      assert.deepEqual(await migrateToLatest(db, sqliteCapabilities, { upTo: '0006_damage_policy' }), ['0006_damage_policy']);
      const job = toJob((await db.selectFrom('jobs').selectAll().where('id', '=', 'job_old').executeTakeFirstOrThrow()) as JobsTable);
      assert.deepEqual([job.onDamage, job.warnings], ['fail', []]);
    } finally {
      await db.destroy();
      await t.cleanup();
    }
  });
});
