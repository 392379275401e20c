import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DbJobQueue } from '../../src/adapters/db-queue/db.job-queue.js';
import { MemoryEventBus } from '../../src/adapters/memory/memory.event-bus.js';
import { sqliteCapabilities } from '../../src/adapters/sql/dialect.js';
import { openSqliteDatabase, type SqliteHandle } from '../../src/adapters/sqlite/sqlite.database.js';
import { isDomainError } from '../../src/domain/errors.js';
import { newId } from '../../src/domain/ids.js';
import { decideCancel, decideCreate } from '../../src/domain/job-lifecycle.js';
import { JobsService } from '../../src/services/jobs.service.js';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { FsBlobStore } from '../../src/adapters/fs/fs.blob-store.js';
import { createLogger } from '../../src/main/logger.js';
import type { ConsumeOptions, JobQueue, QueueConsumer, QueueMessage } from '../../src/ports/queue.port.js';
import { Worker } from '../../src/worker/worker.js';
import { tempDir } from '../helpers/temp.js';
import { ADMIN } from '../helpers/principals.js';

/**
 * The queue refusing a job: the job database stays open while the queue's own database
 * (a real db-queue on SQLite) is closed, so every enqueue fails the way a broker that is
 * down makes it fail.
 */
describe('a job the queue does not take', () => {
  let t: Awaited<ReturnType<typeof tempDir>>;
  let db: SqliteHandle;
  let queueDb: SqliteHandle;
  const clock = { now: () => Date.now() };
  const body = { input: { url: 'https://media.example.com/talk.mp4' }, outputs: [{ type: 'thumbnail' }] };

  before(async () => {
    t = await tempDir('mf-dispatch-');
    db = await openSqliteDatabase(join(t.dir, 'jobs.db'));
    queueDb = await openSqliteDatabase(join(t.dir, 'queue.db'));
  });
  after(async () => {
    await db.close();
    await t.cleanup();
  });

  const service = (queue: DbJobQueue) => new JobsService({ db, queue, events: new MemoryEventBus(), clock, defaultMaxAttempts: 3 });

  it('answers queue_unavailable, marks the job failed instead of leaving it queued, and a replay with the same key runs it', async () => {
    const downQueue = new DbJobQueue(queueDb.kysely, { queue: 'jobs', owner: 'api', clock, caps: sqliteCapabilities });
    await queueDb.close();
    const err = await service(downQueue)
      .submit(ADMIN, body, 'key-1')
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.ok(isDomainError(err) && err.code === 'queue_unavailable', `expected queue_unavailable, got ${String(err)}`);
    assert.match(err.message, /the job queue did not take job job_\w+: .*Nothing was started and the job is marked failed; once the queue is back, send the same request again with its Idempotency-Key, or POST \/v1\/jobs\/job_\w+\/retry/);
    const jobId = (err.details as { jobId: string }).jobId;
    const stored = await db.jobs.get(ADMIN, jobId);
    assert.deepEqual([stored?.status, stored?.attempts, stored?.error?.code], ['failed', 0, 'queue_unavailable'], 'not left queued with no message');

    // The queue is back: the same request with the same key runs the same job.
    const upDb = await openSqliteDatabase(join(t.dir, 'queue.db'));
    try {
      const upQueue = new DbJobQueue(upDb.kysely, { queue: 'jobs', owner: 'api', clock, caps: sqliteCapabilities });
      const replay = await service(upQueue).submit(ADMIN, body, 'key-1');
      assert.equal(replay.created, false);
      assert.deepEqual([replay.job.id, replay.job.status, replay.job.error], [jobId, 'queued', null]);
      assert.equal(await upQueue.depth(), 1, 'its message is in the queue now');
      // A replay of a job that is queued and has its message adds a harmless duplicate, not a new job.
      const again = await service(upQueue).submit(ADMIN, body, 'key-1');
      assert.equal(again.job.id, jobId);
    } finally {
      await upDb.close();
    }
  });

  it('the retry endpoint path refuses the same way while the queue is down', async () => {
    const upDb = await openSqliteDatabase(join(t.dir, 'queue2.db'));
    const upQueue = new DbJobQueue(upDb.kysely, { queue: 'jobs', owner: 'api', clock, caps: sqliteCapabilities });
    const { job } = await service(upQueue).submit(ADMIN, body);
    await db.jobs.transition(job.id, decideCancel(job, clock.now()));
    await upDb.close(); // the queue goes away
    await assert.rejects(service(upQueue).retry(ADMIN, job.id), (e: unknown) => isDomainError(e) && e.code === 'queue_unavailable');
    const stored = await db.jobs.get(ADMIN, job.id);
    assert.deepEqual([stored?.status, stored?.error?.code], ['failed', 'queue_unavailable']);
  });
});

