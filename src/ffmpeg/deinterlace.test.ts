import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outputSpecSchema } from '../domain/job-spec.js';
import type { FieldOrder, InterlaceScan, MediaMetadata } from '../domain/media.js';
import { deinterlaceResult, needsInterlaceScan, planDeinterlace, sourceScan, wantsDeinterlace, type DeinterlaceMode } from './deinterlace.js';

function meta(over: Partial<MediaMetadata> = {}): MediaMetadata {
  return {
    kind: 'video', container: 'mpegts', duration: 60, width: 1920, height: 1080, rotation: 0, fps: 25, peakFps: 25,
    videoCodec: 'h264', audioCodec: 'aac', bitrate: 8_000_000, hasAudio: true, hasVideo: true,
    pixelFormat: 'yuv420p', sampleAspectRatio: '1:1', frameCount: 1500, fieldOrder: 'tt', ...over,
  };
}
const scan = (over: Partial<InterlaceScan>): InterlaceScan => ({ tff: 0, bff: 0, progressive: 0, undetermined: 0, interlaced: false, parity: null, ...over });
const BFF_SCAN = scan({ tff: 3, bff: 280, progressive: 17, interlaced: true, parity: 'bff' });
const PROGRESSIVE_SCAN = scan({ progressive: 290, undetermined: 10 });

const BWDIF = (parity: string, mode = 'send_frame') => `bwdif=mode=${mode}:parity=${parity}:deint=all`;

describe('planDeinterlace: mode × what the source says', () => {
  const cases: Array<[DeinterlaceMode, FieldOrder, InterlaceScan | undefined, string | null]> = [
    ['auto', 'progressive', undefined, null],
    ['auto', 'tt', undefined, BWDIF('tff')],
    ['auto', 'tb', undefined, BWDIF('tff')],
    ['auto', 'bb', undefined, BWDIF('bff')],
    ['auto', 'bt', undefined, BWDIF('bff')],
    ['auto', 'unknown', undefined, null],
    ['auto', 'unknown', BFF_SCAN, BWDIF('bff')],
    ['auto', 'unknown', PROGRESSIVE_SCAN, null],
    ['on', 'progressive', undefined, BWDIF('auto')],
    ['on', 'bb', undefined, BWDIF('bff')],
    ['on', 'unknown', BFF_SCAN, BWDIF('bff')],
    ['on', 'unknown', undefined, BWDIF('auto')],
    ['off', 'tt', undefined, null],
    ['off', 'unknown', BFF_SCAN, null],
  ];
  for (const [mode, order, interlaceScan, filter] of cases) {
    it(`${mode} on ${order}${interlaceScan ? ` (idet: ${interlaceScan.interlaced ? interlaceScan.parity : 'progressive'})` : ''} → ${filter ?? 'nothing'}`, () => {
      const m = meta({ fieldOrder: order, ...(interlaceScan ? { interlaceScan } : {}) });
      assert.equal(planDeinterlace(mode, m).filter, filter);
      assert.equal(wantsDeinterlace(mode, m), filter !== null, 'the copy decisions agree with the filter');
    });
  }

  it('the field rate doubles the frames (send_field); still outputs get yadif at the frame rate', () => {
    assert.equal(planDeinterlace('auto', meta(), { rate: 'field' }).filter, BWDIF('tff', 'send_field'));
    assert.equal(planDeinterlace('auto', meta(), { rate: 'field' }).rate, 'field');
    assert.deepEqual(planDeinterlace('auto', meta({ fieldOrder: 'bb' }), { still: true, rate: 'field' }), {
      filter: 'yadif=mode=send_frame:parity=bff:deint=all', method: 'yadif', rate: 'frame', reason: "the source's field order is bb",
    });
  });

  it('audio and still images are never deinterlaced, even with on', () => {
    assert.equal(planDeinterlace('on', meta({ kind: 'audio', hasVideo: false, fieldOrder: null })).filter, null);
    assert.equal(planDeinterlace('on', meta({ kind: 'image', fieldOrder: null })).filter, null);
    assert.equal(wantsDeinterlace('on', meta({ kind: 'image', fieldOrder: null })), false);
  });

  it('the result says what was done and why', () => {
    assert.deepEqual(deinterlaceResult(planDeinterlace('auto', meta())), { applied: true, method: 'bwdif', rate: 'frame', reason: "the source's field order is tt" });
    assert.deepEqual(deinterlaceResult(planDeinterlace('auto', meta({ fieldOrder: 'progressive' }))), { applied: false, reason: 'the source is progressive' });
    assert.deepEqual(deinterlaceResult(planDeinterlace('off', meta())), { applied: false, reason: 'deinterlace is off' });
    assert.deepEqual(deinterlaceResult(planDeinterlace('on', meta({ fieldOrder: 'progressive' })), false), { applied: true, method: 'bwdif', reason: 'deinterlace is on' });
    assert.deepEqual(sourceScan(meta({ fieldOrder: 'unknown', interlaceScan: BFF_SCAN })), {
      interlaced: true, parity: 'bff', basis: 'idet', why: 'idet found interlacing (3 top-first, 280 bottom-first, 17 progressive of 300 frames)',
    });
  });
});

describe('needsInterlaceScan: only when the probe cannot tell and an output would act on it', () => {
  const specs = (...outputs: object[]) => outputs.map((o) => outputSpecSchema.parse(o));
  const unknownMpeg4 = meta({ fieldOrder: 'unknown', videoCodec: 'mpeg4', container: 'avi' });
  it('unknown field order in a codec that can be interlaced, an output on auto: scan', () => {
    assert.equal(needsInterlaceScan(unknownMpeg4, specs({ type: 'mp4' })), true);
    assert.equal(needsInterlaceScan(unknownMpeg4, specs({ type: 'audio' }, { type: 'thumbnail' })), true);
  });
  it('a known field order costs nothing, whether progressive or interlaced', () => {
    assert.equal(needsInterlaceScan(meta({ fieldOrder: 'progressive' }), specs({ type: 'hls' })), false);
    assert.equal(needsInterlaceScan(meta({ fieldOrder: 'tt' }), specs({ type: 'hls' })), false);
  });
  it('no scan for progressive-only codecs, images, audio, or outputs that would not use it', () => {
    assert.equal(needsInterlaceScan(meta({ fieldOrder: 'unknown', videoCodec: 'vp9' }), specs({ type: 'hls' })), false);
    assert.equal(needsInterlaceScan({ ...unknownMpeg4, kind: 'image', fieldOrder: null }, specs({ type: 'thumbnail' })), false);
    assert.equal(needsInterlaceScan(unknownMpeg4, specs({ type: 'audio' })), false);
    assert.equal(needsInterlaceScan(unknownMpeg4, specs({ type: 'mp4', deinterlace: 'on' }, { type: 'hls', deinterlace: 'off' })), false);
    assert.equal(needsInterlaceScan(unknownMpeg4, specs({ type: 'clips', mode: 'fast' })), false);
    assert.equal(needsInterlaceScan({ ...unknownMpeg4, interlaceScan: PROGRESSIVE_SCAN }, specs({ type: 'mp4' })), false, 'scanned once');
  });
});
