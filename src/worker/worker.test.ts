import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { STAGES } from '../domain/job-lifecycle.js';
import { jobRoute } from '../domain/routes.js';
import { createLogger } from '../main/logger.js';
import type { JobQueue } from '../ports/queue.port.js';
import { AttemptRig, SETTINGS } from '../../test/helpers/attempt-rig.js';
import { Worker } from './worker.js';
import { ADMIN } from '../../test/helpers/principals.js';
import type { Principal } from '../domain/principal.js';

describe('the worker loop', { timeout: 30_000 }, () => {
  let rig: AttemptRig;
  before(async () => {
    rig = await AttemptRig.open();
  });
  after(async () => rig.close());

  const worker = (queue: JobQueue) =>
    new Worker(
      { db: rig.db, queue, blobs: rig.blobs, runner: rig.runner, events: rig.events, clock: rig.clock, logger: createLogger(process.env.LOG_LEVEL ?? 'silent') },
      // A grace this long keeps the resend of undispatched jobs out of these tests (job-dispatch.test.ts has it).
      { ...SETTINGS, id: 'w1', concurrency: 1, shutdownGraceMs: 50, dispatchGraceMs: 3_600_000, tmpRoot: join(rig.dir, 'tmp') },
    );
  const messages = (queue: string) =>
    rig.db.kysely.selectFrom('queue_messages').select(['job_id as jobId', 'available_at as availableAt']).where('queue', '=', queue).orderBy('id').execute();

  it('shutdown: an attempt still running after the grace period hands its job back, with a message due now', async () => {
    rig.runner.script = (c) => (c.kind === 'run' ? 'hang' : 'ok');
    const job = await rig.job();
    const queue = rig.queue('shutdown');
    await queue.enqueue({ jobId: job.id, route: jobRoute(job.outputs) });
    const w = worker(queue);
    await w.start();
    await rig.runner.hanging('run');
    assert.equal((await rig.db.jobs.get(ADMIN, job.id))?.attempts, 1, 'claimed');
    rig.clock.advance(2_000);
    const from = rig.published.length;
    await w.stop();
    const back = (await rig.db.jobs.get(ADMIN, job.id))!;
    const now = rig.clock.now();
    assert.deepEqual([back.status, back.attempts, back.stage, back.error, back.runAfter, back.leaseOwner], ['queued', 0, STAGES.waitingToRetry, null, now, null]);
    assert.deepEqual(await messages('shutdown'), [{ jobId: job.id, availableAt: now }], 'the delivered message was acked; the hand-back sent a new one');
    assert.deepEqual((await rig.db.outbox.forJob(job.id)).filter((r) => r.sentAt === null), [], 'the queue took it: every outbox row is marked sent');
    assert.deepEqual(rig.published.slice(from).map((e) => [e.jobId, e.status, e.stage]), [[job.id, 'queued', STAGES.handedBack]]);
    await queue.close();
  });

  it('sweep: an expired lease is requeued with a message; with no attempts left the job fails with worker_lost; a live lease stays', async () => {
    const queue = rig.queue('sweep');
    const requeued = await rig.claim((await rig.job({ maxAttempts: 3 })).id, 'dead');
    const lastTry = await rig.claim((await rig.job({ maxAttempts: 1 })).id, 'dead');
    rig.clock.advance(SETTINGS.leaseMs / 2);
    const alive = await rig.claim((await rig.job()).id, 'busy');
    rig.clock.advance(SETTINGS.leaseMs / 2 + 1); // the first two leases ran out, the third has half left
    const now = rig.clock.now();
    const from = rig.published.length;
    await worker(queue).sweep();

    const a = (await rig.db.jobs.get(ADMIN, requeued.id))!;
    assert.deepEqual([a.status, a.stage, a.attempts, a.runAfter, a.leaseOwner], ['queued', STAGES.requeuedAfterLoss, 1, now, null], 'the lost attempt counts');
    const b = (await rig.db.jobs.get(ADMIN, lastTry.id))!;
    assert.deepEqual([b.status, b.error?.code, b.finishedAt], ['failed', 'worker_lost', now]);
    assert.deepEqual(await rig.db.jobs.get(ADMIN, alive.id), alive);
    assert.deepEqual(await messages('sweep'), [{ jobId: requeued.id, availableAt: now }]);
    assert.deepEqual(rig.published.slice(from).map((e) => [e.jobId, e.status, e.stage]), [
      [requeued.id, 'queued', STAGES.requeuedAfterLoss],
      [lastTry.id, 'failed', STAGES.failed],
    ]);
    await worker(queue).sweep();
    assert.equal((await messages('sweep')).length, 1, 'a second sweep finds nothing to do');
    await queue.close();
  });

  it('two sweepers racing for one expired lease: it is requeued once, with one message and one event', async () => {
    const queue = rig.queue('race');
    const lost = await rig.claim((await rig.job()).id, 'dead');
    rig.clock.advance(SETTINGS.leaseMs + 1);
    // The other sweeper recovers the job between this one's read and its write.
    let raced = false;
    const jobs = new Proxy(rig.db.jobs, {
      get(target, prop) {
        if (prop === 'get') {
          return async (principal: Principal, id: string) => {
            const read = await target.get(principal, id);
            if (id === lost.id && !raced) {
              raced = true;
              await worker(queue).sweep();
            }
            return read;
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const from = rig.published.length;
    const slow = new Worker(
      { db: { ...rig.db, jobs }, queue, blobs: rig.blobs, runner: rig.runner, events: rig.events, clock: rig.clock, logger: createLogger('silent') },
      { ...SETTINGS, id: 'w2', concurrency: 1, shutdownGraceMs: 50, dispatchGraceMs: 3_600_000, tmpRoot: join(rig.dir, 'tmp') },
    );
    await slow.sweep();
    assert.ok(raced);
    // (The earlier test's live lease has run out by now too: only this job's trail counts.)
    assert.deepEqual((await messages('race')).filter((m) => m.jobId === lost.id), [{ jobId: lost.id, availableAt: rig.clock.now() }]);
    assert.deepEqual(rig.published.slice(from).filter((e) => e.jobId === lost.id).map((e) => e.stage), [STAGES.requeuedAfterLoss]);
    await queue.close();
  });
});
