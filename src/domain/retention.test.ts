import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutputState } from './job.js';
import { effectiveRetention, jobRetention, outputsExpiry, removeOutputs, sourceExpiry } from './retention.js';
import { retentionSchema } from './retention-spec.js';

const defaults = { sourceSeconds: 7 * 86_400, outputsSeconds: null };

describe('retention rules', () => {
  it('an account setting overrides the configured default only where it is set; null is "until deleted"', () => {
    assert.deepEqual(effectiveRetention(undefined, defaults), defaults);
    assert.deepEqual(effectiveRetention({ outputsSeconds: 3600 }, defaults), { sourceSeconds: 7 * 86_400, outputsSeconds: 3600 });
    assert.deepEqual(effectiveRetention({ sourceSeconds: null }, defaults), { sourceSeconds: null, outputsSeconds: null });
  });

  it("an upload's source expires from when it was stored: its own seconds, else the settings'; null keeps it", () => {
    assert.equal(sourceExpiry(undefined, defaults, 1_000), 1_000 + 7 * 86_400_000);
    assert.equal(sourceExpiry({ sourceSeconds: 60 }, defaults, 1_000), 61_000);
    assert.equal(sourceExpiry({ sourceSeconds: 0 }, defaults, 1_000), 1_000);
    assert.equal(sourceExpiry({ sourceSeconds: null }, defaults, 1_000), null);
    assert.equal(sourceExpiry({ outputsSeconds: 5 }, { sourceSeconds: null, outputsSeconds: null }, 1_000), null);
  });

  it("a job's outputs follow the job, then its upload, then the settings; its source limit is its own only", () => {
    const settings = { sourceSeconds: 100, outputsSeconds: 200 };
    assert.deepEqual(jobRetention(undefined, undefined, settings), { outputsSeconds: 200, sourceSeconds: null });
    assert.deepEqual(jobRetention(undefined, { outputsSeconds: 50 }, settings), { outputsSeconds: 50, sourceSeconds: null });
    assert.deepEqual(jobRetention({ outputsSeconds: 10, sourceSeconds: 0 }, { outputsSeconds: 50 }, settings), { outputsSeconds: 10, sourceSeconds: 0 });
    assert.deepEqual(jobRetention({ outputsSeconds: null }, { outputsSeconds: 50 }, settings), { outputsSeconds: null, sourceSeconds: null }, 'null on the job keeps its outputs');
    assert.equal(outputsExpiry({ finishedAt: null, retention: { outputsSeconds: 10, sourceSeconds: null } }), null, 'not before it finished');
    assert.equal(outputsExpiry({ finishedAt: 5_000, retention: { outputsSeconds: 10, sourceSeconds: null } }), 15_000);
    assert.equal(outputsExpiry({ finishedAt: 5_000, retention: { outputsSeconds: null, sourceSeconds: null } }), null);
  });

  it('removing outputs says why on the succeeded ones, keeps their file lists and names every key', () => {
    const file = (key: string) => ({ name: key.split('/').pop()!, key, size: 3, contentType: 'image/jpeg' });
    const outputs: OutputState[] = [
      { spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' }, status: 'succeeded', files: [file('a/jobs/j/00-thumbnail/t.jpg')] },
      { spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' }, status: 'failed', files: [], error: { code: 'ffmpeg_failed', message: 'x' } },
    ];
    const expired = removeOutputs(outputs, 'expired');
    assert.deepEqual(expired.outputs.map((o) => o.status), ['expired', 'failed']);
    assert.deepEqual(expired.outputs[0].files, outputs[0].files);
    assert.deepEqual(expired.keys, ['a/jobs/j/00-thumbnail/t.jpg']);
    assert.deepEqual(removeOutputs(expired.outputs, 'deleted').outputs.map((o) => o.status), ['deleted', 'failed'], 'an expired output deleted later says deleted');
  });

  it('the request field takes whole seconds from 0 to ten years, or null, and nothing else', () => {
    assert.equal(retentionSchema.safeParse({ sourceSeconds: 0, outputsSeconds: null }).success, true);
    for (const bad of [{ sourceSeconds: -1 }, { sourceSeconds: 1.5 }, { outputsSeconds: 10 * 366 * 86_400 }, { other: 1 }, { sourceSeconds: '60' }]) {
      assert.equal(retentionSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});
