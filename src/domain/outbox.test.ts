import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dispatchMessage, outboxRetryDelayMs } from './outbox.js';

describe('outbox policy', () => {
  it('backs a refused message off base, 2×base, 4×base … by the times a relay took it, capped at max', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => outboxRetryDelayMs(n, 1000, 60_000));
    assert.deepEqual(delays, [1000, 1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    assert.equal(outboxRetryDelayMs(3, 250, 60_000), 1000, 'the base scales every step');
  });

  it('a dispatch names its job and nothing else (the relay reads route and delay from the job)', () => {
    assert.deepEqual(dispatchMessage('job_1'), { kind: 'queue.dispatch', jobId: 'job_1' });
  });
});
