import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { FsBlobStore } from '../../src/adapters/fs/fs.blob-store.js';
import { openPostgresDatabase } from '../../src/adapters/postgres/postgres.database.js';
import { S3BlobStore } from '../../src/adapters/s3/s3.blob-store.js';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite.database.js';
import { DomainError } from '../../src/domain/errors.js';
import { newId } from '../../src/domain/ids.js';
import { decideCreate, decideSuccess } from '../../src/domain/job-lifecycle.js';
import type { OutputState } from '../../src/domain/job.js';
import type { Principal } from '../../src/domain/principal.js';
import type { BlobStore } from '../../src/ports/blob-store.port.js';
import type { Database } from '../../src/ports/db.port.js';
import { DeletionService } from '../../src/services/deletion.service.js';
import { FilesService } from '../../src/services/files.service.js';
import { LinkSigner } from '../../src/services/links.js';
import { RetentionService } from '../../src/services/retention.service.js';
import { RetentionSweeper } from '../../src/services/retention-sweeper.js';
import { UploadsService } from '../../src/services/uploads.service.js';
import { dropSchema, freshSchema, PG_URL } from '../contracts/postgres.schema.js';
import { inAccount } from '../helpers/principals.js';
import { startS3Server } from '../helpers/s3-server.js';
import { tempDir } from '../helpers/temp.js';

/** The time every service here reads: moved by the test only, so expiry is exact and costs no waiting. */
class ManualClock {
  constructor(private t: number) {}
  now() {
    return this.t;
  }
  advance(ms: number) {
    this.t += ms;
  }
}

const S = 1000;
const T0 = Date.UTC(2026, 1, 1);
const isCode = (code: string) => (e: unknown) => e instanceof DomainError && e.code === code;

interface Backend {
  db: Database;
  blobs: BlobStore;
  close(): Promise<void>;
}

async function sqliteAndFs(): Promise<Backend> {
  const t = await tempDir('mf-retention-');
  const db = await openSqliteDatabase(join(t.dir, 'db.sqlite'));
  return { db, blobs: new FsBlobStore(join(t.dir, 'storage')), close: async () => (await db.close(), await t.cleanup()) };
}

