import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { outboxJobId } from '../../src/domain/outbox.js';
import { decideCancel, decideFailure, decideHandBack, decideLeaseExpiry, decideRetryByUser, decideUndispatched } from '../../src/domain/job-lifecycle.js';
import type { JobRecord, OutputState } from '../../src/domain/job.js';
import type { Database } from '../../src/ports/db.port.js';
import { ADMIN } from '../helpers/principals.js';
import type { DbUnderTest } from './db.contract.js';
import { newJob, outputs, requeued, succeeded } from './db.fixtures.js';

/**
 * The job's transitions as every database adapter persists them (db.contract.ts holds the
 * rest): claims and their fence, stale attempts, cancel, the outbox written with each
 * transition, the unit of work, retries, expired leases, the shutdown hand-back.
 */
export function runJobTransitionsContract(name: string, make: () => Promise<DbUnderTest>) {
  describe(`job transitions contract: ${name}`, () => {
    let h: DbUnderTest;
    let db: Database;
    before(async () => {
      h = await make();
      db = h.db;
    });
    after(async () => h.cleanup());

    it('claims a job once; the attempt number is the fencing token', async () => {
      const { job } = await db.jobs.create(ADMIN, newJob(20_000));
      const a = await db.jobs.claim(job.id, 'w1', 20_001, 1000);
      const b = await db.jobs.claim(job.id, 'w2', 20_002, 1000);
      assert.ok(a);
      assert.equal(a.attempts, 1);
      assert.equal(a.status, 'running');
      assert.equal(a.leaseOwner, 'w1');
      assert.equal(b, null, 'a live lease cannot be claimed twice');
    });

    it('does not claim a job before run_after', async () => {
      const { job } = await db.jobs.create(ADMIN, newJob(25_000));
      const c = await db.jobs.claim(job.id, 'w1', 25_001, 1000);
      assert.ok(await db.jobs.settle({ id: job.id, attempt: c!.attempts }, requeued(c!, 25_000, 5_000)));
      assert.equal(await db.jobs.claim(job.id, 'w1', 29_999, 1000), null);
      const again = await db.jobs.claim(job.id, 'w1', 30_000, 1000);
      assert.equal(again?.attempts, 2);
    });

    it('rejects every write from a stale attempt after the lease moved on', async () => {
      const { job } = await db.jobs.create(ADMIN, newJob(40_000));
      const first = await db.jobs.claim(job.id, 'w1', 40_001, 100);
      assert.ok(first);
      // w1 goes silent; its lease runs out and w2 takes over.
      const second = await db.jobs.claim(job.id, 'w2', 40_500, 1000);
      assert.equal(second?.attempts, 2);
      const stale = { id: job.id, attempt: 1 };
      assert.equal(await db.jobs.heartbeat(stale, 40_600, 1000), null);
      assert.equal(await db.jobs.updateProgress(stale, { at: 40_650, progress: 50 }), false);
      assert.equal(await db.jobs.settle(stale, succeeded(first, 40_700)), false);
      assert.equal(await db.jobs.settle(stale, requeued(first, 40_700, 100)), false);
      assert.equal(await db.jobs.settle(stale, decideHandBack(first, 40_700).write), false);
      const current = { id: job.id, attempt: 2 };
      assert.equal(await db.jobs.heartbeat(current, 40_800, 1000), 'running');
      assert.equal(await db.jobs.updateProgress(current, { at: 40_850, progress: 40, stage: 'frames' }), true);
      assert.equal(await db.jobs.settle(current, succeeded(second!, 40_900)), true);
      const done = await db.jobs.get(ADMIN, job.id);
      assert.equal(done?.status, 'succeeded');
      assert.equal(done?.progress, 100);
      assert.equal(done?.finishedAt, 40_900);
    });

    it('tells a running attempt that its job was canceled', async () => {
      const { job } = await db.jobs.create(ADMIN, newJob(50_000));
      const c = await db.jobs.claim(job.id, 'w1', 50_001, 1000);
      assert.equal(await db.jobs.transition(job.id, decideCancel(c!, 50_010)), true);
      const canceled = await db.jobs.get(ADMIN, job.id);
      assert.deepEqual([canceled?.status, canceled?.stage, canceled?.finishedAt], ['canceled', 'canceled', 50_010]);
      assert.equal(await db.jobs.heartbeat({ id: job.id, attempt: c!.attempts }, 50_020, 1000), 'canceled');
      assert.equal(await db.jobs.settle({ id: job.id, attempt: c!.attempts }, succeeded(c!, 50_030)), false);
      assert.equal((await db.jobs.get(ADMIN, job.id))?.status, 'canceled');
    });

    it('fails a job whose message never reached the queue, only while no worker has taken it', async () => {
      const error = { code: 'queue_unavailable' as const, message: 'the job queue did not take it' };
      const undispatched = (job: JobRecord, now: number) => decideUndispatched(job, error.message, now);
      const { job } = await db.jobs.create(ADMIN, newJob(55_000));
      assert.equal(await db.jobs.transition(job.id, undispatched(job, 55_001)), true);
      const failed = await db.jobs.get(ADMIN, job.id);
      assert.deepEqual([failed?.status, failed?.attempts, failed?.error, failed?.finishedAt], ['failed', 0, error, 55_001]);
      assert.equal(await db.jobs.transition(job.id, undispatched(job, 55_002)), false, 'already failed');
      assert.equal(await db.jobs.transition(job.id, decideRetryByUser(failed!, 55_003)), true);
      assert.equal((await db.jobs.get(ADMIN, job.id))?.status, 'queued', 'and it can be retried');

      const { job: taken } = await db.jobs.create(ADMIN, newJob(55_100));
      const c = await db.jobs.claim(taken.id, 'w1', 55_101, 1000);
      assert.equal(await db.jobs.transition(taken.id, undispatched(taken, 55_102)), false, 'a running job is left alone');
      await db.jobs.settle({ id: taken.id, attempt: c!.attempts }, requeued(c!, 55_103, 0));
      assert.equal(await db.jobs.transition(taken.id, undispatched(taken, 55_104)), false, 'a queued job that already ran an attempt had its message');
      assert.equal((await db.jobs.get(ADMIN, taken.id))?.status, 'queued');
    });

    it('writes a queue message to the outbox with every transition that needs one, and only when the write applied', async () => {
      const rows = async (id: string) => (await db.outbox.forJob(id)).map((r) => [r.message.kind, outboxJobId(r.message), r.availableAt, r.sentAt]);
      const row = (id: string, at: number) => ['queue.dispatch', id, at, null];
      const { job: a } = await db.jobs.create(ADMIN, newJob(57_000));
      assert.deepEqual(await rows(a.id), [row(a.id, 57_000)], 'created: one unsent row, offered from createdAt');
      await db.jobs.create(ADMIN, newJob(57_001), { key: 'idem-outbox', requestHash: 'h' });
      const replay = await db.jobs.create(ADMIN, newJob(57_002), { key: 'idem-outbox', requestHash: 'h' });
      assert.equal((await db.outbox.forJob(replay.job.id)).length, 1, 'a replay of the key writes nothing');

      // A requeue writes one; a stale attempt's requeue, which changes nothing, writes none.
      const c = await db.jobs.claim(a.id, 'w1', 57_010, 1000);
      assert.equal(await db.jobs.settle({ id: a.id, attempt: c!.attempts + 1 }, requeued(c!, 57_500, 500)), false);
      assert.equal((await db.outbox.forJob(a.id)).length, 1, 'no row for a write that did not apply');
      assert.equal(await db.jobs.settle({ id: a.id, attempt: c!.attempts }, requeued(c!, 57_500, 500)), true);
      assert.deepEqual((await rows(a.id)).slice(1), [row(a.id, 57_500)], 'requeued: offered at once (the relay sends it with the delay)');

      // Lease recovery and retry write one; cancel, worker_lost, success and failUndispatched none.
      const c2 = await db.jobs.claim(a.id, 'w1', 58_001, 10);
      const fence2 = { id: a.id, attempt: c2!.attempts };
      assert.equal(await db.jobs.recoverExpired(fence2, decideLeaseExpiry(c2!, fence2, 58_100)!.write), true);
      assert.equal(await db.jobs.recoverExpired(fence2, decideLeaseExpiry(c2!, fence2, 58_101)!.write), false);
      await db.jobs.transition(a.id, decideCancel((await db.jobs.get(ADMIN, a.id))!, 58_200));
      assert.equal(await db.jobs.transition(a.id, decideCancel(c2!, 58_201)), false);
      await db.jobs.transition(a.id, decideRetryByUser((await db.jobs.get(ADMIN, a.id))!, 58_300));
      assert.equal(await db.jobs.transition(a.id, decideRetryByUser({ ...c2!, status: 'failed' }, 58_301)), false, 'already queued');
      assert.equal(await db.jobs.transition(a.id, decideUndispatched((await db.jobs.get(ADMIN, a.id))!, 'x', 58_400)), true);
      assert.deepEqual((await rows(a.id)).slice(2), [row(a.id, 58_100), row(a.id, 58_300)]);

      const { job: b } = await db.jobs.create(ADMIN, newJob(59_000, { maxAttempts: 1 }));
      const cb = await db.jobs.claim(b.id, 'w1', 59_001, 10);
      const lost = decideLeaseExpiry(cb!, { id: b.id, attempt: 1 }, 59_100)!;
      assert.equal(lost.write.status, 'failed');
      assert.equal(await db.jobs.recoverExpired({ id: b.id, attempt: 1 }, lost.write), true);
      assert.equal((await db.outbox.forJob(b.id)).length, 1, 'worker_lost: no new message');
    });

    it('writes a transition and its outbox row together or not at all', async () => {
      // A message JSON cannot encode makes the outbox insert fail after the job's UPDATE ran.
      const poisoned = [{ kind: 'queue.dispatch' as const, jobId: 'x', poison: 1n }];
      const { job } = await db.jobs.create(ADMIN, newJob(59_500));
      const c = await db.jobs.claim(job.id, 'w1', 59_501, 1000);
      const fence = { id: job.id, attempt: c!.attempts };
      await assert.rejects(db.jobs.settle(fence, { ...requeued(c!, 59_502, 100), messages: poisoned }));
      const after = await db.jobs.get(ADMIN, job.id);
      assert.deepEqual([after?.status, after?.attempts, after?.leaseOwner], ['running', 1, 'w1'], 'the requeue was rolled back with its row');
      assert.equal((await db.outbox.forJob(job.id)).length, 1);
      const fresh = newJob(59_600);
      await assert.rejects(db.jobs.create(ADMIN, { ...fresh, initial: { ...fresh.initial, messages: poisoned } }));
      assert.equal(await db.jobs.get(ADMIN, fresh.id), null, 'no job without its message');
    });

    it('runs a unit of work in one transaction: everything commits, or nothing does', async () => {
      const one = newJob(59_700);
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.jobs.create(ADMIN, one);
          await tx.outbox.add([{ kind: 'queue.dispatch', jobId: one.id }], 59_701);
          throw new Error('something failed before the commit');
        }),
        /something failed/,
      );
      assert.equal(await db.jobs.get(ADMIN, one.id), null);
      assert.deepEqual(await db.outbox.forJob(one.id), []);

      const two = newJob(59_800);
      const result = await db.transaction(async (tx) => {
        await tx.jobs.create(ADMIN, two);
        const claimed = await tx.jobs.claim(two.id, 'w1', 59_801, 1000);
        await tx.jobs.settle({ id: two.id, attempt: claimed!.attempts }, decideHandBack(claimed!, 59_802).write);
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal((await db.jobs.get(ADMIN, two.id))?.status, 'queued');
      assert.deepEqual((await db.outbox.forJob(two.id)).map((r) => r.availableAt), [59_800, 59_802], 'both rows, with their transitions');

      const three = newJob(59_900);
      await assert.rejects(db.transaction(async (tx) => {
        await tx.jobs.create(ADMIN, three);
        const claimed = await tx.jobs.claim(three.id, 'w1', 59_901, 1000);
        await tx.jobs.settle({ id: three.id, attempt: claimed!.attempts }, decideHandBack(claimed!, 59_902).write);
        throw new Error('late failure');
      }));
      assert.equal(await db.jobs.get(ADMIN, three.id), null, 'a repository write inside the unit of work is rolled back with it');
      assert.deepEqual(await db.outbox.forJob(three.id), []);
    });

    it('retries failed and canceled jobs with fresh outputs and attempts, never running ones', async () => {
      const { job } = await db.jobs.create(ADMIN, newJob(60_000));
      const c = await db.jobs.claim(job.id, 'w1', 60_001, 1000);
      assert.equal(await db.jobs.transition(job.id, decideRetryByUser({ ...c!, status: 'failed' }, 60_002)), false);
      assert.equal((await db.jobs.get(ADMIN, job.id))?.status, 'running', 'retry leaves a running job alone');
      const failedOutputs: OutputState[] = [{ ...outputs[0], status: 'failed', error: { code: 'input_invalid', message: 'bad' } }];
      const warnings = [{ code: 'input_damaged' as const, message: 'ffmpeg could not cleanly decode 3 frames' }];
      const failure = decideFailure(c!, { code: 'input_invalid', message: 'bad' }, { outputs: failedOutputs, warnings }, 60_003, { baseMs: 1000 });
      assert.equal(failure.kind, 'fail');
      await db.jobs.settle({ id: job.id, attempt: c!.attempts }, failure.write);
      const failed = await db.jobs.get(ADMIN, job.id);
      assert.deepEqual([failed?.status, failed?.stage, failed?.warnings, failed?.finishedAt], ['failed', 'failed', warnings, 60_003]);
      assert.equal(await db.jobs.transition(job.id, decideRetryByUser(failed!, 60_004)), true);
      const retried = await db.jobs.get(ADMIN, job.id);
      assert.equal(retried?.status, 'queued');
      assert.deepEqual(retried?.warnings, [], 'a retry starts without warnings');
      assert.equal(retried?.attempts, 0);
      assert.equal(retried?.error, null);
      assert.deepEqual(retried?.outputs, outputs);
      assert.equal(retried?.finishedAt, null);
    });

    it('finds expired leases and recovers them: queued again, or failed when out of attempts', async () => {
      const { job } = await db.jobs.create(ADMIN, newJob(70_000, { maxAttempts: 2 }));
      await db.jobs.claim(job.id, 'w1', 70_001, 100);
      const expired = await db.jobs.expiredLeases(70_200, 100);
      assert.ok(expired.some((f) => f.id === job.id && f.attempt === 1));
      const one = { id: job.id, attempt: 1 };
      const requeue = decideLeaseExpiry((await db.jobs.get(ADMIN, job.id))!, one, 70_200)!.write;
      assert.equal(requeue.status, 'queued');
      assert.equal(await db.jobs.recoverExpired(one, requeue), true);
      assert.deepEqual(await db.jobs.get(ADMIN, job.id).then((j) => [j?.status, j?.stage, j?.runAfter, j?.leaseOwner]), ['queued', 'requeued after worker loss', 70_200, null]);
      assert.equal(await db.jobs.recoverExpired(one, requeue), false, 'recovering twice changes nothing');
      const renewed = await db.jobs.claim(job.id, 'w2', 70_300, 100);
      const two = { id: job.id, attempt: 2 };
      const fail = decideLeaseExpiry(renewed!, two, 70_500)!.write;
      assert.equal(await db.jobs.heartbeat(two, 70_350, 1000), 'running');
      assert.equal(await db.jobs.recoverExpired(two, fail), false, 'a lease renewed since the sweeper looked is not expired');
      assert.equal(await db.jobs.recoverExpired(two, { ...fail, at: 71_400 }), true);
      const failed = await db.jobs.get(ADMIN, job.id);
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.error?.code, 'worker_lost');
      assert.equal(await db.jobs.claim(job.id, 'w3', 70_600, 100), null);
    });

    it('refunds an attempt handed back at shutdown', async () => {
      const { job } = await db.jobs.create(ADMIN, newJob(80_000));
      const c = await db.jobs.claim(job.id, 'w1', 80_001, 1000);
      assert.ok(await db.jobs.settle({ id: job.id, attempt: c!.attempts }, decideHandBack(c!, 80_002).write));
      const back = await db.jobs.get(ADMIN, job.id);
      assert.equal(back?.status, 'queued');
      assert.equal(back?.attempts, 0);
    });
  });
}
