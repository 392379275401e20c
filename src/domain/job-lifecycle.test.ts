import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES, isDomainError, type ErrorCode } from './errors.js';
import {
  CANCELABLE,
  claimMessages,
  decideCancel,
  decideCreate,
  decideFailure,
  decideHandBack,
  decideLeaseExpiry,
  decideProgress,
  decideRetryByUser,
  decideStart,
  decideStop,
  decideSuccess,
  decideUndispatched,
  downloadingStage,
  isClaimable,
  isCurrentAttempt,
  outputsDone,
  outputsFailed,
  outputsReadyMessages,
  outputsRunning,
  retryDelayMs,
  runStage,
} from './job-lifecycle.js';
import { JOB_STATUSES, type JobRecord, type JobStatus, type OutputState } from './job.js';

/** A clock of the test's own: time moves only when the test says so. */
class TestClock {
  constructor(private t = 1_700_000_000_000) {}
  now() {
    return this.t;
  }
  advance(ms: number) {
    this.t += ms;
  }
}

const spec = { type: 'thumbnail' as const, format: 'jpg' as const, deinterlace: 'auto' as const };
const file = { name: 'thumbnail.jpg', key: 'jobs/job_1/00-thumbnail/thumbnail.jpg', size: 10, contentType: 'image/jpeg' };

function job(extra: Partial<JobRecord> = {}): JobRecord {
  return {
    id: 'job_1', accountId: 'acc_a', status: 'running', progress: 37, stage: 'thumbnail (1/1)', attempts: 1, maxAttempts: 3, uploadId: 'upl_1', inputUrl: null,
    onDamage: 'fail', probe: null, outputs: [{ spec, status: 'pending', files: [] }], userMetadata: null, error: null, warnings: [],
    createdAt: 1_000, startedAt: 2_000, finishedAt: null, runAfter: 1_000, leaseOwner: 'w1', leaseExpiresAt: null, usage: null,
    retention: { sourceSeconds: null, outputsSeconds: null }, outputsRemovedAt: null, deletedAt: null, ...extra,
  };
}

const transient = { code: 'ffmpeg_failed' as const, message: 'ffmpeg exited with code 1' };
const result = { outputs: [{ spec, status: 'failed' as const, files: [], error: transient }], warnings: [] };
const policy = { baseMs: 2_000 };
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return isDomainError(err) ? `${err.code}: ${err.message}` : String(err);
  }
  return 'allowed';
};

describe('job lifecycle: retry policy', () => {
  it('backs off 2 s, 4 s, 8 s after attempts 1, 2, 3 for a base of 2 s, counted from the failure', () => {
    assert.deepEqual([1, 2, 3, 4].map((a) => retryDelayMs(a, 2_000)), [2_000, 4_000, 8_000, 16_000]);
    const clock = new TestClock();
    const waits = [1, 2, 3].map((attempts) => {
      clock.advance(60_000);
      const d = decideFailure(job({ attempts, maxAttempts: 4 }), transient, result, clock.now(), policy);
      assert.equal(d.kind, 'requeue');
      if (d.kind !== 'requeue') return null;
      assert.deepEqual(d.write, { status: 'queued', stage: 'waiting to retry', at: clock.now(), runAfter: d.runAfter, messages: [{ kind: 'queue.dispatch', jobId: 'job_1' }], error: transient });
      assert.deepEqual(d.events, [{ jobId: 'job_1', type: 'status', status: 'queued', progress: 0, stage: 'waiting to retry', at: clock.now() }]);
      return [d.delayMs, d.runAfter - clock.now()];
    });
    assert.deepEqual(waits, [[2_000, 2_000], [4_000, 4_000], [8_000, 8_000]]);
  });

  it('retries exactly the transient codes; every other code fails the job on its first attempt', () => {
    const retried = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
      (code) => decideFailure(job({ attempts: 1 }), { code, message: 'm' }, result, 5_000, policy).kind === 'requeue',
    );
    assert.deepEqual(retried, ['too_many_uploads', 'rate_limited', 'queue_unavailable', 'url_unreachable', 'url_http_error', 'upload_locked', 'ffmpeg_failed', 'ffmpeg_stalled', 'worker_lost', 'storage_failed', 'internal']);
    const permanent = decideFailure(job({ attempts: 1 }), { code: 'input_invalid', message: 'not a video' }, result, 5_000, policy);
    assert.equal(permanent.kind, 'fail');
    assert.deepEqual(permanent.write.error, { code: 'input_invalid', message: 'not a video' });
  });

  it('fails with the last error, its outputs and warnings once the attempts are spent', () => {
    const warnings = [{ code: 'input_damaged' as const, message: 'ffmpeg could not cleanly decode 3 frames' }];
    const last = decideFailure(job({ attempts: 3, maxAttempts: 3 }), transient, { ...result, warnings }, 9_000, policy);
    assert.equal(last.kind, 'fail');
    assert.deepEqual(last.write, { status: 'failed', stage: 'failed', at: 9_000, outputs: result.outputs, error: transient, warnings, finishedAt: 9_000, messages: [{ kind: 'webhook.event', type: 'job.failed', subject: 'job', id: 'job_1', at: 9_000 }] });
    assert.deepEqual(last.events, [{ jobId: 'job_1', type: 'status', status: 'failed', progress: 37, stage: 'failed', at: 9_000 }]);
    assert.equal(decideFailure(job({ attempts: 2, maxAttempts: 3 }), transient, result, 9_000, policy).kind, 'requeue', 'one attempt left');
  });
});

