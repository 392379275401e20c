import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AbortedError, DomainError, ERROR_CODES, type ErrorCode } from '../../domain/errors.js';
import { STAGES } from '../../domain/job-lifecycle.js';
import { AttemptRig, SETTINGS } from '../../../test/helpers/attempt-rig.js';
import { settleFailure, settleSuccess } from './settle.step.js';
import { ADMIN } from '../../../test/helpers/principals.js';

/** The codes that retry (with attempts left); every other one fails the job at once. */
const RETRYABLE: ErrorCode[] = [
  'too_many_uploads', 'rate_limited', 'queue_unavailable', 'url_unreachable', 'url_http_error', 'upload_locked', 'ffmpeg_failed', 'ffmpeg_stalled', 'worker_lost', 'storage_failed', 'internal',
];

describe('settle step', { timeout: 30_000 }, () => {
  let rig: AttemptRig;
  before(async () => {
    rig = await AttemptRig.open();
  });
  after(async () => rig.close());

  it('backs off base, 2×base, 4×base from the failure, stores runAfter and an outbox row, then fails on the last attempt', async () => {
    const job = await rig.job({ maxAttempts: 4 });
    const base = SETTINGS.retryBaseMs;
    const seen: Array<{ status: string; runAfter: number | null; delay: number | null }> = [];
    for (let n = 1; n <= 4; n++) {
      const claimed = await rig.claim(job.id);
      assert.equal(claimed.attempts, n);
      rig.clock.advance(123); // the failure comes a little after the claim: the delay counts from the failure
      const failedAt = rig.clock.now();
      rig.sent.length = 0;
      const rowsBefore = (await rig.db.outbox.forJob(job.id)).length;
      await settleFailure(rig.attempt(claimed), new DomainError('ffmpeg_failed', 'ffmpeg exited with code 1'));
      const stored = (await rig.db.jobs.get(ADMIN, job.id))!;
      seen.push({ status: stored.status, runAfter: stored.status === 'queued' ? stored.runAfter - failedAt : null, delay: rig.sent.length ? stored.runAfter - failedAt : null });
      if (stored.status === 'queued') {
        assert.equal(stored.stage, STAGES.waitingToRetry);
        assert.equal(stored.error?.code, 'ffmpeg_failed');
        assert.deepEqual(rig.sent, [{ jobId: job.id }], 'one send, right after the write');
        const added = (await rig.db.outbox.forJob(job.id)).slice(rowsBefore);
        assert.deepEqual(added.map((r) => [r.message, r.availableAt]), [[{ kind: 'queue.dispatch', jobId: job.id }, failedAt]], 'the write put its message in the outbox');
      }
      if (stored.status === 'failed') assert.deepEqual([stored.stage, stored.error?.code, stored.finishedAt], [STAGES.failed, 'ffmpeg_failed', failedAt]);
      rig.clock.t = stored.runAfter; // due again
    }
    assert.deepEqual(seen, [
      { status: 'queued', runAfter: base, delay: base },
      { status: 'queued', runAfter: 2 * base, delay: 2 * base },
      { status: 'queued', runAfter: 4 * base, delay: 4 * base },
      { status: 'failed', runAfter: null, delay: null },
    ]);
  });

  it('retries exactly the transient codes; every other code fails the job on its first attempt', async () => {
    const outcome: Record<string, string> = {};
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const claimed = await rig.claim((await rig.job()).id);
      rig.sent.length = 0;
      await settleFailure(rig.attempt(claimed), new DomainError(code, `it went wrong: ${code}`));
      const stored = (await rig.db.jobs.get(ADMIN, claimed.id))!;
      outcome[code] = stored.status;
      assert.equal(rig.sent.length, stored.status === 'queued' ? 1 : 0, `${code}: a message exactly when requeued`);
      assert.equal(stored.error?.code, code);
    }
    const expected = Object.fromEntries(Object.keys(ERROR_CODES).map((c) => [c, RETRYABLE.includes(c as ErrorCode) ? 'queued' : 'failed']));
    assert.deepEqual(outcome, expected);
  });

  it('an error without a code is internal, and retries', async () => {
    const claimed = await rig.claim((await rig.job()).id);
    await settleFailure(rig.attempt(claimed), new TypeError('x is undefined'));
    const stored = (await rig.db.jobs.get(ADMIN, claimed.id))!;
    assert.deepEqual([stored.status, stored.error], ['queued', { code: 'internal', message: 'x is undefined' }]);
  });

  it('shutdown hands the job back: queued, due now, the attempt refunded, one message due now', async () => {
    const claimed = await rig.claim((await rig.job()).id);
    assert.equal(claimed.attempts, 1);
    const attempt = rig.attempt(claimed);
    rig.clock.advance(5_000);
    rig.sent.length = 0;
    const from = rig.published.length;
    const rowsBefore = (await rig.db.outbox.forJob(claimed.id)).length;
    attempt.abort('shutdown');
    await settleFailure(attempt, new AbortedError());
    const stored = (await rig.db.jobs.get(ADMIN, claimed.id))!;
    assert.deepEqual(
      [stored.status, stored.attempts, stored.stage, stored.error, stored.runAfter, stored.leaseOwner],
      ['queued', 0, STAGES.waitingToRetry, null, rig.clock.now(), null],
    );
    assert.deepEqual(rig.sent, [{ jobId: claimed.id }]);
    const added = (await rig.db.outbox.forJob(claimed.id)).slice(rowsBefore);
    assert.deepEqual(added.map((r) => [r.message, r.availableAt]), [[{ kind: 'queue.dispatch', jobId: claimed.id }, rig.clock.now()]], 'the hand-back put its message in the outbox, due now');
    assert.deepEqual(rig.published.slice(from).map((e) => [e.status, e.stage]), [['queued', STAGES.handedBack]]);
  });

  describe('a stale fence (another attempt owns the job) writes, sends and publishes nothing', () => {
    const takenOver = async () => {
      const job = await rig.job();
      const first = await rig.claim(job.id, 'w1');
      rig.clock.advance(SETTINGS.leaseMs + 1); // w1's lease ran out; w2 claims the job again
      const second = await rig.claim(job.id, 'w2');
      assert.equal(second.attempts, 2);
      rig.sent.length = 0;
      return { stale: rig.attempt(first), current: second, from: rig.published.length };
    };
    const unchanged = async (t: Awaited<ReturnType<typeof takenOver>>) => {
      assert.deepEqual(await rig.db.jobs.get(ADMIN, t.current.id), t.current, 'the row is as the current attempt left it');
      assert.deepEqual(rig.sent, []);
      assert.deepEqual(rig.published.slice(t.from), []);
    };

    it('success', async () => {
      const t = await takenOver();
      await settleSuccess(t.stale);
      await unchanged(t);
    });
    it('retryable failure', async () => {
      const t = await takenOver();
      await settleFailure(t.stale, new DomainError('ffmpeg_failed', 'boom'));
      await unchanged(t);
    });
    it('permanent failure', async () => {
      const t = await takenOver();
      await settleFailure(t.stale, new DomainError('input_invalid', 'not media'));
      await unchanged(t);
    });
    it('hand-back at shutdown', async () => {
      const t = await takenOver();
      t.stale.abort('shutdown');
      await settleFailure(t.stale, new AbortedError());
      await unchanged(t);
    });
  });
});
