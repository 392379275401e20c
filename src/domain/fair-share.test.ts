import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickFair } from './fair-share.js';

const none = () => null;

describe('fair share: which waiting job a free slot runs', () => {
  it('nothing waiting: nothing to run', () => {
    assert.equal(pickFair([], new Map(), none), null);
  });

  it('the account with the fewest running jobs goes first, whatever it submitted or when', () => {
    const waiting = [
      { accountId: 'acc_big', oldestJobId: 'job_001', lastStartedAt: null },
      { accountId: 'acc_small', oldestJobId: 'job_900', lastStartedAt: null },
    ];
    assert.deepEqual(pickFair(waiting, new Map([['acc_big', 1]]), none), { jobId: 'job_900', accountId: 'acc_small', limited: false });
    assert.deepEqual(pickFair(waiting, new Map([['acc_big', 2], ['acc_small', 1]]), none), { jobId: 'job_900', accountId: 'acc_small', limited: false });
    assert.deepEqual(pickFair(waiting, new Map([['acc_small', 1]]), none), { jobId: 'job_001', accountId: 'acc_big', limited: false });
  });

  it('ties go to the oldest job: first in, first out', () => {
    const waiting = [
      { accountId: 'acc_b', oldestJobId: 'job_200', lastStartedAt: null },
      { accountId: 'acc_a', oldestJobId: 'job_100', lastStartedAt: null },
      { accountId: 'acc_c', oldestJobId: 'job_300', lastStartedAt: null },
    ];
    assert.equal((pickFair(waiting, new Map([['acc_a', 1], ['acc_b', 1], ['acc_c', 1]]), none) as { jobId: string }).jobId, 'job_100');
  });

  it('between accounts running as many, the one whose last job started longest ago: round robin', () => {
    const waiting = [
      { accountId: 'acc_busy', oldestJobId: 'job_001', lastStartedAt: 5_000 },
      { accountId: 'acc_waited', oldestJobId: 'job_900', lastStartedAt: 1_000 },
      { accountId: 'acc_new', oldestJobId: 'job_950', lastStartedAt: null },
    ];
    assert.equal((pickFair(waiting, new Map(), none) as { accountId: string }).accountId, 'acc_new', 'an account that has not started lately goes first');
    assert.equal((pickFair(waiting.slice(0, 2), new Map(), none) as { accountId: string }).accountId, 'acc_waited');
    assert.equal((pickFair(waiting.slice(0, 2), new Map([['acc_waited', 1]]), none) as { accountId: string }).accountId, 'acc_busy', 'fewer running comes first');
  });

  it('skips accounts at their running-jobs quota; when all are, the token is held', () => {
    const waiting = [
      { accountId: 'acc_a', oldestJobId: 'job_100', lastStartedAt: null },
      { accountId: 'acc_b', oldestJobId: 'job_200', lastStartedAt: null },
    ];
    const limits = (id: string) => (id === 'acc_a' ? 2 : id === 'acc_b' ? 1 : null);
    assert.deepEqual(pickFair(waiting, new Map([['acc_a', 1], ['acc_b', 0]]), limits), { jobId: 'job_200', accountId: 'acc_b', limited: true });
    assert.deepEqual(pickFair(waiting, new Map([['acc_a', 1], ['acc_b', 1]]), limits), { jobId: 'job_100', accountId: 'acc_a', limited: true });
    assert.equal(pickFair(waiting, new Map([['acc_a', 2], ['acc_b', 1]]), limits), 'held');
    assert.equal(pickFair(waiting, new Map([['acc_a', 3], ['acc_b', 5]]), limits), 'held', 'over the quota (it was lowered) counts as at it');
  });
});