/** A real db-queue that can be taken away and given back: enqueue throws while it is down. */
class SwitchableQueue implements JobQueue {
  down = false;
  constructor(private readonly inner: JobQueue) {}
  async enqueue(message: QueueMessage, opts?: { delayMs?: number }): Promise<void> {
    if (this.down) throw new Error('queue connection refused');
    await this.inner.enqueue(message, opts);
  }
  consume(handler: (m: QueueMessage) => Promise<void>, opts: ConsumeOptions): QueueConsumer {
    return this.inner.consume(handler, opts);
  }
  depth(): Promise<number> {
    return this.inner.depth();
  }
  depthByRoute() {
    return this.inner.depthByRoute();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('the worker sweeper sends messages that never reached the queue', () => {
  let t: Awaited<ReturnType<typeof tempDir>>;
  let db: SqliteHandle;
  let queue: SwitchableQueue;
  let worker: Worker;
  // The test's own time: the grace period and the backoff are read from it, so a slow machine
  // (a sweep taking longer than the 50 ms grace) cannot make "not yet" true by accident.
  let nowMs = Date.now();
  const clock = { now: () => nowMs };
  const outputs = [{ spec: { type: 'thumbnail' as const, format: 'jpg' as const, deinterlace: 'auto' as const }, status: 'pending' as const, files: [] }];

  before(async () => {
    t = await tempDir('mf-redispatch-');
    db = await openSqliteDatabase(join(t.dir, 'jobs.db'));
    queue = new SwitchableQueue(new DbJobQueue(db.kysely, { queue: 'jobs', owner: 'w', clock, caps: sqliteCapabilities }));
    worker = new Worker(
      {
        db,
        queue,
        blobs: new FsBlobStore(join(t.dir, 'blobs')),
        runner: await FfmpegMediaRunner.create({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' }),
        events: new MemoryEventBus(),
        clock,
        logger: createLogger('silent'),
      },
      {
        id: 'w1', concurrency: 1, leaseMs: 1000, heartbeatMs: 250, stallTimeoutMs: 10_000, retryBaseMs: 100, probeTimeoutMs: 10_000,
        progressIntervalMs: 100, shutdownGraceMs: 100, tmpRoot: join(t.dir, 'tmp'), limits: { maxDurationSeconds: 3600, maxPixels: 1e8, maxFramesPerJob: 1000 },
        dispatchGraceMs: 50,
      },
    );
  });
  after(async () => {
    await db.close();
    await t.cleanup();
  });

  const pause = (ms: number) => {
    nowMs += ms;
  };

  it('a job written without its message (a process died in between) gets one after the grace period, once', async () => {
    const now = clock.now();
    const id = newId('job', now);
    const { job } = await db.jobs.create(ADMIN, { id, uploadId: 'upl_x', outputs, userMetadata: null, maxAttempts: 3, createdAt: now, initial: decideCreate(id, now).write });
    const before = await queue.depth();
    await worker.sweep();
    assert.equal(await queue.depth(), before, 'not within the grace period');
    pause(80);
    await worker.sweep();
    assert.equal(await queue.depth(), before + 1, 'sent');
    await worker.sweep();
    assert.equal(await queue.depth(), before + 1, 'sent once: its outbox row is marked sent');
    assert.deepEqual((await db.outbox.forJob(job.id)).map((r) => r.sentAt !== null), [true]);
  });

  it('while the queue is down the outbox row stays; the first sweep after it is back and its backoff has run out sends it', async () => {
    const now = clock.now();
    const id = newId('job', now);
    const { job } = await db.jobs.create(ADMIN, { id, uploadId: 'upl_x', outputs, userMetadata: null, maxAttempts: 3, createdAt: now, initial: decideCreate(id, now).write });
    const before = await queue.depth();
    queue.down = true;
    pause(80);
    await worker.sweep();
    await worker.sweep();
    const [row] = await db.outbox.forJob(job.id);
    assert.deepEqual([row.sentAt, row.attempts, row.lastError], [null, 1, 'queue connection refused'], 'still unsent, tried once (the second sweep waits for its backoff)');
    queue.down = false;
    await worker.sweep();
    assert.equal(await queue.depth(), before, 'the backoff (1 s after the first refusal) has not run out');
    pause(row.availableAt - clock.now() + 10);
    await worker.sweep();
    assert.equal(await queue.depth(), before + 1);
    assert.deepEqual((await db.outbox.forJob(job.id)).map((r) => r.sentAt !== null), [true]);
  });
});
