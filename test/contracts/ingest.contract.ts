import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.js';
import { newId } from '../../src/domain/ids.js';
import { decideCreate } from '../../src/domain/job-lifecycle.js';
import type { JobRecord, UploadRecord } from '../../src/domain/job.js';
import type { Principal } from '../../src/domain/principal.js';
import type { Database } from '../../src/ports/db.port.js';
import type { PlannedJob } from '../../src/services/jobs.service.js';
import { UploadCompletion } from '../../src/services/upload-completion.js';
import { inAccount } from '../helpers/principals.js';
import type { DbUnderTest } from './db.contract.js';

const T0 = Date.UTC(2026, 11, 6);

/** Processing on upload and bucket events (0018) on every database adapter: the exactly-once rules live in the data layer. */
export function runIngestContract(name: string, make: () => Promise<DbUnderTest>) {
  describe(`ingest contract: ${name}`, () => {
    let h: DbUnderTest;
    let db: Database;
    const started: string[] = [];
    let refuse: DomainError | null = null;
    const jobs = {
      async planForUpload(_p: Principal, _spec: unknown, upload: UploadRecord): Promise<PlannedJob> {
        if (refuse) throw refuse;
        const id = newId('job', T0);
        const decision = decideCreate(id, T0);
        return { job: { id, uploadId: upload.id, outputs: [{ spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' }, status: 'pending', files: [] }], userMetadata: null, maxAttempts: 3, createdAt: T0, initial: decision.write }, events: decision.events };
      },
      async started(job: JobRecord) {
        started.push(job.id);
      },
    };
    before(async () => {
      h = await make();
      db = h.db;
    });
    after(async () => h.cleanup());

    const pending = async (p: Principal): Promise<UploadRecord> => {
      const id = newId('upl', T0);
      const u: UploadRecord = { id, filename: 'a.mp4', size: 10, contentType: 'video/mp4', sha256: '', key: `${p.accountId}/uploads/${id}/source`, createdAt: T0, status: 'pending', multipartId: null, expiresAt: T0 + 60_000, process: { preset: 'web-mp4-720' } };
      await db.uploads.create(p, u);
      return u;
    };
    const jobsOf = async (p: Principal, uploadId: string) => (await db.jobs.list(p, { limit: 100 })).jobs.filter((j) => j.uploadId === uploadId);

    it('two concurrent completions of one upload make it ready once and make one job, in the same transaction', async () => {
      const p = inAccount('acc_twice');
      const u = await pending(p);
      const completion = new UploadCompletion({ db, jobs });
      const complete = () => completion.complete(p, u, (tx) => tx.uploads.markReady(p, u.id, { sha256: 'ab', at: T0 }));
      const applied = await Promise.all([complete(), complete(), complete()]);
      assert.deepEqual(applied.filter(Boolean).length, 1, 'one completion applied');
      const made = await jobsOf(p, u.id);
      assert.equal(made.length, 1, 'one job');
      const after = await db.uploads.get(p, u.id);
      assert.deepEqual([after?.status, after?.jobId, after?.processError], [undefined, made[0].id, undefined]);
      assert.deepEqual(started, [made[0].id], 'handed to the queue once');
    });

    it('a job that cannot be inserted rolls the upload back to pending: never ready without its job', async () => {
      const p = inAccount('acc_rollback');
      const other = await pending(p);
      await new UploadCompletion({ db, jobs }).complete(p, other, (tx) => tx.uploads.markReady(p, other.id, { sha256: 'ab', at: T0 }));
      const taken = (await db.uploads.get(p, other.id))!.jobId!;
      // A job id that exists already: the insert fails inside the unit of work.
      const clashing = { ...jobs, planForUpload: async (pp: Principal, spec: unknown, up: UploadRecord) => {
        const plan = await jobs.planForUpload(pp, spec, up);
        return { ...plan, job: { ...plan.job, id: taken } };
      } };
      const u = await pending(p);
      await assert.rejects(new UploadCompletion({ db, jobs: clashing }).complete(p, u, (tx) => tx.uploads.markReady(p, u.id, { sha256: 'ab', at: T0 })));
      const still = await db.uploads.get(p, u.id);
      assert.deepEqual([still?.status, still?.jobId], ['pending', undefined]);
    });

    it('a refused job (over a quota) leaves the upload ready with processError, and no job', async () => {
      const p = inAccount('acc_quota');
      const u = await pending(p);
      refuse = new DomainError('quota_exceeded', 'the account is over its storage quota');
      try {
        assert.equal(await new UploadCompletion({ db, jobs }).complete(p, u, (tx) => tx.uploads.markReady(p, u.id, { sha256: 'ab', at: T0 })), true);
      } finally {
        refuse = null;
      }
      const after = await db.uploads.get(p, u.id);
      assert.deepEqual([after?.status, after?.jobId, after?.processError], [undefined, undefined, { code: 'quota_exceeded', message: 'the account is over its storage quota' }]);
      assert.equal((await jobsOf(p, u.id)).length, 0);
    });

    it("an upload's process and job are its account's only", async () => {
      const p = inAccount('acc_own');
      const u = await pending(p);
      await new UploadCompletion({ db, jobs }).complete(p, u, (tx) => tx.uploads.markReady(p, u.id, { sha256: 'ab', at: T0 }));
      assert.deepEqual((await db.uploads.get(p, u.id))?.process, { preset: 'web-mp4-720' });
      assert.equal(await db.uploads.get(inAccount('acc_other'), u.id), null);
    });

    it('a bucket object is claimed once per bucket, key and ETag', async () => {
      const o = { bucket: 'media', key: 'incoming/a b.mp4', etag: '"abc"' };
      assert.equal(await db.ingest.find(o), null);
      const results = await Promise.all([1, 2].map((n) => db.transaction((tx) => tx.ingest.claim(o, { accountId: 'acc_x', uploadId: `upl_${n}`, at: T0 }))));
      assert.deepEqual(results.filter(Boolean).length, 1);
      assert.ok((await db.ingest.find(o))?.uploadId.startsWith('upl_'));
      assert.equal(await db.ingest.claim({ ...o, etag: '"def"' }, { accountId: 'acc_x', uploadId: 'upl_3', at: T0 }), true, 'a new version of the object is a new upload');
    });
  });
}
