import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planChunks } from '../domain/chunk-plan.js';
import type { MediaMetadata } from '../domain/media.js';
import { mp4OutputSchema } from '../domain/job-spec.js';
import { buildVideoTimesProbeArgs, chunkKeyframeTimes, chunkSeconds, concatInputArgs, concatList, parseVideoTimes } from './chunk.args.js';
import { planDeinterlace } from './deinterlace.js';
import { buildHlsAudioArgs, buildHlsChunkArgs, buildHlsStitchArgs, buildStoryboardArgs } from './hls-chunk.args.js';
import { buildHlsArgs, planStoryboard, type HlsPlan } from './hls.args.js';
import { planLadder } from './hls.ladder.js';
import { buildMp4ChunkArgs, buildMp4StitchArgs } from './mp4-chunk.args.js';
import { INPUT_GUARD_ARGS } from './probe.js';

const NTSC = { num: 30000, den: 1001 };
const META: MediaMetadata = {
  kind: 'video', container: 'mp4', duration: 13, width: 1920, height: 1080, rotation: 0, fps: 30000 / 1001, videoCodec: 'h264', audioCodec: 'aac',
  bitrate: 4_000_000, hasAudio: true, hasVideo: true, pixelFormat: 'yuv420p', sampleAspectRatio: '1:1', frameCount: 390, peakFps: 30000 / 1001, fieldOrder: 'progressive',
};
const PLAN: HlsPlan = {
  ladder: planLadder({ renditions: [720, 360] }, META, { maxFps: 60, sourceVideoBitrate: null }),
  duration: 13, endPad: 0.067, deinterlace: planDeinterlace('auto', META), copyTop: false, hasAudio: true, segmentSeconds: 2, segmentType: 'fmp4', storyboard: null,
};
const CAPS = { encoders: new Set(['libx264', 'aac']), hasFpsMode: true };
const ENC = { preset: 'veryfast', threads: 2 };
const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'info', '-nostats', '-progress', 'pipe:1'];
const CHUNKS = planChunks({ duration: 13, rate: NTSC, segmentSeconds: 2, chunkSeconds: 4, minSeconds: 0 });
const after = (args: string[], flag: string, from = 0) => args[args.indexOf(flag, from) + 1];
const rung = (profile: string, level: string, b: number) => [
  '-c:v:0', 'libx264', '-preset:v:0', 'veryfast', '-profile:v:0', profile, '-level:v:0', level,
  '-b:v:0', String(b), '-maxrate:v:0', String(Math.round(b * 1.1)), '-bufsize:v:0', String(b * 2),
];
const gop = (keys: string) => ['-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-force_key_frames', keys, '-threads', '2', '-fps_mode', 'passthrough'];
const NO_META = ['-an', '-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1'];

