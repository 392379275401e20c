import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SqlJobRepository } from '../../src/adapters/sql/job.repository.js';
import { newId } from '../../src/domain/ids.js';
import { decideCreate, decideSuccess } from '../../src/domain/job-lifecycle.js';
import { ADMIN } from '../helpers/principals.js';
import { postgresDb, sqliteDb, type OldDb } from './old-db.js';


/** The schema before usage was measured. */
const PREVIOUS = '0009_upload_probe';
const finished = Date.UTC(2025, 4, 10, 12);
// Every row names the same columns: a multi-row insert fills a missing one with NULL on SQLite.
const oldJob = {
  max_attempts: 3, attempts: 1, progress: 0, stage: null, upload_id: 'upl_old', outputs: '[]', created_at: finished - 60_000, run_after: finished - 60_000,
  started_at: null, finished_at: null, updated_at: finished, owner_key_id: 'key_admin',
};

for (const [name, open] of [['sqlite', sqliteDb], ['postgres', postgresDb]] as const) {
  describe(`migration 0011_job_usage: ${name}`, () => {
    let o: OldDb;
    after(async () => o?.close());

    it('jobs from before it keep everything, read as having no usage, and the report leaves them out; new settles are counted', async () => {
      o = await open();
      await o.migrate(PREVIOUS);
      await o.db.insertInto('jobs').values([
        { ...oldJob, id: 'job_old_done', status: 'succeeded', stage: 'done', progress: 100, started_at: finished - 30_000, finished_at: finished },
        { ...oldJob, id: 'job_old_queued', status: 'queued', attempts: 0 },
      ]).execute();
      const before = await o.db.selectFrom('jobs').selectAll().orderBy('id').execute();

      const applied = await o.migrate();
      assert.ok(applied.includes('0011_job_usage'), applied.join(','));
      const rows = await o.db.selectFrom('jobs').selectAll().orderBy('id').execute();
      // The columns the old schema had are as they were (later migrations add their own).
      assert.deepEqual(rows.map((r, i) => Object.fromEntries(Object.keys(before[i]).map((k) => [k, r[k]]))), before, 'every column as it was');
      assert.deepEqual(rows.map((r) => r.usage), [null, null]);
      assert.ok((await o.jobIndexes()).includes('jobs_account_finished'), "the report reads one account's jobs by finish time");

      const jobs = new SqlJobRepository(o.db);
      assert.equal((await jobs.get(ADMIN, 'job_old_done'))?.usage, null);
      const range = { from: Date.UTC(2025, 4, 10), to: Date.UTC(2025, 4, 11) };
      assert.deepEqual(await jobs.usageByDay(ADMIN, range), [], 'nothing was measured for the old job');

      // The queued job from before runs on the new code; an older process's insert still works (null usage).
      const claimed = (await jobs.claim('job_old_queued', 'w1', finished + 1, 60_000))!;
      const u = { inputSeconds: 6, cpuSeconds: 0.5, outputs: [], storageBytes: 0 };
      assert.equal(await jobs.settle({ id: claimed.id, attempt: claimed.attempts }, decideSuccess(claimed, { outputs: [], warnings: [], usage: u }, finished + 2).write), true);
      assert.deepEqual((await jobs.usageByDay(ADMIN, range)).map((d) => [d.day, d.jobs, d.cpuSeconds]), [['2025-05-10', 1, 0.5]]);
      await o.db.insertInto('jobs').values({ ...oldJob, id: 'job_old_code', status: 'queued', attempts: 0 }).execute();
      assert.equal((await jobs.get(ADMIN, 'job_old_code'))?.usage, null);
      const id = newId('job', finished);
      const { job } = await jobs.create(ADMIN, { id, uploadId: 'upl_old', outputs: [], userMetadata: null, maxAttempts: 1, createdAt: finished, initial: decideCreate(id, finished).write });
      assert.equal(job.usage, null);
    });
  });
}
