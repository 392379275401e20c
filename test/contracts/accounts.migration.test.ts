import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SqlAccountRepository, SqlApiKeyRepository } from '../../src/adapters/sql/account.repository.js';
import { SqlJobRepository } from '../../src/adapters/sql/job.repository.js';
import { SqlUploadRepository } from '../../src/adapters/sql/upload.repository.js';
import { ADMIN_ACCOUNT_ID } from '../../src/domain/account.js';
import { newId } from '../../src/domain/ids.js';
import { decideCreate } from '../../src/domain/job-lifecycle.js';
import type { NewJob } from '../../src/ports/db.port.js';
import { ADMIN, inAccount } from '../helpers/principals.js';
import { postgresDb, sqliteDb, type OldDb } from './old-db.js';

const PREVIOUS = '0009_upload_probe';
const file = (key: string, size: number) => ({ name: key.split('/').pop(), key, size, contentType: 'image/jpeg' });
const outputs = JSON.stringify([
  { spec: { type: 'thumbnail' }, status: 'succeeded', files: [file('jobs/job_done/00-thumbnail/t.jpg', 1200)] },
  { spec: { type: 'frames' }, status: 'succeeded', files: [file('jobs/job_done/01-frames/frames.zip', 34_000), file('jobs/job_done/01-frames/manifest.json', 800)] },
]);
const oldJob = { status: 'queued', max_attempts: 3, upload_id: 'upl_old', outputs: '[]', created_at: 1, run_after: 1, updated_at: 1, owner_key_id: 'key_boot' };
const oldUpload = { id: 'upl_old', filename: 'a.mp4', size: 3000, content_type: 'video/mp4', sha256: 'ab', storage_key: 'uploads/upl_old/source', created_at: 1, status: 'ready', owner_key_id: 'key_boot' };
const newJob = (now: number): NewJob => {
  const id = newId('job', now);
  return { id, uploadId: 'upl_old', outputs: [], userMetadata: null, maxAttempts: 3, createdAt: now, initial: decideCreate(id, now).write };
};

for (const [name, open] of [['sqlite', sqliteDb], ['postgres', postgresDb]] as const) {
  describe(`migration 0010_accounts on a filled database: ${name}`, () => {
    const opened: OldDb[] = [];
    after(async () => {
      for (const o of opened) await o.close();
    });

    it('moves every key, upload and job into the admin account, losing nothing', async () => {
      const o = await open();
      opened.push(o);
      await o.migrate(PREVIOUS);
      await o.db.insertInto('api_keys').values([
        { id: 'key_boot', name: 'admin', hash: 'h1', created_at: 10 },
        { id: 'key_rotated', name: 'admin (MEDIAFORGE_API_KEY)', hash: 'h2', created_at: 20 },
      ]).execute();
      await o.db.insertInto('uploads').values(oldUpload).execute();
      await o.db.insertInto('jobs').values([
        { ...oldJob, id: 'job_done', status: 'succeeded', outputs, idempotency_key: 'idem-1', request_hash: 'rh' },
        { ...oldJob, id: 'job_queued', owner_key_id: 'key_rotated' },
        { ...oldJob, id: 'job_legacy', owner_key_id: 'legacy', outputs: '[{"spec":{"type":"thumbnail"},"status":"failed","files":[]}]' },
      ]).execute();
      const before = await o.db.selectFrom('jobs').selectAll().orderBy('id').execute();

      const applied = await o.migrate();
      assert.ok(applied.includes('0010_accounts'), applied.join(','));

      // Every column of every row is as it was; the new ones say "admin account".
      const afterRows = await o.db.selectFrom('jobs').selectAll().orderBy('id').execute();
      assert.equal(afterRows.length, before.length);
      for (const [i, row] of afterRows.entries()) {
        for (const [col, value] of Object.entries(before[i])) assert.deepEqual(row[col], value, `${row.id}.${col}`);
        assert.equal(row.account_id, ADMIN_ACCOUNT_ID);
      }
      assert.deepEqual(afterRows.map((r) => [r.id, Number(r.output_bytes)]), [['job_done', 36_000], ['job_legacy', 0], ['job_queued', 0]], 'stored bytes counted from the outputs');
      const upload = await new SqlUploadRepository(o.db).get(ADMIN, 'upl_old');
      assert.equal(upload?.key, 'uploads/upl_old/source', 'files keep their keys');

      const keys = new SqlApiKeyRepository(o.db);
      for (const hash of ['h1', 'h2']) {
        const k = await keys.findByHash(hash);
        assert.deepEqual([k?.accountId, k?.scopes, k?.revokedAt], [ADMIN_ACCOUNT_ID, ['admin'], null], hash);
      }
      assert.equal((await new SqlAccountRepository(o.db).get(ADMIN_ACCOUNT_ID))?.name, 'admin');

      // The admin account reads its jobs; an Idempotency-Key replays for any key of the account.
      const jobs = new SqlJobRepository(o.db);
      assert.equal((await jobs.get(ADMIN, 'job_done'))?.outputs[1].files[0].key, 'jobs/job_done/01-frames/frames.zip');
      assert.equal((await jobs.list(ADMIN, { limit: 10 })).jobs.length, 3);
      const replay = await jobs.create({ ...ADMIN, keyId: 'key_rotated' }, newJob(100), { key: 'idem-1', requestHash: 'rh' });
      assert.deepEqual([replay.created, replay.job.id], [false, 'job_done']);
      const elsewhere = await jobs.create(inAccount('acc_new'), newJob(101), { key: 'idem-1', requestHash: 'rh' });
      assert.equal(elsewhere.created, true, 'another account has its own Idempotency-Keys');
      assert.equal(await jobs.get(inAccount('acc_new'), 'job_done'), null);
      assert.deepEqual(await jobs.accountUsage(ADMIN_ACCOUNT_ID), { storageBytes: 39_000, uploadBytes: 3000, outputBytes: 36_000, runningJobs: 0, queuedJobs: 2 });

      // An API process of the previous version, during a rolling upgrade, still writes into the admin account.
      await o.db.insertInto('jobs').values({ ...oldJob, id: 'job_oldcode' }).execute();
      await o.db.insertInto('api_keys').values({ id: 'key_oldcode', name: 'admin', hash: 'h3', created_at: 30 }).execute();
      assert.equal((await jobs.get(ADMIN, 'job_oldcode'))?.accountId, ADMIN_ACCOUNT_ID);
      assert.deepEqual((await keys.findByHash('h3'))?.scopes, ['admin']);
    });
  });
}
