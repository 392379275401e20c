import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import type { OutputSpec } from '../domain/job-spec.js';
import type { MediaMetadata } from '../domain/media.js';
import { audioOutputSchema } from '../domain/outputs/audio.spec.js';
import { clipsOutputSchema } from '../domain/outputs/clips.spec.js';
import { framesOutputSchema } from '../domain/outputs/frames.spec.js';
import { mp4OutputSchema } from '../domain/outputs/mp4.spec.js';
import { buildFusedArgs, isFusable, planRuns, type FusableSpec } from './fused.args.js';
import { INPUT_GUARD_ARGS } from './probe.js';

const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'info', '-nostats', '-progress', 'pipe:1', ...INPUT_GUARD_ARGS, '-i', '/in'];
const CAPS = { encoders: new Set(['libx264', 'aac', 'libmp3lame']) };
const MAP = ['-map', '0:v:0', '-map', '0:a:0', '-sn', '-dn', '-map_metadata', '-1'];
const MAP_SILENT = ['-map', '0:v:0', '-sn', '-dn', '-map_metadata', '-1'];
const X264 = (preset: string, crf: number) => ['-c:v', 'libx264', '-preset', preset, '-crf', String(crf), '-pix_fmt', 'yuv420p'];
const AAC = ['-c:a', 'aac', '-b:a', '128k'];
const SEGMENT = ['-segment_start_number', '1', '-reset_timestamps', '1', '-segment_format', 'mp4', '-segment_format_options', 'movflags=+faststart'];
const FASTSTART = ['-movflags', '+faststart', '-f', 'mp4'];

function meta(over: Partial<MediaMetadata> = {}): MediaMetadata {
  return {
    kind: 'video', container: 'mp4', duration: 60, width: 1920, height: 1080, rotation: 0, fps: 30,
    videoCodec: 'h264', audioCodec: 'aac', bitrate: 4_000_000, hasAudio: true, hasVideo: true,
    pixelFormat: 'yuv420p', sampleAspectRatio: '1:1', frameCount: 1800,
    peakFps: 30, fieldOrder: 'progressive', ...over,
  };
}
const clips = (over: object = {}) => clipsOutputSchema.parse({ type: 'clips', ...over });
const mp4 = (over: object = {}) => mp4OutputSchema.parse({ type: 'mp4', ...over });
const audio = (over: object = {}) => audioOutputSchema.parse({ type: 'audio', ...over });
const fused = (specs: FusableSpec[], m = meta()) => buildFusedArgs(specs.map((spec, i) => ({ spec, dir: `/w/${i}` })), m, CAPS, '/in');

describe('planRuns: which outputs share one ffmpeg run', () => {
  it('groups accurate clips, mp4 and audio in order; fast clips, ranges and other types run alone', () => {
    const specs: OutputSpec[] = [
      clips({ segmentSeconds: 10, aspect: '9:16' }),
      framesOutputSchema.parse({ type: 'frames', fps: 1 }),
      mp4({ height: 720 }),
      clips({ segmentSeconds: 10, mode: 'fast' }),
      audio({ format: 'mp3' }),
      clips({ ranges: [{ start: 1, end: 2 }] }),
    ];
    assert.deepEqual(planRuns(specs, meta()), [[0, 2, 4], [1], [3], [5]]);
  });

  it('one clips output a group, at most four outputs a group; a lone fusable output is a run of its own', () => {
    const specs = [clips({}), clips({ aspect: '1:1' }), mp4(), mp4({ height: 480 }), mp4({ height: 240 }), audio()];
    assert.deepEqual(planRuns(specs, meta()), [[0, 2, 3, 4], [1, 5]]);
    assert.deepEqual(planRuns([mp4(), frames()], meta()), [[0], [1]]);
  });

  it('an mp4 that asks for chunks runs alone (its chunks are runs of their own); "auto" and "off" still fuse', () => {
    assert.deepEqual(planRuns([mp4({ chunking: { seconds: 30 } }), audio(), mp4({ chunking: 'off' })], meta()), [[0], [1, 2]]);
    assert.deepEqual(planRuns([mp4({ chunking: 'auto' }), audio()], meta()), [[0, 1]]);
  });

  it('leaves to their own run what their own handler refuses: no audio, not a video, past the end, no duration', () => {
    assert.deepEqual(planRuns([mp4(), audio()], meta({ hasAudio: false, audioCodec: null })), [[0], [1]]);
    assert.deepEqual(planRuns([mp4(), audio()], meta({ kind: 'audio', hasVideo: false, width: null, height: null })), [[0], [1]]);
    assert.deepEqual(planRuns([clips({ start: 70 }), mp4()], meta()), [[0], [1]]);
    assert.deepEqual(planRuns([clips({ segmentSeconds: 0.5 }), mp4()], meta({ duration: 3600 })), [[0], [1]], 'over 1000 clips');
    assert.equal(isFusable(mp4(), meta({ duration: null })), false);
  });
});