async function postgresAndS3(): Promise<Backend> {
  const s3 = await startS3Server();
  const schema = freshSchema('mf_retention');
  const db = await openPostgresDatabase(PG_URL, { schema, poolSize: 4 });
  const blobs = new S3BlobStore({ bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
  return { db, blobs, close: async () => (blobs.destroy(), await db.close(), await dropSchema(schema), await s3.stop()) };
}

for (const [name, open] of [['SQLite + local folder', sqliteAndFs], ['PostgreSQL + S3 (s3rver)', postgresAndS3]] as const) {
  describe(`retention sweeper and deletion: ${name}`, () => {
    let b: Backend;
    const clock = new ManualClock(T0);
    const signer = new LinkSigner('a-test-signing-secret-of-at-least-32-chars', 7 * 86_400);
    let uploads: UploadsService;
    let files: FilesService;
    let retention: RetentionService;
    const sweeper = (owner: string, blobs?: BlobStore) => new RetentionSweeper({ db: b.db, blobs: blobs ?? b.blobs, clock }, { owner, periodMs: 5 * S });
    before(async () => {
      b = await open();
      // The configured defaults of these tests: sources 60 s, outputs until deleted.
      retention = new RetentionService({ db: b.db, defaults: { sourceSeconds: 60, outputsSeconds: null } });
      uploads = new UploadsService({ db: b.db, blobs: b.blobs, clock, maxUploadBytes: 1 << 20, retention });
      files = new FilesService({ blobs: b.blobs, signer, clock, db: b.db });
    });
    after(async () => b?.close());

    const upload = (p: Principal, bytes: number, asked?: { sourceSeconds?: number | null; outputsSeconds?: number | null }) =>
      uploads.create(p, Readable.from([Buffer.alloc(bytes, 1)]), { filename: 'a.mp4', contentType: 'video/mp4', retention: asked });
    /** A job on the upload that succeeds now with two stored files, as a worker would leave it. */
    const finishedJob = async (p: Principal, uploadId: string, asked?: { outputsSeconds?: number | null; sourceSeconds?: number | null }) => {
      const id = newId('job', clock.now());
      const src = await b.db.uploads.get(p, uploadId);
      await b.db.jobs.create(p, {
        id, uploadId, outputs: [{ spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' }, status: 'pending', files: [] }], userMetadata: null, maxAttempts: 1, createdAt: clock.now(),
        initial: decideCreate(id, clock.now()).write, retention: await retention.forJob(p, asked, src),
      });
      const claimed = (await b.db.jobs.claim(id, 'w', clock.now(), 60 * S))!;
      const stored: OutputState = { spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' }, status: 'succeeded', files: [] };
      for (const n of ['a.jpg', 'b.jpg']) {
        const key = `${p.accountId}/jobs/${id}/00-thumbnail/${n}`;
        const { size } = await b.blobs.put(key, Readable.from([Buffer.alloc(300, 2)]));
        stored.files.push({ name: n, key, size, contentType: 'image/jpeg' });
      }
      assert.equal(await b.db.jobs.settle({ id, attempt: claimed.attempts }, decideSuccess(claimed, { outputs: [stored], warnings: [] }, clock.now()).write), true);
      return { id, keys: stored.files.map((f) => f.key) };
    };
    const tokenFor = (key: string) => signer.token(key.slice(0, key.lastIndexOf('/') + 1), clock.now());

    it('removes expired sources and outputs from storage, marks them expired, lowers the usage, and answers 410 through a link signed before', async () => {
      const a = inAccount('acc_sweep_a');
      const src = await upload(a, 2000, { outputsSeconds: 30 });
      assert.equal(src.sourceExpiresAt, T0 + 60 * S, 'the configured 60 s');
      const kept = await upload(a, 100, { sourceSeconds: null });
      const { id, keys } = await finishedJob(a, src.id);
      const link = tokenFor(keys[0]);
      const opened = await files.open(link, keys[0]);
      assert.equal(opened.size, 300);
      assert.deepEqual(await b.db.jobs.accountUsage(a.accountId).then((u) => [u.uploadBytes, u.outputBytes]), [2100, 600]);

      const w1 = sweeper('w1');
      clock.advance(29 * S);
      assert.deepEqual(await w1.sweep(), { uploadsExpired: 0, jobsExpired: 0, filesDeleted: 0, filesFailed: 0 }, 'nothing is due yet');
      clock.advance(1 * S);
      assert.deepEqual(await w1.sweep(), { uploadsExpired: 0, jobsExpired: 1, filesDeleted: 2, filesFailed: 0 }, "the upload's outputsSeconds (30) reached");
      for (const k of keys) assert.equal(await b.blobs.stat(k), null, `${k} removed from storage`);
      await assert.rejects(files.open(link, keys[0]), isCode('file_expired'));
      await assert.rejects(files.read(opened), isCode('file_expired'), 'opened before the sweep, read after: the same answer');
      const job = (await b.db.jobs.get(a, id))!;
      assert.deepEqual([job.status, job.outputs[0].status, job.outputsRemovedAt], ['succeeded', 'expired', T0 + 30 * S], 'the job record stays');

      clock.advance(30 * S);
      assert.deepEqual(await w1.sweep(), { uploadsExpired: 1, jobsExpired: 0, filesDeleted: 1, filesFailed: 0 }, 'the source at 60 s');
      assert.equal(await b.blobs.stat(src.key), null);
      assert.equal((await b.db.uploads.get(a, src.id))?.status, 'expired');
      assert.equal(await b.blobs.stat(kept.key).then((s) => s?.size), 100, 'kept until deleted');
      assert.deepEqual(await b.db.jobs.accountUsage(a.accountId).then((u) => [u.storageBytes, u.uploadBytes, u.outputBytes]), [100, 100, 0]);
      await w1.stop();
    });

    it("holds a source a queued job still needs until that job ends, and a job's sourceSeconds shorten it", async () => {
      const a = inAccount('acc_sweep_b');
      const src = await upload(a, 500, { sourceSeconds: 10 });
      const waiting = newId('job', clock.now());
      await b.db.jobs.create(a, { id: waiting, uploadId: src.id, outputs: [], userMetadata: null, maxAttempts: 1, createdAt: clock.now(), initial: decideCreate(waiting, clock.now()).write });
      const w = sweeper('w-held');
      clock.advance(3600 * S);
      assert.equal((await w.sweep())?.uploadsExpired, 0, 'a queued job uses it');
      assert.equal(await b.blobs.stat(src.key).then((s) => s?.size), 500);
      const claimed = (await b.db.jobs.claim(waiting, 'w', clock.now(), 60 * S))!;
      await b.db.jobs.settle({ id: waiting, attempt: claimed.attempts }, decideSuccess(claimed, { outputs: [], warnings: [] }, clock.now()).write);
      assert.equal((await w.sweep())?.uploadsExpired, 1, 'gone at the first sweep after the job ended');

      const long = await upload(a, 400, { sourceSeconds: null });
      await finishedJob(a, long.id, { sourceSeconds: 0 });
      assert.equal((await w.sweep())?.uploadsExpired, 1, 'the job asked for its source to go once it finished');
      assert.equal(await b.blobs.stat(long.key), null);
      await w.stop();
    });

    it('sweeps in one process at a time: the lease holder sweeps, the other skips until it is released', async () => {
      const [w1, w2] = [sweeper('lease-1'), sweeper('lease-2')];
      assert.ok(await w1.sweep());
      assert.equal(await w2.sweep(), null, 'w1 holds the lease');
      clock.advance(10 * S);
      assert.ok(await w1.sweep(), 'and renews it');
      assert.equal(await w2.sweep(), null);
      await w1.stop();
      assert.ok(await w2.sweep(), 'released at stop: taken at once');
      await w2.stop();
    });

    it('keeps the keys storage refused and deletes them at a later sweep; usage went down at the mark', async () => {
      const a = inAccount('acc_sweep_c');
      const src = await upload(a, 700, { sourceSeconds: 1 });
      const refusing: BlobStore = Object.assign(Object.create(b.blobs) as BlobStore, {
        deleteMany: async () => {
          throw new DomainError('storage_failed', 'object storage delete failed: the bucket is down');
        },
      });
      clock.advance(2 * S);
      const down = sweeper('w-down', refusing);
      assert.deepEqual(await down.sweep(), { uploadsExpired: 1, jobsExpired: 0, filesDeleted: 0, filesFailed: 1 });
      await down.stop();
      assert.equal(await b.blobs.stat(src.key).then((s) => s?.size), 700, 'still stored');
      assert.equal((await b.db.jobs.accountUsage(a.accountId)).uploadBytes, 0);
      const up = sweeper('w-up');
      assert.equal((await up.sweep())?.filesDeleted, 0, 'not before the retry time (one period)');
      clock.advance(5 * S);
      assert.equal((await up.sweep())?.filesDeleted, 1);
      assert.equal(await b.blobs.stat(src.key), null);
      await up.stop();
    });

    it('deletes a job and an upload now, refusing while a job is running; 410 file_deleted through an old link', async () => {
      const a = inAccount('acc_sweep_d');
      const deletion = new DeletionService({ db: b.db, blobs: b.blobs, clock });
      const src = await upload(a, 900, { sourceSeconds: null });
      const { id, keys } = await finishedJob(a, src.id);
      const link = tokenFor(keys[1]);
      const running = newId('job', clock.now());
      await b.db.jobs.create(a, { id: running, uploadId: src.id, outputs: [], userMetadata: null, maxAttempts: 1, createdAt: clock.now(), initial: decideCreate(running, clock.now()).write });
      const claimed = (await b.db.jobs.claim(running, 'w', clock.now(), 60 * S))!;
      await assert.rejects(deletion.deleteJob(a, running), isCode('job_not_deletable'));
      await assert.rejects(deletion.deleteUpload(a, src.id), isCode('upload_in_use'));
      await assert.rejects(deletion.deleteJob(inAccount('acc_other'), id), isCode('not_found'));

      const deleted = await deletion.deleteJob(a, id);
      assert.deepEqual([deleted.deletedAt, deleted.outputs[0].status], [clock.now(), 'deleted']);
      for (const k of keys) assert.equal(await b.blobs.stat(k), null);
      await assert.rejects(files.open(link, keys[1]), isCode('file_deleted'));

      await b.db.jobs.settle({ id: running, attempt: claimed.attempts }, decideSuccess(claimed, { outputs: [], warnings: [] }, clock.now()).write);
      assert.equal((await deletion.deleteUpload(a, src.id)).status, 'deleted');
      assert.equal(await b.blobs.stat(src.key), null);
      assert.deepEqual(await b.db.jobs.accountUsage(a.accountId).then((u) => u.storageBytes), 0);
    });
  });
}
