import { join } from 'node:path';
import { DbJobQueue } from '../../src/adapters/db-queue/db.job-queue.js';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { FsBlobStore } from '../../src/adapters/fs/fs.blob-store.js';
import { MemoryEventBus } from '../../src/adapters/memory/memory.event-bus.js';
import { sqliteCapabilities } from '../../src/adapters/sql/dialect.js';
import { openSqliteDatabase, type SqliteHandle } from '../../src/adapters/sqlite/sqlite.database.js';
import { newId } from '../../src/domain/ids.js';
import { isFinal, type JobRecord } from '../../src/domain/job.js';
import { keys } from '../../src/domain/keys.js';
import { createLogger } from '../../src/main/logger.js';
import { JobsService } from '../../src/services/jobs.service.js';
import { Worker } from '../../src/worker/worker.js';
import { tempDir, waitFor } from './temp.js';
import { ADMIN } from './principals.js';

export interface WorkerHarness {
  db: SqliteHandle;
  blobs: FsBlobStore;
  /** Uploads the file and runs a job on it to its final state. */
  run(inputPath: string, body: { outputs: unknown[]; onDamage?: 'fail' | 'warn' }): Promise<JobRecord>;
  stop(): Promise<void>;
}

/** The real worker on SQLite, the database queue, a folder store and the given ffmpeg: jobs end to end without HTTP. */
export async function startWorkerHarness(binaries: { ffmpeg: string; ffprobe: string }): Promise<WorkerHarness> {
  const t = await tempDir('mf-worker-');
  const clock = { now: () => Date.now() };
  const db = await openSqliteDatabase(join(t.dir, 'jobs.db'));
  const queue = new DbJobQueue(db.kysely, { queue: 'jobs', owner: 'w', clock, caps: sqliteCapabilities });
  const blobs = new FsBlobStore(join(t.dir, 'blobs'));
  const events = new MemoryEventBus();
  const worker = new Worker(
    { db, queue, blobs, runner: await FfmpegMediaRunner.create(binaries), events, clock, logger: createLogger(process.env.LOG_LEVEL ?? 'silent') },
    {
      id: 'w1', concurrency: 1, leaseMs: 5000, heartbeatMs: 500, stallTimeoutMs: 30_000, retryBaseMs: 100, probeTimeoutMs: 30_000,
      progressIntervalMs: 100, shutdownGraceMs: 100, tmpRoot: join(t.dir, 'tmp'), limits: { maxDurationSeconds: 3600, maxPixels: 1e8, maxFramesPerJob: 1000 },
    },
  );
  await worker.start();
  const service = new JobsService({ db, queue, events, clock, defaultMaxAttempts: 3 });
  return {
    db,
    blobs,
    async run(inputPath, body) {
      const id = newId('upl', clock.now());
      const key = keys.uploadSource(ADMIN.accountId, id);
      const { size } = await blobs.putFile(key, inputPath);
      await db.uploads.create(ADMIN, { id, filename: 'input', size, contentType: 'application/octet-stream', sha256: '', key, createdAt: clock.now() });
      const input = { uploadId: id, ...(body.onDamage ? { onDamage: body.onDamage } : {}) };
      const { job } = await service.submit(ADMIN, { input, outputs: body.outputs });
      return waitFor(async () => {
        const now = await db.jobs.get(ADMIN, job.id);
        return now && isFinal(now.status) ? now : null;
      }, { timeoutMs: 120_000, what: `job ${job.id} to finish` });
    },
    async stop() {
      await worker.stop();
      await queue.close();
      await db.close();
      await t.cleanup();
    },
  };
}
