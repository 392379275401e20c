import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BullmqJobQueue } from '../../src/adapters/bullmq/bullmq.job-queue.js';
import { DbJobQueue } from '../../src/adapters/db-queue/db.job-queue.js';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { FsBlobStore } from '../../src/adapters/fs/fs.blob-store.js';
import { MemoryEventBus } from '../../src/adapters/memory/memory.event-bus.js';
import { openPostgresDatabase, type PostgresHandle } from '../../src/adapters/postgres/postgres.database.js';
import { postgresCapabilities } from '../../src/adapters/sql/dialect.js';
import { systemClock } from '../../src/adapters/system-clock.js';
import { newId } from '../../src/domain/ids.js';
import { isFinal, type JobRecord } from '../../src/domain/job.js';
import { keys } from '../../src/domain/keys.js';
import type { Principal } from '../../src/domain/principal.js';
import { createLogger } from '../../src/main/logger.js';
import type { JobQueue } from '../../src/ports/queue.port.js';
import { JobsService } from '../../src/services/jobs.service.js';
import { Worker } from '../../src/worker/worker.js';
import { dropSchema, freshSchema, PG_URL } from '../contracts/postgres.schema.js';
import { media } from '../helpers/media.js';
import { inAccount } from '../helpers/principals.js';
import { tempDir, waitFor } from '../helpers/temp.js';

const REDIS_URL = process.env.MEDIAFORGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const unique = () => randomBytes(5).toString('hex');

/**
 * Fair share on real queues: the real worker with ffmpeg on PostgreSQL, fed by the database
 * queue and by BullMQ. One account's 50 jobs do not starve another's job, and an account over
 * its running-jobs quota waits (queued, never failed) while others run.
 */