describe('job lifecycle: create, claim, progress, success', () => {
  it('creates a queued job, due at once, with its queue message for the outbox', () => {
    assert.deepEqual(decideCreate('job_1', 1_000), {
      write: { status: 'queued', stage: null, at: 1_000, progress: 0, runAfter: 1_000, messages: [{ kind: 'queue.dispatch', jobId: 'job_1' }] },
      events: [{ jobId: 'job_1', type: 'status', status: 'queued', progress: 0, stage: null, at: 1_000 }],
    });
  });

  it('is claimable when queued and due, or running with an expired lease, with attempts left', () => {
    const now = 10_000;
    const cases: Array<[string, Partial<JobRecord>, boolean]> = [
      ['queued, due', { status: 'queued', runAfter: now, leaseExpiresAt: null }, true],
      ['queued, waiting for its backoff', { status: 'queued', runAfter: now + 1 }, false],
      ['running, lease expired', { status: 'running', leaseExpiresAt: now - 1 }, true],
      ['running, lease live', { status: 'running', leaseExpiresAt: now }, false],
      ['queued, attempts spent', { status: 'queued', runAfter: now, attempts: 3, maxAttempts: 3 }, false],
      ...(['succeeded', 'failed', 'canceled'] as const).map((status): [string, Partial<JobRecord>, boolean] => [status, { status, runAfter: 0, leaseExpiresAt: 0 }, false]),
    ];
    assert.deepEqual(cases.map(([what, j]) => [what, isClaimable(job(j), now)]), cases.map(([what, , ok]) => [what, ok]));
  });

  it('announces the attempt and its progress', () => {
    assert.deepEqual(decideStart(job({ progress: 12 }), 3_000).events, [{ jobId: 'job_1', type: 'status', status: 'running', progress: 12, stage: 'starting', at: 3_000 }]);
    assert.deepEqual(claimMessages('job_1', 3_000), [{ kind: 'webhook.event', type: 'job.started', subject: 'job', id: 'job_1', at: 3_000 }]);
    assert.deepEqual(decideProgress('job_1', 40, 'thumbnail (1/1)', 3_100).events, [{ jobId: 'job_1', type: 'progress', status: 'running', progress: 40, stage: 'thumbnail (1/1)', at: 3_100 }]);
    assert.equal(runStage(['clips', 'mp4', 'audio'], [0, 1, 2], 4), 'clips + mp4 + audio (1, 2, 3/4)');
    assert.equal(downloadingStage(0.427), 'downloading (42%)');
  });

  it('marks the outputs of a run running, then succeeded with their files or failed with the run error', () => {
    const outputs: OutputState[] = [{ spec, status: 'succeeded', files: [file] }, { spec, status: 'pending', files: [] }, { spec, status: 'pending', files: [] }];
    const running = outputsRunning(outputs, [1, 2]);
    assert.deepEqual(running.map((o) => o.status), ['succeeded', 'running', 'running']);
    assert.deepEqual(outputsDone(running, [1, 2], [{ files: [file], result: { at: 1 } }, { files: [] }]).slice(1), [
      { spec, status: 'succeeded', files: [file], result: { at: 1 } },
      { spec, status: 'succeeded', files: [], result: undefined },
    ]);
    assert.deepEqual(outputsFailed(running, [1, 2], transient).map((o) => [o.status, o.error]), [['succeeded', undefined], ['failed', transient], ['failed', transient]]);
  });

  it('announces each output of a run that is stored, by its index; not the run\'s failed ones nor earlier outputs', () => {
    const outputs: OutputState[] = [{ spec, status: 'succeeded', files: [file] }, { spec, status: 'succeeded', files: [file] }, { spec, status: 'failed', files: [], error: transient }];
    assert.deepEqual(outputsReadyMessages('job_1', outputs, [1, 2], 5_000), [{ kind: 'webhook.event', type: 'job.output.ready', subject: 'job', id: 'job_1', at: 5_000, output: 1 }]);
  });

  it('succeeds at 100 % with the outputs and warnings', () => {
    const outputs = [{ spec, status: 'succeeded' as const, files: [file] }];
    assert.deepEqual(decideSuccess(job(), { outputs, warnings: [] }, 8_000), {
      write: { status: 'succeeded', stage: 'done', at: 8_000, progress: 100, outputs, error: null, warnings: [], finishedAt: 8_000, messages: [{ kind: 'webhook.event', type: 'job.succeeded', subject: 'job', id: 'job_1', at: 8_000 }] },
      events: [{ jobId: 'job_1', type: 'status', status: 'succeeded', progress: 100, stage: 'done', at: 8_000 }],
    });
  });
});

