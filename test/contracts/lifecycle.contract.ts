import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import { decideCreate, decideRetryByUser, decideSuccess } from '../../src/domain/job-lifecycle.js';
import type { OutputState, UploadRecord } from '../../src/domain/job.js';
import type { Principal } from '../../src/domain/principal.js';
import type { Database } from '../../src/ports/db.port.js';
import { inAccount } from '../helpers/principals.js';
import type { DbUnderTest } from './db.contract.js';

const S = 1000;
const T0 = Date.UTC(2026, 0, 10);
const thumb = (account: string, job: string, size: number): OutputState => ({
  spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' },
  status: 'succeeded',
  files: [{ name: 'thumb.jpg', key: `${account}/jobs/${job}/00-thumbnail/thumb.jpg`, size, contentType: 'image/jpeg' }],
});

/** Presets, retention and deletion (src/ports/lifecycle.port.ts) on every database adapter. */
export function runLifecycleContract(name: string, make: () => Promise<DbUnderTest>) {
  describe(`lifecycle contract: ${name}`, () => {
    let h: DbUnderTest;
    let db: Database;
    before(async () => {
      h = await make();
      db = h.db;
    });
    after(async () => h.cleanup());

    const upload = async (p: Principal, extra: Partial<UploadRecord> = {}): Promise<UploadRecord> => {
      const id = newId('upl', T0);
      const u: UploadRecord = { id, filename: 'a.mp4', size: 1000, contentType: 'video/mp4', sha256: 'ab', key: `${p.accountId}/uploads/${id}/source`, createdAt: T0, ...extra };
      await db.uploads.create(p, u);
      return u;
    };
    /** A job on `uploadId`, queued; with `finishAt`, claimed and succeeded then with a stored thumbnail of `size` bytes. */
    const job = async (p: Principal, uploadId: string, opts: { finishAt?: number; size?: number; outputsSeconds?: number | null; sourceSeconds?: number | null } = {}) => {
      const id = newId('job', T0);
      const outputs: OutputState[] = [{ spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' }, status: 'pending', files: [] }];
      const retention = { outputsSeconds: opts.outputsSeconds ?? null, sourceSeconds: opts.sourceSeconds ?? null };
      await db.jobs.create(p, { id, uploadId, outputs, userMetadata: null, maxAttempts: 2, createdAt: T0, initial: decideCreate(id, T0).write, retention });
      if (opts.finishAt !== undefined) {
        const claimed = (await db.jobs.claim(id, 'w', opts.finishAt - S, 60 * S))!;
        const done = decideSuccess(claimed, { outputs: [thumb(p.accountId, id, opts.size ?? 500)], warnings: [] }, opts.finishAt).write;
        assert.equal(await db.jobs.settle({ id, attempt: claimed.attempts }, done), true);
      }
      return id;
    };

    it("keeps each account's presets to itself: create, get, list, replace and delete", async () => {
      const [a, b] = [inAccount('acc_pa'), inAccount('acc_pb')];
      const preset = { name: 'course', description: 'mine', outputs: [{ type: 'mp4', height: 720 }], createdAt: T0, updatedAt: T0 };
      assert.equal(await db.presets.create(a, preset), true);
      assert.equal(await db.presets.create(a, { ...preset, description: 'again' }), false, 'one name per account');
      assert.equal(await db.presets.create(b, { ...preset, outputs: [{ type: 'thumbnail' }] }), true, "another account's same name is its own");
      assert.deepEqual(await db.presets.get(a, 'course'), preset);
      assert.deepEqual((await db.presets.list(b)).map((p) => p.outputs), [[{ type: 'thumbnail' }]]);
      assert.equal(await db.presets.replace(inAccount('acc_pc'), 'course', { outputs: [], description: null, updatedAt: T0 + 1 }), null);
      assert.deepEqual(await db.presets.replace(a, 'course', { outputs: [{ type: 'audio' }], description: null, updatedAt: T0 + 5 }), { ...preset, outputs: [{ type: 'audio' }], description: null, updatedAt: T0 + 5 });
      assert.equal(await db.presets.delete(inAccount('acc_pc'), 'course'), false);
      assert.equal(await db.presets.delete(a, 'course'), true);
      assert.equal(await db.presets.get(a, 'course'), null);
      assert.equal((await db.presets.get(b, 'course'))?.name, 'course', "B's is untouched");
    });

    it('holds the sweeper lease for one owner at a time, renews it, and gives it up', async () => {
      const lease = 'contract-lease';
      assert.equal(await db.retention.takeLease(lease, 'w1', T0, 10 * S), true);
      assert.equal(await db.retention.takeLease(lease, 'w2', T0 + S, 10 * S), false);
      assert.equal(await db.retention.takeLease(lease, 'w1', T0 + 5 * S, 10 * S), true, 'renewed by its holder');
      assert.equal(await db.retention.takeLease(lease, 'w2', T0 + 14 * S, 10 * S), false, 'renewed until T0 + 15 s');
      assert.equal(await db.retention.takeLease(lease, 'w2', T0 + 16 * S, 10 * S), true, 'taken over once it ran out');
      await db.retention.releaseLease(lease, 'w1');
      assert.equal(await db.retention.takeLease(lease, 'w1', T0 + 17 * S, 10 * S), false, 'only the holder releases');
      await db.retention.releaseLease(lease, 'w2');
      assert.equal(await db.retention.takeLease(lease, 'w1', T0 + 17 * S, 10 * S), true, 'released: taken at once');
    });

    it('expires a due source unless a queued or running job uses it, and lowers the storage used', async () => {
      const a = inAccount('acc_ra');
      const due = await upload(a, { sourceExpiresAt: T0 + 60 * S });
      const kept = await upload(a);
      const held = await upload(a, { sourceExpiresAt: T0 + 60 * S });
      const heldBy = await job(a, held.id);
      assert.deepEqual(await db.retention.dueUploads(T0 + 59 * S, 10), []);
      assert.deepEqual(await db.retention.dueUploads(T0 + 60 * S, 10), [due.id], 'the used one waits for its job');
      assert.equal((await db.jobs.accountUsage('acc_ra')).uploadBytes, 3000);

      const removed = await db.retention.expireUpload(due.id, T0 + 60 * S);
      assert.equal(removed.status, 'removed');
      assert.deepEqual(removed.status === 'removed' && removed.deletions.map((d) => d.key), [due.key]);
      assert.deepEqual(await db.retention.expireUpload(due.id, T0 + 61 * S), { status: 'already' });
      assert.equal(await db.retention.expireUpload(held.id, T0 + 60 * S).then((r) => r.status), 'already', 'checked again: still used');
      const read = await db.uploads.get(a, due.id);
      assert.deepEqual([read?.status, read?.removedAt], ['expired', T0 + 60 * S]);
      assert.equal((await db.jobs.accountUsage('acc_ra')).uploadBytes, 2000, 'an expired source no longer counts');
      assert.equal((await db.uploads.get(a, kept.id))?.status, undefined, 'without an expiry it stays');

      // The job that held it finishes: the source goes at the next look.
      const claimed = (await db.jobs.claim(heldBy, 'w', T0 + 61 * S, 60 * S))!;
      await db.jobs.settle({ id: heldBy, attempt: claimed.attempts }, decideSuccess(claimed, { outputs: [], warnings: [] }, T0 + 62 * S).write);
      assert.deepEqual(await db.retention.dueUploads(T0 + 62 * S, 10), [held.id]);
    });

    it("a finished job's sourceSeconds make its source due; a pending presigned upload waits while its URLs work", async () => {
      const a = inAccount('acc_rs');
      const src = await upload(a);
      await job(a, src.id, { finishAt: T0 + 10 * S, sourceSeconds: 30 });
      assert.deepEqual(await db.retention.dueUploads(T0 + 39 * S, 10), []);
      assert.deepEqual(await db.retention.dueUploads(T0 + 40 * S, 10), [src.id]);
      const pending = await upload(a, { status: 'pending', multipartId: null, expiresAt: T0 + 900 * S, sourceExpiresAt: T0 + 60 * S, sha256: '' });
      assert.ok(!(await db.retention.dueUploads(T0 + 899 * S, 10)).includes(pending.id));
      assert.ok((await db.retention.dueUploads(T0 + 900 * S, 10)).includes(pending.id));
    });

    it("expires a finished job's outputs after its outputsSeconds, keeps the job, and a retry stores them again", async () => {
      const a = inAccount('acc_ro');
      const src = await upload(a);
      const kept = await job(a, src.id, { finishAt: T0 + 10 * S, size: 700 });
      const id = await job(a, src.id, { finishAt: T0 + 10 * S, size: 500, outputsSeconds: 20 });
      assert.deepEqual(await db.retention.dueJobOutputs(T0 + 29 * S, 10), []);
      assert.deepEqual(await db.retention.dueJobOutputs(T0 + 30 * S, 10), [id], 'kept until deleted without outputsSeconds');
      assert.equal((await db.jobs.accountUsage('acc_ro')).outputBytes, 1200);
      const removed = await db.retention.expireJobOutputs(id, T0 + 30 * S);
      assert.deepEqual(removed.status === 'removed' && removed.deletions.map((d) => d.key), [`acc_ro/jobs/${id}/00-thumbnail/thumb.jpg`]);
      assert.deepEqual(await db.retention.expireJobOutputs(id, T0 + 31 * S), { status: 'already' });
      const read = (await db.jobs.get(a, id))!;
      assert.deepEqual([read.status, read.outputs[0].status, read.outputs[0].files.length, read.outputsRemovedAt, read.deletedAt], ['succeeded', 'expired', 1, T0 + 30 * S, null]);
      assert.equal((await db.jobs.accountUsage('acc_ro')).outputBytes, 700, 'expired outputs no longer count');
      assert.equal((await db.jobs.get(a, kept))?.outputs[0].status, 'succeeded');

      // A failed or canceled job retried by its user makes new outputs: those expire on their own.
      const other = await job(a, src.id, { finishAt: T0 + 40 * S, outputsSeconds: 1 });
      await db.retention.expireJobOutputs(other, T0 + 50 * S);
      await db.jobs.transition(other, { from: ['succeeded'], write: decideRetryByUser({ ...(await db.jobs.get(a, other))!, status: 'failed' }, T0 + 51 * S).write });
      assert.equal((await db.jobs.get(a, other))?.outputsRemovedAt, null);
    });

    it('deletes a finished job now and keeps it readable by id, out of lists; refuses a queued one and another account', async () => {
      const [a, b] = [inAccount('acc_da'), inAccount('acc_db')];
      const src = await upload(a);
      const queued = await job(a, src.id);
      const done = await job(a, src.id, { finishAt: T0 + 5 * S, size: 300 });
      assert.deepEqual(await db.retention.deleteJob(a, queued, T0 + 6 * S), { status: 'in_use', jobId: queued });
      assert.deepEqual(await db.retention.deleteJob(b, done, T0 + 6 * S), { status: 'not_found' });
      const removed = await db.retention.deleteJob(a, done, T0 + 6 * S);
      assert.deepEqual(removed.status === 'removed' && removed.deletions.map((d) => d.key), [`acc_da/jobs/${done}/00-thumbnail/thumb.jpg`]);
      const read = (await db.jobs.get(a, done))!;
      assert.deepEqual([read.deletedAt, read.outputs[0].status, read.outputsRemovedAt], [T0 + 6 * S, 'deleted', T0 + 6 * S]);
      assert.equal((await db.jobs.accountUsage('acc_da')).outputBytes, 0);
      assert.ok(!(await db.jobs.list(a, { limit: 100 })).jobs.some((j) => j.id === done), 'a deleted job is not listed');
      assert.deepEqual(await db.retention.deleteJob(a, done, T0 + 7 * S), { status: 'already' });
      // A deleted job never runs again: retry finds no row to change.
      assert.equal(await db.jobs.transition(done, { from: ['succeeded', 'failed', 'canceled'], write: decideRetryByUser({ ...read, status: 'failed' }, T0 + 8 * S).write }), false);
    });

    it('deletes an upload now unless a queued or running job uses it; an expired one queues no second deletion', async () => {
      const [a, b] = [inAccount('acc_ua'), inAccount('acc_ub')];
      const src = await upload(a);
      const user = await job(a, src.id);
      assert.deepEqual(await db.retention.deleteUpload(a, src.id, T0 + S), { status: 'in_use', jobId: user });
      assert.deepEqual(await db.retention.deleteUpload(b, src.id, T0 + S), { status: 'not_found' });
      const claimed = (await db.jobs.claim(user, 'w', T0 + S, 60 * S))!;
      assert.deepEqual(await db.retention.deleteUpload(a, src.id, T0 + 2 * S), { status: 'in_use', jobId: user }, 'running: still in use');
      await db.jobs.settle({ id: user, attempt: claimed.attempts }, decideSuccess(claimed, { outputs: [], warnings: [] }, T0 + 3 * S).write);
      const removed = await db.retention.deleteUpload(a, src.id, T0 + 4 * S);
      assert.deepEqual(removed.status === 'removed' && removed.deletions.map((d) => d.key), [src.key]);
      assert.deepEqual([(await db.uploads.get(a, src.id))?.status, (await db.jobs.accountUsage('acc_ua')).uploadBytes], ['deleted', 0]);
      assert.deepEqual(await db.retention.deleteUpload(a, src.id, T0 + 5 * S), { status: 'already' });

      const gone = await upload(a, { sourceExpiresAt: T0 });
      await db.retention.expireUpload(gone.id, T0 + S);
      assert.deepEqual(await db.retention.deleteUpload(a, gone.id, T0 + 2 * S), { status: 'removed', deletions: [] });
      assert.equal((await db.uploads.get(a, gone.id))?.status, 'deleted');
    });

    it('hands out deletions that are due, keeps failed ones for later, and forgets done ones', async () => {
      const before = await db.retention.pendingDeletions(T0 + 1000 * S, 1000);
      await db.retention.deletionsDone(before.map((d) => d.id));
      const a = inAccount('acc_dq');
      const [u1, u2] = [await upload(a, { sourceExpiresAt: T0 }), await upload(a, { sourceExpiresAt: T0 })];
      await db.retention.expireUpload(u1.id, T0 + S);
      await db.retention.expireUpload(u2.id, T0 + S);
      const pending = await db.retention.pendingDeletions(T0 + S, 10);
      assert.deepEqual(pending.map((d) => d.key), [u1.key, u2.key]);
      await db.retention.deletionsFailed([pending[0].id], 'storage_failed: down', T0 + 60 * S);
      await db.retention.deletionsDone([pending[1].id]);
      assert.deepEqual(await db.retention.pendingDeletions(T0 + 59 * S, 10), []);
      assert.deepEqual((await db.retention.pendingDeletions(T0 + 60 * S, 10)).map((d) => d.key), [u1.key]);
    });
  });
}