describe('chunked HLS arguments', () => {
  it('a middle chunk: fast seek 2 s early with the source timeline, frame-exact trim after the constant rate, one encode per rung, no audio', () => {
    const args = buildHlsChunkArgs(PLAN, CHUNKS[1], { last: false, rate: NTSC }, CAPS, ENC, { inputPath: '/in/source', dir: '/w/chunks' });
    assert.deepEqual(args, [
      ...HEAD, '-noaccurate_seek', '-copyts', '-start_at_zero', '-ss', '2.004', ...INPUT_GUARD_ARGS, '-i', '/in/source',
      '-filter_complex', '[0:v:0]fps=30000/1001,trim=start_pts=120:end_pts=240,setpts=PTS-STARTPTS,split=2[s0][s1];[s0]scale=1280:720,setsar=1,format=yuv420p[v0];[s1]scale=640:360,setsar=1,format=yuv420p[v1]',
      '-map', '[v0]', ...NO_META, ...rung('high', '3.1', 2_800_000), ...gop('0,2.002'), '-f', 'mp4', '/w/chunks/c001_v0.mp4',
      '-map', '[v1]', ...NO_META, ...rung('main', '3.0', 800_000), ...gop('0,2.002'), '-f', 'mp4', '/w/chunks/c001_v1.mp4',
    ]);
  });

  it('the last chunk pads and cuts to the duration like the one-run graph', () => {
    const args = buildHlsChunkArgs(PLAN, CHUNKS[2], { last: true, rate: NTSC }, CAPS, ENC, { inputPath: '/in/source', dir: '/w/chunks' });
    assert.equal(after(args, '-ss'), '6.008');
    assert.match(after(args, '-filter_complex'), /^\[0:v:0\]fps=30000\/1001,tpad=stop_mode=clone:stop_duration=0\.067,trim=start_pts=240:end=13,setpts=PTS-STARTPTS,split=2/);
    assert.equal(after(args, '-force_key_frames'), '0,2.002,4.004');
    const whole = buildHlsArgs(PLAN, CAPS, ENC, { inputPath: '/in/source', outDir: '/out', spritePath: '/out/s.jpg' });
    assert.match(after(whole, '-filter_complex'), /^\[0:v:0\]fps=30000\/1001,tpad=stop_mode=clone:stop_duration=0\.067,trim=end=13,split=2/);
  });

  it('keyframe times are the exact starts of the segment frames, relative to the chunk', () => {
    const long = planChunks({ duration: 40, rate: NTSC, segmentSeconds: 2, chunkSeconds: 12, minSeconds: 0 });
    assert.equal(long[2].startFrame, 720);
    // 34 s is frame 1019, 299 frames into the chunk: 9.976633 s, not 10.01 (300 frames).
    assert.equal(chunkKeyframeTimes(long[2], NTSC).split(',')[5], '9.976633');
    assert.equal(chunkSeconds(long[0], NTSC), (360 * 1001) / 30000);
    assert.equal(chunkSeconds(long[2], NTSC), 40 - (720 * 1001) / 30000);
  });

  it('the stitch: concat per encoded rung, a copied top rung from the source, one audio track into every rung, the one-run muxer', () => {
    const args = buildHlsStitchArgs({ ...PLAN, copyTop: true }, { inputPath: '/in/source', lists: new Map([[1, '/w/chunks/v1.ffconcat']]), audioPath: '/w/chunks/audio.m4a', outDir: '/out' });
    const whole = buildHlsArgs({ ...PLAN, copyTop: true }, CAPS, ENC, { inputPath: '/in/source', outDir: '/out', spritePath: '/out/s.jpg' });
    const muxer = whole.slice(whole.indexOf('-f'));
    assert.deepEqual(args, [
      ...HEAD, ...INPUT_GUARD_ARGS, '-i', '/in/source',
      '-protocol_whitelist', 'file', '-f', 'concat', '-safe', '1', '-i', '/w/chunks/v1.ffconcat',
      '-protocol_whitelist', 'file', '-i', '/w/chunks/audio.m4a',
      '-map', '0:v:0', '-map', '2:a:0', '-map', '1:v:0', '-map', '2:a:0', '-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1', '-c', 'copy',
      ...muxer,
    ]);
    assert.throws(() => buildHlsStitchArgs(PLAN, { inputPath: '/in', lists: new Map(), audioPath: null, outDir: '/out' }), /no chunks for rung 0/);
  });

  it('audio once, as the ladder carries it; the storyboard alone from the one-run graph', () => {
    assert.deepEqual(buildHlsAudioArgs(CAPS, { inputPath: '/in/source', outputPath: '/w/a.m4a' }), [
      ...HEAD, ...INPUT_GUARD_ARGS, '-i', '/in/source', '-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1',
      '-c:a', 'aac', '-b:a', '128000', '-ac', '2', '-ar', '48000', '-f', 'mp4', '/w/a.m4a',
    ]);
    const sb = { ...PLAN, storyboard: planStoryboard(13, { width: 1920, height: 1080 }) };
    const args = buildStoryboardArgs(sb, { inputPath: '/in/source', spritePath: '/out/storyboard.jpg' });
    assert.equal(after(args, '-filter_complex'), '[0:v:0]fps=30000/1001,tpad=stop_mode=clone:stop_duration=0.067,trim=end=13,fps=1/2,scale=160:90,setsar=1,tile=7x1[sprite]');
    assert.deepEqual(args.slice(-3), ['-update', '1', '/out/storyboard.jpg']);
  });

  it('a video that starts after the file: its first packet time, and the stitch puts the first chunk back there', () => {
    assert.deepEqual(buildVideoTimesProbeArgs('/in', 16).slice(-10, -2), ['-select_streams', 'v:0', '-read_intervals', '%+#16', '-show_entries', 'packet=pts_time:format=start_time', '-of', 'json']);
    assert.deepEqual(parseVideoTimes({ format: { start_time: '1.4' }, packets: [{ pts_time: '1.521' }, { pts_time: '1.454' }, { pts_time: 'N/A' }, { pts_time: '1.488' }] }).map((t) => Math.round(t * 1000)), [54, 88, 121]);
    assert.deepEqual(parseVideoTimes({}), []);
    assert.deepEqual(concatInputArgs('/l', 1 / 30).slice(0, 2), ['-itsoffset', '0.033333']);
    assert.equal(concatInputArgs('/l', 0)[0], '-protocol_whitelist');
    const args = buildHlsStitchArgs(PLAN, { inputPath: '/in', lists: new Map([[0, '/w/v0.ffconcat'], [1, '/w/v1.ffconcat']]), audioPath: '/w/a.m4a', outDir: '/out', videoStart: 1 / 30 });
    assert.equal(args.filter((a) => a === '-itsoffset').length, 2, 'every chunked rung');
  });

  it('the concat list: names relative to the list, exact durations, none for the last; only plain names', () => {
    assert.equal(concatList([{ file: 'c000_v0.mp4', seconds: 4.004 }, { file: 'c001_v0.mp4', seconds: null }]), 'ffconcat version 1.0\nfile c000_v0.mp4\nduration 4.004\nfile c001_v0.mp4\n');
    assert.throws(() => concatList([{ file: '../x.mp4', seconds: null }]), /plain file name/);
    assert.throws(() => concatList([{ file: 'a b.mp4', seconds: null }]), /plain file name/);
  });
});