describe('job lifecycle: lease expiry, shutdown, stale fences', () => {
  const fence = { id: 'job_1', attempt: 2 };

  it('requeues a job whose worker stopped answering, due now, while attempts are left; the lost attempt counts', () => {
    const clock = new TestClock(50_000);
    const d = decideLeaseExpiry(job({ attempts: 2, maxAttempts: 3, leaseExpiresAt: 49_999 }), fence, clock.now());
    assert.deepEqual(d, {
      write: { status: 'queued', stage: 'requeued after worker loss', at: 50_000, runAfter: 50_000, messages: [{ kind: 'queue.dispatch', jobId: 'job_1' }] },
      events: [{ jobId: 'job_1', type: 'status', status: 'queued', progress: 0, stage: 'requeued after worker loss', at: 50_000 }],
    });
  });

  it('fails it with worker_lost when no attempts are left', () => {
    const d = decideLeaseExpiry(job({ attempts: 2, maxAttempts: 2, leaseExpiresAt: 49_999 }), fence, 50_000);
    assert.deepEqual(d, {
      write: {
        status: 'failed', stage: 'failed', at: 50_000, finishedAt: 50_000,
        error: { code: 'worker_lost', message: 'the worker running attempt 2 stopped answering and no attempts are left' },
        messages: [{ kind: 'webhook.event', type: 'job.failed', subject: 'job', id: 'job_1', at: 50_000 }],
      },
      events: [{ jobId: 'job_1', type: 'status', status: 'failed', progress: 0, stage: 'failed', at: 50_000 }],
    });
  });

  it('leaves a job alone that moved on since the sweeper saw it', () => {
    const expired = { attempts: 2, leaseExpiresAt: 49_999 };
    assert.equal(decideLeaseExpiry(job({ ...expired, attempts: 3 }), fence, 50_000), null, 'claimed again: a newer attempt');
    assert.equal(decideLeaseExpiry(job({ ...expired, status: 'canceled' }), fence, 50_000), null, 'canceled');
    assert.equal(decideLeaseExpiry(job({ ...expired, leaseExpiresAt: 50_000 }), fence, 50_000), null, 'the heartbeat renewed the lease');
  });

  it('hands a job back at shutdown: due now, the attempt refunded, the old error cleared', () => {
    const d = decideHandBack(job({ attempts: 2, error: transient }), 7_000);
    assert.deepEqual(d, {
      write: { status: 'queued', stage: 'waiting to retry', at: 7_000, runAfter: 7_000, messages: [{ kind: 'queue.dispatch', jobId: 'job_1' }], error: null, attempts: 'refund' },
      events: [{ jobId: 'job_1', type: 'status', status: 'queued', progress: 0, stage: 'handed back at worker shutdown', at: 7_000 }],
    });
    assert.equal(decideStop('shutdown'), 'hand-back');
  });

  it('accepts an attempt write only from the current attempt of a running job', () => {
    assert.equal(isCurrentAttempt(job({ attempts: 2 }), fence), true);
    assert.equal(isCurrentAttempt(job({ attempts: 3 }), fence), false, 'the lease expired and another worker claimed it');
    assert.equal(isCurrentAttempt(job({ attempts: 2, status: 'canceled' }), fence), false, 'canceled meanwhile');
    assert.equal(isCurrentAttempt(job({ attempts: 1, status: 'queued' }), fence), false, 'handed back (refunded) meanwhile');
    assert.equal(isCurrentAttempt(job({ attempts: 2, status: 'succeeded' }), fence), false, 'already finished');
  });
});

