import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobRequestSchema } from '../job-spec.js';

const parse = (output: object) => jobRequestSchema.safeParse({ input: { uploadId: 'upl_12345678' }, outputs: [{ type: 'hls', ...output }] });
const issuePaths = (output: object) => {
  const r = parse(output);
  assert.equal(r.success, false);
  return r.error!.issues.map((i) => i.path.join('.'));
};

describe('hls output schema', () => {
  it('{ type: "hls" } gets the documented defaults', () => {
    const r = parse({});
    assert.ok(r.success);
    assert.deepEqual(r.data.outputs[0], {
      type: 'hls', renditions: 'auto', segmentSeconds: 4, segmentType: 'fmp4', poster: true, storyboard: true, deinterlace: 'auto', deinterlaceRate: 'frame',
    });
  });

  it('explicit renditions, TS segments, no poster or storyboard', () => {
    const r = parse({ renditions: [1080, 720, 480, 360], segmentSeconds: 6, segmentType: 'ts', poster: false, storyboard: false });
    assert.ok(r.success);
  });

  it('rejections name the field', () => {
    assert.deepEqual(issuePaths({ renditions: [720, 720] }), ['outputs.0.renditions']);
    assert.deepEqual(issuePaths({ renditions: [100] }), ['outputs.0.renditions.0']);
    assert.deepEqual(issuePaths({ renditions: [] }), ['outputs.0.renditions']);
    assert.deepEqual(issuePaths({ segmentSeconds: 0 }), ['outputs.0.segmentSeconds']);
    assert.deepEqual(issuePaths({ segmentSeconds: 2.5 }), ['outputs.0.segmentSeconds']);
    assert.deepEqual(issuePaths({ segmentType: 'dash' }), ['outputs.0.segmentType']);
    assert.deepEqual(issuePaths({ codec: 'hevc' }), ['outputs.0']);
    assert.deepEqual(issuePaths({ deinterlace: 'yes' }), ['outputs.0.deinterlace']);
    assert.deepEqual(issuePaths({ deinterlaceRate: 'double' }), ['outputs.0.deinterlaceRate']);
  });
});