function frames() {
  return framesOutputSchema.parse({ type: 'frames', fps: 1 });
}

describe('buildFusedArgs: one argv for several outputs', () => {
  it('clips series + mp4 + audio: one input, three outputs; the series cuts with forced keyframes 1 ms before each cut', () => {
    const plan = fused([clips({ segmentSeconds: 10, aspect: '9:16', preset: 'ultrafast' }), mp4({ height: 720 }), audio({ format: 'mp3' })]);
    const cuts = '9.999,19.999,29.999,39.999,49.999';
    assert.deepEqual(plan.args, [
      ...HEAD,
      ...MAP, '-vf', 'crop=608:1080,setsar=1', ...X264('ultrafast', 20), ...AAC,
      '-force_key_frames', cuts, '-avoid_negative_ts', 'disabled', '-f', 'segment', '-segment_times', cuts, ...SEGMENT, '/w/0/clip-%03d.mp4',
      ...MAP, '-vf', 'scale=1280:720,setsar=1', ...X264('veryfast', 23), ...AAC, ...FASTSTART, '/w/1/video.mp4',
      '-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1', '-c:a', 'libmp3lame', '-b:a', '192k', '-f', 'mp3', '/w/2/audio.mp3',
    ]);
    assert.equal(plan.args.filter((a) => a === '-i').length, 1, 'the source is read once');
    assert.equal(plan.span, 60);
    const [c, v, a] = plan.outputs;
    assert.equal(c.type, 'clips');
    if (c.type === 'clips') {
      assert.deepEqual(c.clips.map((x) => [x.file, x.start, x.end]), [0, 1, 2, 3, 4, 5].map((i) => [`clip-00${i + 1}.mp4`, i * 10, i * 10 + 10]));
      assert.deepEqual([c.frame.width, c.frame.height, c.dir], [608, 1080, '/w/0']);
    }
    assert.deepEqual([v.type, v.type === 'mp4' && v.path], ['mp4', '/w/1/video.mp4']);
    assert.deepEqual([a.type, a.type === 'audio' && a.path], ['audio', '/w/2/audio.mp3']);
  });

  it('a trimmed series: trim/atrim cut the range, the timeline shifts by exactly the start, cuts are relative to it', () => {
    const plan = fused([clips({ start: '00:00:01.500', end: 31.5, segmentSeconds: 10, preset: 'ultrafast' }), audio({ format: 'wav' })]);
    const cuts = '9.999,19.999';
    assert.deepEqual(plan.args.slice(HEAD.length, HEAD.length + 32), [
      ...MAP,
      '-vf', 'trim=start=1.5:end=31.5,setpts=PTS-1.5/TB',
      '-af', 'atrim=start=1.5:end=31.5,asetpts=PTS-1.5/TB',
      ...X264('ultrafast', 20), ...AAC,
      '-force_key_frames', cuts, '-avoid_negative_ts', 'disabled', '-f', 'segment', '-segment_times', cuts,
    ]);
    assert.equal(plan.span, 60, 'the wav covers the whole source');
    // Only an end: no shift; only a start: no end bound.
    const endOnly = fused([clips({ end: 20, segmentSeconds: 10 }), mp4()]).args;
    assert.deepEqual(endOnly.slice(endOnly.indexOf('-vf'), endOnly.indexOf('-vf') + 4), ['-vf', 'trim=end=20', '-af', 'atrim=end=20']);
    const startOnly = fused([clips({ start: 30 }), mp4()]).args;
    assert.deepEqual(startOnly.slice(startOnly.indexOf('-vf'), startOnly.indexOf('-vf') + 4), [
      '-vf', 'trim=start=30,setpts=PTS-30/TB', '-af', 'atrim=start=30,asetpts=PTS-30/TB',
    ]);
  });

  it('one clip (no segmentSeconds) is a plain MP4, not the segment muxer; a 1000-clip series pads names to 4 digits', () => {
    const plan = fused([clips({ start: 5, end: 8 }), mp4()]);
    const at = plan.args.indexOf('/w/0/clip-001.mp4');
    assert.deepEqual(plan.args.slice(at - 4, at + 1), [...FASTSTART, '/w/0/clip-001.mp4']);
    assert.equal(plan.args.includes('segment'), false);
    assert.equal(plan.args.includes('-force_key_frames'), false);
    const many = fused([clips({ segmentSeconds: 3.6 }), mp4()], meta({ duration: 3600 }));
    assert.ok(many.args.includes('/w/0/clip-%04d.mp4'));
    const c = many.outputs[0];
    assert.equal(c.type === 'clips' && c.clips[999].file, 'clip-1000.mp4');
  });

  it('every aspect and fit keeps the clip filter of its own run, after the trim', () => {
    const vfOf = (over: object) => {
      const args = fused([clips({ end: 30, ...over }), mp4()]).args;
      return args[args.indexOf('-vf') + 1];
    };
    assert.equal(vfOf({}), 'trim=end=30');
    assert.equal(vfOf({ aspect: '1:1', maxHeight: 360 }), 'trim=end=30,crop=1080:1080,scale=360:360,setsar=1');
    assert.equal(vfOf({ aspect: '4:5' }), 'trim=end=30,crop=864:1080,setsar=1');
    assert.equal(vfOf({ aspect: '9:16', height: 1920 }), 'trim=end=30,crop=608:1080,scale=1080:1920,setsar=1');
    assert.equal(vfOf({ aspect: '9:16', fit: 'pad', background: 'black' }), 'trim=end=30,scale=608:342,pad=608:1080:(ow-iw)/2:(oh-ih)/2:black,setsar=1');
    assert.equal(
      vfOf({ aspect: '9:16', fit: 'pad', maxHeight: 640 }),
      'trim=end=30,split=2[bg][fg];[bg]crop=608:1080,scale=360:640,gblur=sigma=16[bgb];[fg]scale=360:202[fgs];[bgb][fgs]overlay=(W-w)/2:(H-h)/2,setsar=1',
    );
    // Anamorphic source: square the pixels first, as in the clip's own run.
    const dvd = meta({ width: 720, height: 576, sampleAspectRatio: '64:45' });
    const args = fused([clips({ aspect: '9:16' }), mp4()], dvd).args;
    assert.equal(args[args.indexOf('-vf') + 1], 'scale=trunc(iw*sar/2)*2:ih,setsar=1,crop=324:576,setsar=1');
  });

  it('copy vs encode: a satisfying source is stream-copied next to the encoded clips; m4a copies AAC', () => {
    const plan = fused([clips({ segmentSeconds: 30 }), mp4(), audio({ format: 'm4a' })]);
    const after = plan.args.slice(plan.args.indexOf('/w/0/clip-%03d.mp4') + 1);
    assert.deepEqual(after, [
      ...MAP, '-c', 'copy', ...FASTSTART, '/w/1/video.mp4',
      '-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1', '-c:a', 'copy', '-movflags', '+faststart', '-f', 'mp4', '/w/2/audio.m4a',
    ]);
  });

  it('two mp4 renditions of different heights and a silent source: -an, no audio filter', () => {
    const silent = meta({ hasAudio: false, audioCodec: null, videoCodec: 'mpeg4' });
    const plan = fused([mp4({ height: 720 }), mp4({ height: 360, crf: 28 }), clips({ end: 10, preset: 'ultrafast' })], silent);
    assert.deepEqual(plan.args.slice(HEAD.length), [
      ...MAP_SILENT, '-vf', 'scale=1280:720,setsar=1', ...X264('veryfast', 23), '-an', ...FASTSTART, '/w/0/video.mp4',
      ...MAP_SILENT, '-vf', 'scale=640:360,setsar=1', ...X264('veryfast', 28), '-an', ...FASTSTART, '/w/1/video.mp4',
      ...MAP_SILENT, '-vf', 'trim=end=10', ...X264('ultrafast', 20), '-an', ...FASTSTART, '/w/2/clip-001.mp4',
    ]);
  });

  it('refuses what the separate runs refuse: no H.264 encoder, audio from a silent input', () => {
    assert.throws(
      () => buildFusedArgs([{ spec: mp4({ crf: 20 }), dir: '/w/0' }, { spec: audio(), dir: '/w/1' }], meta(), { encoders: new Set(['aac']) }, '/in'),
      (e: DomainError) => e.code === 'output_unsupported' && /libx264/.test(e.message),
    );
    assert.throws(() => fused([mp4(), audio()], meta({ hasAudio: false })), (e: DomainError) => e.code === 'input_has_no_audio');
  });
});
