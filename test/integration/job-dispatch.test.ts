import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DbJobQueue } from '../../src/adapters/db-queue/db.job-queue.js';
import { MemoryEventBus } from '../../src/adapters/memory/memory.event-bus.js';
import { sqliteCapabilities } from '../../src/adapters/sql/dialect.js';
import { openSqliteDatabase, type SqliteHandle } from '../../src/adapters/sqlite/sqlite.database.js';
import { isDomainError } from '../../src/domain/errors.js';
import { JobsService } from '../../src/services/jobs.service.js';
import { tempDir } from '../helpers/temp.js';

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
      .submit(body, 'key-1')
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.ok(isDomainError(err) && err.code === 'queue_unavailable', `expected queue_unavailable, got ${String(err)}`);
    assert.match(err.message, /the job queue did not take job job_\w+: .*Nothing was started and the job is marked failed; once the queue is back, send the same request again with its Idempotency-Key, or POST \/v1\/jobs\/job_\w+\/retry/);
    const jobId = (err.details as { jobId: string }).jobId;
    const stored = await db.jobs.get(jobId);
    assert.deepEqual([stored?.status, stored?.attempts, stored?.error?.code], ['failed', 0, 'queue_unavailable'], 'not left queued with no message');

    // The queue is back: the same request with the same key runs the same job.
    const upDb = await openSqliteDatabase(join(t.dir, 'queue.db'));
    try {
      const upQueue = new DbJobQueue(upDb.kysely, { queue: 'jobs', owner: 'api', clock, caps: sqliteCapabilities });
      const replay = await service(upQueue).submit(body, 'key-1');
      assert.equal(replay.created, false);
      assert.deepEqual([replay.job.id, replay.job.status, replay.job.error], [jobId, 'queued', null]);
      assert.equal(await upQueue.depth(), 1, 'its message is in the queue now');
      // A replay of a job that is queued and has its message adds a harmless duplicate, not a new job.
      const again = await service(upQueue).submit(body, 'key-1');
      assert.equal(again.job.id, jobId);
    } finally {
      await upDb.close();
    }
  });

  it('the retry endpoint path refuses the same way while the queue is down', async () => {
    const upDb = await openSqliteDatabase(join(t.dir, 'queue2.db'));
    const upQueue = new DbJobQueue(upDb.kysely, { queue: 'jobs', owner: 'api', clock, caps: sqliteCapabilities });
    const { job } = await service(upQueue).submit(body);
    await db.jobs.cancel(job.id, clock.now());
    await upDb.close(); // the queue goes away
    await assert.rejects(service(upQueue).retry(job.id), (e: unknown) => isDomainError(e) && e.code === 'queue_unavailable');
    const stored = await db.jobs.get(job.id);
    assert.deepEqual([stored?.status, stored?.error?.code], ['failed', 'queue_unavailable']);
  });
});
