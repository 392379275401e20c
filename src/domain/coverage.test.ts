import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clipsCoverage, framesCoverage, hlsCoverage, isShort, previewCoverage, renditionCoverage, sourceEnd } from './coverage.js';
import type { FramesOutputSpec } from './outputs/frames.spec.js';
import type { MediaMetadata } from './media.js';

const meta = (over: Partial<MediaMetadata> = {}): MediaMetadata => ({
  kind: 'video', container: 'mp4', duration: 6.016, width: 320, height: 240, rotation: 0, fps: 25, peakFps: 25, fieldOrder: 'progressive', videoCodec: 'h264', audioCodec: 'aac',
  bitrate: 880_000, hasAudio: true, hasVideo: true, pixelFormat: 'yuv420p', sampleAspectRatio: '1:1', frameCount: 150,
  videoDuration: 6, audioDuration: 6.016, ...over,
});
const frames = (over: Partial<FramesOutputSpec>): FramesOutputSpec => ({ type: 'frames', format: 'jpg', mode: 'accurate', ...over }) as FramesOutputSpec;

describe('coverage', () => {
  it('the source end: the stream\'s own duration, else the container\'s', () => {
    assert.equal(sourceEnd(meta(), 'video'), 6);
    assert.equal(sourceEnd(meta(), 'audio'), 6.016);
    assert.equal(sourceEnd(meta({ audioDuration: 5 }), 'both'), 6);
    assert.equal(sourceEnd(meta({ videoDuration: undefined, audioDuration: undefined }), 'video'), 6.016);
    assert.equal(sourceEnd(meta({ hasAudio: false }), 'audio'), 6.016, 'no such stream: the container duration');
  });

  it('renditions: short by more than a quarter second and a frame', () => {
    assert.deepEqual(renditionCoverage(5.8, meta(), 'both'), { produced: 5.8, expected: 6.016, tolerance: 0.29 });
    assert.equal(isShort(renditionCoverage(5.8, meta(), 'both')!), false);
    assert.equal(isShort(renditionCoverage(3.034, meta(), 'both')!), true);
    assert.deepEqual(renditionCoverage(6.0, meta({ audioDuration: 6.5 }), 'audio'), { produced: 6, expected: 6.5, tolerance: 0.25 });
    assert.equal(renditionCoverage(null, meta(), 'both'), null);
    assert.equal(renditionCoverage(3, meta({ duration: null, videoDuration: undefined, audioDuration: undefined }), 'both'), null);
  });

  it('an audio source longer than its video is not a short audio output', () => {
    const c = renditionCoverage(5.02, meta({ duration: 6, videoDuration: 6, audioDuration: 5 }), 'audio')!;
    assert.equal(isShort(c), false);
  });

  it('HLS: the shortest rendition\'s playlist against the video\'s end (audio-only: the audio\'s)', () => {
    assert.deepEqual(hlsCoverage([6, 5.96, 6], meta()), { produced: 5.96, expected: 6, tolerance: 0.29 });
    assert.equal(isShort(hlsCoverage([3, 3], meta())!), true);
    assert.equal(hlsCoverage([6.016], meta({ hasVideo: false }))!.expected, 6.016);
    assert.equal(hlsCoverage([], meta()), null);
  });

  it('frames at a rate: the last frame stands for its slot', () => {
    assert.deepEqual(framesCoverage(frames({ fps: 1 }), [0, 1, 2, 3, 4, 5], meta()), { produced: 6, expected: 6, tolerance: 0.04 });
    assert.deepEqual(framesCoverage(frames({ interval: 4 }), [0, 4], meta()), { produced: 6, expected: 6, tolerance: 0.04 });
    assert.equal(isShort(framesCoverage(frames({ fps: 1 }), [0, 1, 2], meta())!), true);
    assert.deepEqual(framesCoverage(frames({ fps: 1 }), [], meta()), { produced: 0, expected: 6, tolerance: 0.04 });
  });

  it('frames by count: half a slice after the last frame', () => {
    const c = framesCoverage(frames({ count: 6 }), [0.52, 1.52, 2.52, 3.52, 4.52, 5.52], meta())!;
    assert.equal(isShort(c), false);
    assert.equal(isShort(framesCoverage(frames({ count: 6 }), [0.52, 1.52, 2.52], meta())!), true);
  });

  it('frames at times: a missing reachable time is short; a time within the last frame of the end is not expected', () => {
    assert.equal(isShort(framesCoverage(frames({ times: [1, 2, 5] }), [1, 2, 5], meta())!), false);
    assert.deepEqual(framesCoverage(frames({ times: [1, 2, 5] }), [1, 2], meta()), { produced: 2, expected: 5, tolerance: 0 });
    assert.equal(isShort(framesCoverage(frames({ times: [1, 5.99] }), [1], meta())!), false, 'after the last frame at 5.96');
  });

  it('frames in fast mode: keyframes decide, no coverage', () => {
    assert.equal(framesCoverage(frames({ fps: 1, mode: 'fast' }), [0], meta()), null);
  });

  it('clips: where the last clip ends against the plan', () => {
    const clips = [
      { start: 0, plannedEnd: 2, written: 2 },
      { start: 2, plannedEnd: 4, written: 1.05 },
      { start: 4, plannedEnd: 6, written: null },
    ];
    assert.deepEqual(clipsCoverage(clips, meta()), { produced: 6, expected: 6, tolerance: 0.29 });
    assert.deepEqual(clipsCoverage(clips.slice(0, 2), meta()), { produced: 3.05, expected: 4, tolerance: 0.29 });
    assert.equal(clipsCoverage([], meta()), null);
  });

  it('animated previews: frames at the rate against the window', () => {
    assert.deepEqual(previewCoverage(30, 10, 3), { produced: 3, expected: 3, tolerance: 0.35 });
    assert.equal(isShort(previewCoverage(12, 10, 3)), true);
  });
});