describe('job lifecycle: cancel and retry by the user', () => {
  const steps: Array<[string, Partial<JobRecord>]> = [
    ['queued, never run', { status: 'queued', attempts: 0, stage: null, progress: 0 }],
    ['queued, waiting to retry', { status: 'queued', attempts: 1, stage: 'waiting to retry' }],
    ...['starting', 'downloading (40%)', 'probing', 'probed', 'thumbnail (1/1)'].map((stage): [string, Partial<JobRecord>] => [`running: ${stage}`, { status: 'running', stage }]),
  ];

  it('cancels a queued or running job at every step; the running attempt then removes its partial outputs', () => {
    for (const [what, j] of steps) {
      const d = decideCancel(job(j), 4_000);
      assert.deepEqual(d.from, ['queued', 'running'], what);
      assert.deepEqual(d.write, { status: 'canceled', stage: 'canceled', at: 4_000, finishedAt: 4_000, messages: [{ kind: 'webhook.event', type: 'job.canceled', subject: 'job', id: 'job_1', at: 4_000 }] }, what);
      assert.deepEqual(d.events, [{ jobId: 'job_1', type: 'status', status: 'canceled', progress: j.progress ?? 37, stage: 'canceled', at: 4_000 }], what);
    }
    assert.equal(decideStop('canceled'), 'remove-partial-outputs');
    assert.equal(decideStop('lost'), 'nothing', 'a lost lease belongs to the newer attempt: touch nothing');
  });

  it('refuses to cancel a finished job', () => {
    const answers = JOB_STATUSES.map((status) => [status, codeOf(() => decideCancel(job({ status }), 4_000))]);
    assert.deepEqual(answers, [
      ['queued', 'allowed'],
      ['running', 'allowed'],
      ['succeeded', 'job_not_cancelable: job job_1 is already succeeded'],
      ['failed', 'job_not_cancelable: job job_1 is already failed'],
      ['canceled', 'job_not_cancelable: job job_1 is already canceled'],
    ]);
    assert.deepEqual(CANCELABLE, ['queued', 'running']);
  });

  it('retries a failed or canceled job from scratch: attempts, progress, error, warnings and outputs reset', () => {
    const failed = job({
      status: 'failed', attempts: 3, progress: 60, stage: 'failed', error: transient, finishedAt: 9_000,
      warnings: [{ code: 'input_damaged', message: 'x' }], outputs: [{ spec, status: 'succeeded', files: [file], result: { at: 1 } }],
    });
    for (const status of ['failed', 'canceled'] as JobStatus[]) {
      const d = decideRetryByUser({ ...failed, status }, 12_000);
      assert.deepEqual(d.from, ['failed', 'canceled']);
      assert.deepEqual(d.write, {
        status: 'queued', stage: null, at: 12_000, progress: 0, attempts: 'reset', error: null, warnings: [],
        outputs: [{ spec, status: 'pending', files: [] }], runAfter: 12_000, messages: [{ kind: 'queue.dispatch', jobId: 'job_1' }], startedAt: null, finishedAt: null,
      });
      assert.deepEqual(d.events, [{ jobId: 'job_1', type: 'status', status: 'queued', progress: 0, stage: null, at: 12_000 }]);
    }
    assert.deepEqual(
      (['queued', 'running', 'succeeded'] as const).map((status) => codeOf(() => decideRetryByUser(job({ status }), 12_000))),
      ['queued', 'running', 'succeeded'].map((s) => `job_not_retryable: only failed or canceled jobs can be retried; job job_1 is ${s}`),
    );
  });

  it('fails a new job whose message the queue refused, only while no attempt ran', () => {
    const d = decideUndispatched(job({ status: 'queued', attempts: 0, progress: 0 }), 'the job queue did not take job job_1: down', 6_000);
    assert.deepEqual(d, {
      from: ['queued'],
      unclaimedOnly: true,
      write: { status: 'failed', stage: 'failed', at: 6_000, error: { code: 'queue_unavailable', message: 'the job queue did not take job job_1: down' }, finishedAt: 6_000, messages: [{ kind: 'webhook.event', type: 'job.failed', subject: 'job', id: 'job_1', at: 6_000 }] },
      events: [{ jobId: 'job_1', type: 'status', status: 'failed', progress: 0, stage: 'failed', at: 6_000 }],
    });
  });
});

// Pinned after `node scripts/mutation.mjs` found them held by no test (docs/testing.md).
describe('job lifecycle: rules the mutation check found unpinned', () => {
  it('never claims a running job without a lease (null is not "expired": in JS, null < now is true)', () => {
    assert.equal(isClaimable(job({ status: 'running', leaseExpiresAt: null }), 10_000), false);
  });

  it('a failed run keeps none of the files its outputs had: they are partial and removed', () => {
    const outputs: OutputState[] = [{ spec, status: 'running', files: [file] }];
    assert.deepEqual(outputsFailed(outputs, [0], transient), [{ spec, status: 'failed', files: [], error: transient }]);
  });
});
