import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobRequestSchema } from './job-spec.js';
import { BUILT_IN_PRESETS, builtInPreset, presetCreateSchema, presetOutputsSchema } from './presets.js';

describe('presets', () => {
  it('has the four built-ins, each valid against the output schema with the outputs it promises', () => {
    assert.deepEqual(BUILT_IN_PRESETS.map((p) => p.name), ['lms-hls', 'frames-1fps', 'shorts-9x16-60s', 'web-mp4-720']);
    const parsed = Object.fromEntries(BUILT_IN_PRESETS.map((p) => [p.name, presetOutputsSchema.parse(p.outputs)]));
    assert.deepEqual(parsed['lms-hls'].map((o) => [o.type, (o as any).renditions, (o as any).poster, (o as any).storyboard]), [['hls', 'auto', true, true]]);
    assert.deepEqual(parsed['frames-1fps'].map((o) => [o.type, (o as any).fps]), [['frames', 1]]);
    const short = parsed['shorts-9x16-60s'][0] as any;
    assert.deepEqual([short.type, short.start, short.end, short.aspect, short.fit, short.mode], ['clips', 0, 60, '9:16', 'crop', 'accurate']);
    const web = parsed['web-mp4-720'][0] as any;
    assert.deepEqual([web.type, web.height], ['mp4', 720]);
    assert.equal(builtInPreset('lms-hls')?.name, 'lms-hls');
    assert.equal(builtInPreset('nope'), null);
  });

  it('checks a saved preset with the job spec: names, at least one output, known fields', () => {
    assert.equal(presetCreateSchema.safeParse({ name: 'course-720', outputs: [{ type: 'mp4', height: 720 }] }).success, true);
    for (const bad of [
      { name: 'Course 720', outputs: [{ type: 'mp4' }] },
      { name: 'x', outputs: [] },
      { name: 'x', outputs: [{ type: 'frames' }] },
      { name: 'x', outputs: [{ type: 'mp4', crf: 20, bitrate: 900 }] },
      { name: 'x', outputs: [{ type: 'mp4' }], extra: true },
    ]) {
      assert.equal(presetCreateSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });

  it('a job names a preset instead of, or together with, outputs', () => {
    assert.equal(jobRequestSchema.safeParse({ input: { uploadId: 'upl_1' }, preset: 'lms-hls' }).success, true);
    assert.equal(jobRequestSchema.safeParse({ input: { uploadId: 'upl_1' }, preset: 'lms-hls', outputs: [{ type: 'thumbnail' }] }).success, true);
    assert.equal(jobRequestSchema.safeParse({ input: { uploadId: 'upl_1' }, preset: '../x' }).success, false);
  });
});
