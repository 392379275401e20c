import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import type { MediaMetadata } from '../domain/media.js';
import { clipsOutputSchema, type ClipsOutputSpec } from '../domain/outputs/clips.spec.js';
import { buildClipArgs, buildFastSeriesArgs, buildKeyframeProbeArgs, isContiguousSeries } from './clips.args.js';
import { planFrame } from './geometry.js';
import { INPUT_GUARD_ARGS } from './probe.js';

const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'info', '-nostats', '-progress', 'pipe:1'];
const CAPS = { encoders: new Set(['libx264', 'aac']) };
const IO = { inputPath: '/tmp/mf/source', outputPath: '/tmp/mf/clip-001.mp4', start: 10, end: 20.033333 };

function meta(over: Partial<MediaMetadata> = {}): MediaMetadata {
  return {
    kind: 'video', container: 'mp4', duration: 60, width: 1920, height: 1080, rotation: 0, fps: 30,
    videoCodec: 'h264', audioCodec: 'aac', bitrate: 4_000_000, hasAudio: true, hasVideo: true,
    pixelFormat: 'yuv420p', sampleAspectRatio: '1:1', frameCount: 1800,
    peakFps: 30, fieldOrder: 'progressive', ...over,
  };
}
const spec = (over: object = {}): ClipsOutputSpec => clipsOutputSchema.parse({ type: 'clips', ...over });
const args = (s: ClipsOutputSpec, m = meta()) => buildClipArgs(s, m, CAPS, planFrame(m, s), IO);

const ENCODE = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k'];
const MAP = ['-map', '0:v:0', '-map', '0:a:0', '-sn', '-dn', '-map_metadata', '-1'];
const TAIL = ['-movflags', '+faststart', '-f', 'mp4', '/tmp/mf/clip-001.mp4'];
const accurate = (vf: string | null, encode = ENCODE, map = MAP) => [
  ...HEAD, '-ss', '10', ...INPUT_GUARD_ARGS, '-i', '/tmp/mf/source', '-t', '10.033333', ...map, ...(vf ? ['-vf', vf] : []), ...encode, ...TAIL,
];

describe('clip arguments', () => {
  it('accurate, source aspect: input seek, duration, H.264/AAC, faststart, no filter', () => {
    assert.deepEqual(args(spec()), accurate(null));
  });

  it('fast: the same cut with packet copy and timestamps shifted to zero', () => {
    assert.deepEqual(args(spec({ mode: 'fast' })), [
      ...HEAD, '-ss', '10', ...INPUT_GUARD_ARGS, '-i', '/tmp/mf/source', '-t', '10.033333', ...MAP,
      '-c', 'copy', '-avoid_negative_ts', 'make_zero', ...TAIL,
    ]);
  });

  it('every aspect with crop: the largest centred region of that shape', () => {
    assert.deepEqual(args(spec({ aspect: '9:16' })), accurate('crop=608:1080,setsar=1'));
    assert.deepEqual(args(spec({ aspect: '1:1' })), accurate('crop=1080:1080,setsar=1'));
    assert.deepEqual(args(spec({ aspect: '4:5' })), accurate('crop=864:1080,setsar=1'));
    assert.deepEqual(args(spec({ aspect: '9:16', height: 1920 })), accurate('crop=608:1080,scale=1080:1920,setsar=1'));
    assert.deepEqual(args(spec({ aspect: '9:16', maxHeight: 720 })), accurate('crop=608:1080,scale=406:720,setsar=1'));
    // A portrait source made square crops top and bottom.
    assert.deepEqual(args(spec({ aspect: '1:1' }), meta({ width: 1080, height: 1920 })), accurate('crop=1080:1080,setsar=1'));
  });

  it('every aspect with pad: black bars or a blurred copy of the picture behind it', () => {
    assert.deepEqual(args(spec({ aspect: '9:16', fit: 'pad', background: 'black' })), accurate('scale=608:342,pad=608:1080:(ow-iw)/2:(oh-ih)/2:black,setsar=1'));
    assert.deepEqual(args(spec({ aspect: '1:1', fit: 'pad', background: 'black', maxHeight: 480 })), accurate('scale=480:270,pad=480:480:(ow-iw)/2:(oh-ih)/2:black,setsar=1'));
    assert.deepEqual(
      args(spec({ aspect: '4:5', fit: 'pad' })),
      accurate('split=2[bg][fg];[bg]crop=864:1080,scale=864:1080,gblur=sigma=27[bgb];[fg]scale=864:486[fgs];[bgb][fgs]overlay=(W-w)/2:(H-h)/2,setsar=1'),
    );
  });

  it('source aspect: maxHeight scales down, never up; anamorphic pixels are made square first', () => {
    assert.deepEqual(args(spec({ maxHeight: 720 })), accurate('scale=1280:720,setsar=1'));
    assert.deepEqual(args(spec({ maxHeight: 2160 })), accurate(null));
    const dv = meta({ width: 720, height: 576, sampleAspectRatio: '64:45' });
    assert.deepEqual(args(spec({ aspect: '1:1' }), dv), accurate('scale=trunc(iw*sar/2)*2:ih,setsar=1,crop=576:576,setsar=1'));
  });

  it('no audio track: no audio map, -an', () => {
    const silent = meta({ hasAudio: false, audioCodec: null });
    const encode = ENCODE.slice(0, 8).concat('-an');
    assert.deepEqual(args(spec(), silent), accurate(null, encode, ['-map', '0:v:0', '-sn', '-dn', '-map_metadata', '-1']));
  });

  it('crf and preset are passed through; a build without libx264 is output_unsupported', () => {
    const custom = args(spec({ crf: 28, preset: 'slow' }));
    assert.deepEqual(custom.slice(custom.indexOf('-c:v'), custom.indexOf('-c:v') + 6), ['-c:v', 'libx264', '-preset', 'slow', '-crf', '28']);
    const s = spec();
    assert.throws(() => buildClipArgs(s, meta(), { encoders: new Set(['aac']) }, planFrame(meta(), s), IO), (e: DomainError) => e.code === 'output_unsupported');
  });

  it('keyframe probe reads packets only, through the input guard', () => {
    assert.deepEqual(buildKeyframeProbeArgs('/tmp/mf/source'), [
      '-v', 'error', '-hide_banner', ...INPUT_GUARD_ARGS, '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'json', '-i', '/tmp/mf/source',
    ]);
  });

  it('a fast contiguous series is one segment-muxer run cutting 1 ms before each snapped keyframe', () => {
    const series = [{ start: 1.5, end: 9 }, { start: 9, end: 19.5 }, { start: 19.5, end: 60 }];
    assert.equal(isContiguousSeries(series), true);
    assert.equal(isContiguousSeries([{ start: 0, end: 5 }, { start: 4, end: 8 }]), false);
    assert.equal(isContiguousSeries([{ start: 0, end: 5 }]), false);
    assert.deepEqual(buildFastSeriesArgs(meta(), series, { inputPath: '/tmp/mf/source', outputPattern: '/tmp/mf/clip-%03d.mp4' }), [
      ...HEAD, '-ss', '1.5', ...INPUT_GUARD_ARGS, '-i', '/tmp/mf/source', '-t', '58.5', ...MAP,
      '-c', 'copy', '-avoid_negative_ts', 'disabled',
      '-f', 'segment', '-segment_times', '7.499,17.999', '-segment_start_number', '1', '-reset_timestamps', '1',
      '-segment_format', 'mp4', '-segment_format_options', 'movflags=+faststart', '/tmp/mf/clip-%03d.mp4',
    ]);
  });
});
