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
      type: 'hls', renditions: 'auto', segmentSeconds: 4, segmentType: 'fmp4', poster: true, storyboard: true, deinterlace: 'auto', deinterlaceRate: 'frame', chunking: 'auto',
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

  it('chunking: "auto", "off" or { seconds } (2…3600, whole), anything else names the field', () => {
    for (const chunking of ['auto', 'off', { seconds: 4 }, { seconds: 3600 }]) assert.ok(parse({ chunking }).success, JSON.stringify(chunking));
    const mp4 = jobRequestSchema.safeParse({ input: { uploadId: 'upl_12345678' }, outputs: [{ type: 'mp4', chunking: { seconds: 30 } }] });
    assert.ok(mp4.success && (mp4.data.outputs[0] as { chunking: unknown }).chunking !== undefined);
    assert.ok(issuePaths({ chunking: 'on' }).every((p) => p.startsWith('outputs.0.chunking')));
    assert.ok(issuePaths({ chunking: { seconds: 1 } }).some((p) => p === 'outputs.0.chunking.seconds'));
    assert.ok(issuePaths({ chunking: { seconds: 4.5 } }).some((p) => p.startsWith('outputs.0.chunking')));
    const bad = parse({ chunking: 'on' });
    assert.match(bad.error!.issues[0].message, /"auto", "off" or \{ "seconds": n \}/);
    assert.ok(issuePaths({ chunking: { seconds: 4, gop: 2 } }).some((p) => p.startsWith('outputs.0.chunking')));
  });
});
