import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobStatus, JobUsage } from '../domain/job.js';
import { presentUsage } from './presenters.js';

const usage: JobUsage = { inputSeconds: 6, cpuSeconds: 7200, outputs: [{ type: 'mp4', seconds: 6, bytes: 2 * 1024 ** 3 }], storageBytes: 2 * 1024 ** 3 };
const unpriced = { perCpuHour: null, perGbMonth: null };

describe('presentUsage', () => {
  it('shows a finished job its usage with the cost the configured prices give', () => {
    for (const status of ['succeeded', 'failed', 'canceled'] as JobStatus[]) {
      assert.deepEqual(presentUsage({ status, usage }, { perCpuHour: 0.5, perGbMonth: 0.25 }), { ...usage, cost: { cpu: 1, storagePerMonth: 0.5 } }, status);
    }
    assert.deepEqual(presentUsage({ status: 'succeeded', usage }, unpriced)?.cost, { cpu: null, storagePerMonth: null }, 'no price set: no figure');
  });

  it('shows none until the job has finished: a job waiting to retry carries usage so far, but has not settled', () => {
    for (const status of ['queued', 'running'] as JobStatus[]) assert.equal(presentUsage({ status, usage }, unpriced), null, status);
    assert.equal(presentUsage({ status: 'canceled', usage: null }, unpriced), null, 'canceled before it ran');
  });
});
