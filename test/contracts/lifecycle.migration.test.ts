import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SqlAccountRepository } from '../../src/adapters/sql/account.repository.js';
import { SqlJobRepository } from '../../src/adapters/sql/job.repository.js';
import { SqlPresetRepository } from '../../src/adapters/sql/preset.repository.js';
import { SqlRetentionRepository } from '../../src/adapters/sql/retention.repository.js';
import { SqlUploadRepository } from '../../src/adapters/sql/upload.repository.js';
import { ADMIN, inAccount } from '../helpers/principals.js';
import { postgresDb, sqliteDb, type OldDb } from './old-db.js';

/** The schema before presets and retention (0015 is another release's). */
const PREVIOUS = '0015_webhooks';
const at = Date.UTC(2026, 11, 1, 12);
const YEARS = 20 * 365 * 86_400_000;
const file = (n: string, size: number) => ({ name: n, key: `acc_school/jobs/job_done/00-thumbnail/${n}`, size, contentType: 'image/jpeg' });
const outputs = JSON.stringify([{ spec: { type: 'thumbnail' }, status: 'succeeded', files: [file('thumb.jpg', 1200)] }]);
const oldJob = {
  max_attempts: 3, attempts: 1, progress: 100, stage: 'done', upload_id: 'upl_old', outputs, created_at: at, run_after: at, started_at: at, finished_at: at + 1000,
  updated_at: at, owner_key_id: 'key_school', status: 'succeeded', account_id: 'acc_school', output_bytes: 1200, route: 'thumbnail',
};
const oldUpload = { id: 'upl_old', filename: 'a.mp4', size: 5000, content_type: 'video/mp4', sha256: 'ab', storage_key: 'acc_school/uploads/upl_old/source', created_at: at, status: 'ready', owner_key_id: 'key_school', account_id: 'acc_school' };

for (const [name, open] of [['sqlite', sqliteDb], ['postgres', postgresDb]] as const) {
  describe(`migration 0016_lifecycle: ${name}`, () => {
    let o: OldDb;
    after(async () => o?.close());

    it('adds presets, retention and deletion beside a filled database, keeps every row, and expires nothing made before', async () => {
      o = await open();
      await o.migrate(PREVIOUS);
      await o.db.insertInto('accounts').values({ id: 'acc_school', name: 'School', quotas: '{"storageBytes":100000}', created_at: at, updated_at: at }).execute();
      await o.db.insertInto('uploads').values(oldUpload).execute();
      await o.db.insertInto('jobs').values([
        { ...oldJob, id: 'job_done' },
        { ...oldJob, id: 'job_queued', status: 'queued', outputs: '[]', output_bytes: 0, finished_at: null, attempts: 0 },
      ]).execute();
      const snapshot = async () => ({
        accounts: await o.db.selectFrom('accounts').selectAll().orderBy('id').execute(),
        uploads: await o.db.selectFrom('uploads').selectAll().orderBy('id').execute(),
        jobs: await o.db.selectFrom('jobs').selectAll().orderBy('id').execute(),
      });
      const before = await snapshot();

      assert.deepEqual(await o.migrate('0016_lifecycle'), ['0016_lifecycle']);
      const afterRows = await snapshot();
      // Every column the old schema had is as it was; the new ones hold their defaults.
      for (const table of ['accounts', 'uploads', 'jobs'] as const) {
        assert.equal(afterRows[table].length, before[table].length, table);
        afterRows[table].forEach((row: Record<string, unknown>, i: number) => {
          for (const [col, value] of Object.entries(before[table][i] as Record<string, unknown>)) assert.deepEqual(row[col], value, `${table}.${col}`);
        });
      }
      assert.deepEqual(afterRows.uploads.map((u: any) => [u.retention, u.source_expires_at, u.removed_at]), [['{}', null, null]]);
      assert.deepEqual(afterRows.jobs.map((j: any) => [j.outputs_seconds, j.source_seconds, j.outputs_removed_at, j.deleted_at]), [[null, null, null, null], [null, null, null, null]]);
      assert.deepEqual(afterRows.accounts.map((a: any) => [a.id, a.retention]), [['acc_admin', '{}'], ['acc_school', '{}']]);

      // The old rows read with the new code as before.
      const school = inAccount('acc_school');
      const upload = await new SqlUploadRepository(o.db).get(school, 'upl_old');
      assert.deepEqual(upload, { id: 'upl_old', filename: 'a.mp4', size: 5000, contentType: 'video/mp4', sha256: 'ab', key: 'acc_school/uploads/upl_old/source', createdAt: at });
      const jobs = new SqlJobRepository(o.db);
      const done = await jobs.get(school, 'job_done');
      assert.deepEqual([done?.retention, done?.outputsRemovedAt, done?.deletedAt, done?.outputs[0].status], [{ outputsSeconds: null, sourceSeconds: null }, null, null, 'succeeded']);
      assert.deepEqual(await jobs.accountUsage('acc_school'), { storageBytes: 6200, uploadBytes: 5000, outputBytes: 1200, runningJobs: 0, queuedJobs: 1 });
      const account = await new SqlAccountRepository(o.db).get('acc_school');
      assert.deepEqual([account?.quotas, account?.retention], [{ storageBytes: 100000 }, undefined]);

      // Nothing made before the upgrade is ever due, however late it gets.
      const retention = new SqlRetentionRepository(o.db);
      assert.deepEqual(await retention.dueUploads(at + YEARS, 10), []);
      assert.deepEqual(await retention.dueJobOutputs(at + YEARS, 10), []);
      // The sweeper's lease is there to take, and the presets table takes presets.
      assert.equal(await retention.takeLease('retention-sweeper', 'w1', at, 60_000), true);
      assert.equal(await retention.takeLease('retention-sweeper', 'w2', at + 1, 60_000), false);
      const presets = new SqlPresetRepository(o.db);
      assert.equal(await presets.create(school, { name: 'mine', description: null, outputs: [{ type: 'thumbnail' }], createdAt: at, updatedAt: at }), true);
      assert.equal((await presets.get(ADMIN, 'mine')), null, "another account's preset is not found");
      assert.deepEqual(await o.migrate('0016_lifecycle'), [], 'a second start has nothing to do');
    });
  });
}