describe('chunked MP4 arguments', () => {
  const spec = mp4OutputSchema.parse({ type: 'mp4', height: 720 });
  it('a chunk: the cut a quarter frame early on source times, then the rendition\'s own filters and encoder, video only', () => {
    assert.deepEqual(buildMp4ChunkArgs(spec, META, CAPS, CHUNKS[1], NTSC, { inputPath: '/in/source', outputPath: '/w/c001_v.mp4' }), [
      ...HEAD, '-noaccurate_seek', '-copyts', '-start_at_zero', '-ss', '2.004', ...INPUT_GUARD_ARGS, '-i', '/in/source',
      '-map', '0:v:0', '-an', '-sn', '-dn', '-map_metadata', '-1', '-vf', 'trim=start=3.995658:end=7.999658,setpts=PTS-STARTPTS,scale=1280:720,setsar=1',
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-f', 'mp4', '/w/c001_v.mp4',
    ]);
    assert.equal(after(buildMp4ChunkArgs(spec, META, CAPS, CHUNKS[0], NTSC, { inputPath: '/in', outputPath: '/w/c' }), '-vf'), 'trim=end=3.995658,setpts=PTS-STARTPTS,scale=1280:720,setsar=1');
    assert.equal(after(buildMp4ChunkArgs(spec, META, CAPS, CHUNKS[2], NTSC, { inputPath: '/in', outputPath: '/w/c' }), '-vf'), 'trim=start=7.999658,setpts=PTS-STARTPTS,scale=1280:720,setsar=1');
  });
  it('the stitch: concat, stream copy, the one audio track, faststart', () => {
    assert.deepEqual(buildMp4StitchArgs({ listPath: '/w/v.ffconcat', audioPath: '/w/a.m4a', outputPath: '/w/video.mp4' }), [
      ...HEAD, '-protocol_whitelist', 'file', '-f', 'concat', '-safe', '1', '-i', '/w/v.ffconcat', '-protocol_whitelist', 'file', '-i', '/w/a.m4a',
      '-map', '0:v:0', '-map', '1:a:0', '-sn', '-dn', '-map_metadata', '-1', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', '/w/video.mp4',
    ]);
    assert.deepEqual(buildMp4StitchArgs({ listPath: '/w/v.ffconcat', audioPath: null, outputPath: '/o' }).slice(HEAD.length + 8, HEAD.length + 11), ['-map', '0:v:0', '-sn']);
  });
});