for (const kind of ['db', 'bullmq'] as const) {
  describe(`fair share across accounts: ${kind} queue`, () => {
    let t: Awaited<ReturnType<typeof tempDir>>;
    let db: PostgresHandle;
    let schema: string;
    let queue: JobQueue & { close(): Promise<void> };
    let blobs: FsBlobStore;
    let jobs: JobsService;
    let clip: string;
    const workers: Worker[] = [];

    before(async () => {
      t = await tempDir('mf-fair-');
      schema = freshSchema('mf_fair');
      db = await openPostgresDatabase(PG_URL, { schema, poolSize: 6 });
      queue =
        kind === 'db'
          ? new DbJobQueue(db.kysely, { queue: `fair_${unique()}`, owner: 'fair', clock: systemClock, caps: postgresCapabilities, pollMs: 100 })
          : await BullmqJobQueue.connect({ redisUrl: REDIS_URL, queueName: `fair_${unique()}`, prefix: `mftest_${unique()}`, lockDurationMs: 5000 });
      blobs = new FsBlobStore(join(t.dir, 'blobs'));
      jobs = new JobsService({ db, queue, events: new MemoryEventBus(), clock: systemClock, defaultMaxAttempts: 1 });
      clip = await media('clip6.mp4');
    });
    after(async () => {
      for (const w of workers) await w.stop();
      if ('obliterate' in queue) await (queue as BullmqJobQueue).obliterate().catch(() => undefined);
      await queue.close();
      await db.close();
      await dropSchema(schema);
      await t.cleanup();
    });

    const startWorker = async (id: string, concurrency: number) => {
      const runner = await FfmpegMediaRunner.create({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' });
      const worker = new Worker(
        { db, queue, blobs, runner, events: new MemoryEventBus(), clock: systemClock, logger: createLogger(process.env.LOG_LEVEL ?? 'silent') },
        {
          id, concurrency, leaseMs: 10_000, heartbeatMs: 1000, stallTimeoutMs: 30_000, retryBaseMs: 100, probeTimeoutMs: 30_000,
          progressIntervalMs: 500, shutdownGraceMs: 500, tmpRoot: join(t.dir, `tmp-${id}`), limits: { maxDurationSeconds: 3600, maxPixels: 1e8, maxFramesPerJob: 1000 },
          heldRecheckMs: 300,
        },
      );
      await worker.start();
      workers.push(worker);
      return worker;
    };
    const uploadFor = async (who: Principal) => {
      const id = newId('upl', Date.now());
      const key = keys.uploadSource(who.accountId, id);
      const { size } = await blobs.putFile(key, clip);
      await db.uploads.create(who, { id, filename: 'clip6.mp4', size, contentType: 'video/mp4', sha256: '', key, createdAt: Date.now() });
      return id;
    };
    // A metadata job (one ffprobe): short, so many of them run in a test.
    const submit = async (who: Principal, uploadId: string) => (await jobs.submit(who, { input: { uploadId }, outputs: [] })).job;
    const settled = async (who: Principal, ids: string[], timeoutMs = 120_000): Promise<JobRecord[]> => {
      let all: JobRecord[] = [];
      await waitFor(async () => {
        all = await Promise.all(ids.map(async (id) => (await db.jobs.get(who, id))!));
        return all.every((j) => isFinal(j.status));
      }, { timeoutMs });
      return all;
    };

    it("a job of a second account, submitted after the first's 50, starts in the next free slot", async () => {
      const [a, b] = [inAccount(`acc_fa${unique()}`), inAccount(`acc_fb${unique()}`)];
      const [ua, ub] = [await uploadFor(a), await uploadFor(b)];
      const aJobs: JobRecord[] = [];
      for (let i = 0; i < 50; i++) aJobs.push(await submit(a, ua));
      await startWorker(`w1-${kind}`, 1);
      await waitFor(async () => (await db.jobs.get(a, aJobs[0].id))?.status !== 'queued', { timeoutMs: 30_000 });
      const bJob = await submit(b, ub);
      const [bDone] = await settled(b, [bJob.id]);
      assert.equal(bDone.status, 'succeeded', JSON.stringify(bDone.error));
      const aNow = await Promise.all(aJobs.map(async (j) => (await db.jobs.get(a, j.id))!));
      // Only a slot already taken when B submitted (and at most one claim in flight then) may start before B's job.
      const startedBetween = aNow.filter((j) => j.startedAt !== null && j.startedAt > bJob.createdAt && j.startedAt < bDone.startedAt!);
      assert.ok(startedBetween.length <= 1, `${startedBetween.length} of A's jobs started after B submitted and before B's job`);
      assert.ok(aNow.filter((j) => j.status === 'queued').length >= 40, 'most of A is still waiting: B did not wait for them');
      const aDone = await settled(a, aJobs.map((j) => j.id), 240_000);
      assert.ok(aDone.every((j) => j.status === 'succeeded'), 'and A still runs all of its jobs');
      for (const w of workers.splice(0)) await w.stop();
    });

    it('over its running-jobs quota an account waits queued while another runs; nothing fails', async () => {
      const c = inAccount(`acc_fc${unique()}`);
      const d = inAccount(`acc_fd${unique()}`);
      const now = Date.now();
      await db.accounts.create({ id: c.accountId, name: 'limited', quotas: { runningJobs: 1 }, createdAt: now, updatedAt: now });
      const [uc, ud] = [await uploadFor(c), await uploadFor(d)];
      const cJobs = [];
      for (let i = 0; i < 6; i++) cJobs.push(await submit(c, uc));
      const dJobs = [];
      for (let i = 0; i < 4; i++) dJobs.push(await submit(d, ud));
      // Watch how many of C's jobs run at once, from the database, while they run.
      let maxRunning = 0;
      let watching = true;
      const watch = (async () => {
        while (watching) {
          const rows = await Promise.all(cJobs.map((j) => db.jobs.get(c, j.id)));
          maxRunning = Math.max(maxRunning, rows.filter((r) => r?.status === 'running').length);
          await new Promise((r) => setTimeout(r, 15));
        }
      })();
      await startWorker(`w2-${kind}`, 3);
      const cDone = await settled(c, cJobs.map((j) => j.id));
      const dDone = await settled(d, dJobs.map((j) => j.id));
      watching = false;
      await watch;
      assert.equal(maxRunning, 1, "never more than its quota of C's jobs running at once");
      assert.ok([...cDone, ...dDone].every((j) => j.status === 'succeeded'), JSON.stringify([...cDone, ...dDone].map((j) => [j.status, j.error?.code])));
      const runs = cDone.map((j) => [j.startedAt!, j.finishedAt!] as const).sort((x, y) => x[0] - y[0]);
      // D is not limited: it used the other slots meanwhile.
      const dOverlapsC = dDone.some((j) => runs.some(([s, f]) => j.startedAt! < f && j.finishedAt! > s));
      assert.ok(dOverlapsC, "D's jobs ran beside C's");
      for (const w of workers.splice(0)) await w.stop();
    });
  });
}
