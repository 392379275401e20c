import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MediaMetadata } from '../domain/media.js';
import { buildHlsArgs, endPadSeconds, keyframesAligned, planStoryboard, topRungCopyDecision, type HlsPlan, type SourceVideoFacts } from './hls.args.js';
import { planDeinterlace } from './deinterlace.js';
import { outputFps } from './frame-rate.js';
import { h264Level, planLadder } from './hls.ladder.js';

function video(width: number, height: number, extra: Partial<MediaMetadata> = {}): MediaMetadata {
  return {
    kind: 'video', container: 'mp4', duration: 60, width, height, rotation: 0, fps: 30, videoCodec: 'h264', audioCodec: 'aac',
    bitrate: 4_000_000, hasAudio: true, hasVideo: true, pixelFormat: 'yuv420p', sampleAspectRatio: '1:1', frameCount: 1800,
    peakFps: 30, fieldOrder: 'progressive', ...extra,
  };
}
const AUDIO_ONLY: MediaMetadata = {
  kind: 'audio', container: 'mp4', duration: 9, width: null, height: null, rotation: 0, fps: null, videoCodec: null, audioCodec: 'aac',
  bitrate: 128_000, hasAudio: true, hasVideo: false, pixelFormat: null, sampleAspectRatio: null, frameCount: null, peakFps: null, fieldOrder: null,
};
const OPTS = { maxFps: 60, sourceVideoBitrate: null };
const sizes = (meta: MediaMetadata, renditions: 'auto' | number[] = 'auto') =>
  planLadder({ renditions }, meta, OPTS).rungs.map((r) => `${r.width}x${r.height}`);

describe('auto ladder', () => {
  it('1080p: 1080/720/480/360 with table bitrates and a level per rung', () => {
    const l = planLadder({ renditions: 'auto' }, video(1920, 1080), OPTS);
    assert.deepEqual(
      l.rungs.map((r) => [r.name, r.width, r.height, r.bitrate, r.profile, r.level]),
      [['1080p', 1920, 1080, 5_000_000, 'high', 40], ['720p', 1280, 720, 2_800_000, 'high', 31], ['480p', 854, 480, 1_400_000, 'main', 31], ['360p', 640, 360, 800_000, 'main', 30]],
    );
    assert.equal(l.fps, '30');
  });
  it('720p: never upscales', () => assert.deepEqual(sizes(video(1280, 720)), ['1280x720', '854x480', '640x360']));
  it('4K: five rungs from 2160p', () => assert.deepEqual(sizes(video(3840, 2160)), ['3840x2160', '2560x1440', '1920x1080', '1280x720', '854x480']));
  it('portrait 1080×1920: the short side names the rung', () =>
    assert.deepEqual(sizes(video(1080, 1920)), ['1080x1920', '720x1280', '480x854', '360x640']));
  it('rotated phone video (stored 1920×1080, rotation 90): portrait rungs', () =>
    assert.deepEqual(sizes(video(1920, 1080, { rotation: 90 })), ['1080x1920', '720x1280', '480x854', '360x640']));
  it('1279×719: even dimensions, never larger than the source', () =>
    assert.deepEqual(sizes(video(1279, 719)), ['1278x718', '854x480', '640x360']));
  it('4:3 storage with non-square pixels (720×576, SAR 16:15) keeps the display aspect', () =>
    assert.deepEqual(sizes(video(720, 576, { sampleAspectRatio: '16:15' })), ['768x576', '640x480', '480x360']));
  it('a small source gets a 240p rung below its own size', () => assert.deepEqual(sizes(video(640, 360)), ['640x360', '426x240']));
  it('explicit heights above the source are left out', () => assert.deepEqual(sizes(video(1280, 720), [1080, 720, 360]), ['1280x720', '640x360']));
  it('explicit heights all above the source fall back to the source size', () => assert.deepEqual(sizes(video(640, 360), [1080]), ['640x360']));
  it('120 fps is capped at 60 (an integer divisor) and the bitrate table scales for high rates', () => {
    const l = planLadder({ renditions: [720] }, video(1280, 720, { fps: 120, peakFps: 120 }), OPTS);
    assert.equal(l.fps, '60');
    assert.deepEqual([l.rungs[0].bitrate, l.rungs[0].level], [4_200_000, 32]);
  });
  it('29.97 fps stays exact', () => assert.deepEqual(outputFps(29.97, 60), { value: 30000 / 1001, expr: '30000/1001' }));
  it('variable frame rate: the peak rate, not the average (30 + 10 fps parts are 30, not 20.339)', () => {
    assert.equal(planLadder({ renditions: [720] }, video(1280, 720, { fps: 20.339, peakFps: 30 }), OPTS).fps, '30');
    assert.equal(planLadder({ renditions: [720] }, video(1280, 720, { fps: 20.339, peakFps: 30 }), { ...OPTS, maxFps: 24 }).fps, '15', 'capped by an integer divisor');
  });
  it('a field-rate deinterlace doubles the rate, still under the cap', () => {
    const pal = video(1920, 1080, { fps: 25, peakFps: 25, fieldOrder: 'tt' });
    assert.equal(planLadder({ renditions: [720] }, pal, { ...OPTS, fieldRate: true }).fps, '50');
    assert.equal(planLadder({ renditions: [720] }, pal, { ...OPTS, maxFps: 30, fieldRate: true }).fps, '25');
  });
  it('no rung has a bitrate above the source video bitrate', () => {
    const l = planLadder({ renditions: 'auto' }, video(1920, 1080), { maxFps: 60, sourceVideoBitrate: 2_000_000 });
    assert.deepEqual(l.rungs.map((r) => r.bitrate), [2_000_000, 2_000_000, 1_400_000, 800_000]);
  });
  it('audio only: no video rungs', () => assert.deepEqual(planLadder({ renditions: 'auto' }, AUDIO_ONLY, OPTS).rungs, []));
  it('H.264 levels follow frame size and macroblock rate', () => {
    assert.equal(h264Level(1920, 1080, 60, 8_000_000), 42);
    assert.equal(h264Level(3840, 2160, 60, 20_000_000), 52);
  });
});

const ALIGNED: SourceVideoFacts = { profile: 'High', level: 40, bitrate: 4_500_000, keyframeTimes: Array.from({ length: 16 }, (_, i) => i * 4), inspectedUntil: 60 };

describe('top-rung stream copy', () => {
  const ladder = planLadder({ renditions: 'auto' }, video(1920, 1080), { maxFps: 60, sourceVideoBitrate: 4_500_000 });
  it('eligible: H.264 yuv420p, keyframes on every 4 s boundary, bitrate within the top rung', () =>
    assert.deepEqual(topRungCopyDecision(video(1920, 1080), ladder, ALIGNED, 4), { copy: true }));
  it('not eligible: keyframes every 5 s', () => {
    const facts = { ...ALIGNED, keyframeTimes: [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55] };
    assert.deepEqual(topRungCopyDecision(video(1920, 1080), ladder, facts, 4), { copy: false, reason: 'source keyframes are not every 4 s' });
  });
  it('not eligible: bitrate above the top rung budget', () =>
    assert.equal(topRungCopyDecision(video(1920, 1080), ladder, { ...ALIGNED, bitrate: 9_000_000 }, 4).copy, false));
  it('not eligible: HEVC, 10-bit, rotated, non-square pixels', () => {
    for (const extra of [{ videoCodec: 'hevc' }, { pixelFormat: 'yuv420p10le' }, { rotation: 90 }, { mirrored: true }, { sampleAspectRatio: '4:3' }] as Partial<MediaMetadata>[]) {
      const meta = video(1920, 1080, extra);
      assert.equal(topRungCopyDecision(meta, planLadder({ renditions: 'auto' }, meta, OPTS), ALIGNED, 4).copy, false, JSON.stringify(extra));
    }
  });
  it('not eligible: a variable frame rate, or an interlaced source that is deinterlaced', () => {
    const vfr = video(1920, 1080, { peakFps: 60 });
    assert.deepEqual(topRungCopyDecision(vfr, ladder, ALIGNED, 4), { copy: false, reason: 'variable frame rate' });
    assert.deepEqual(topRungCopyDecision(video(1920, 1080, { fieldOrder: 'tt' }), ladder, ALIGNED, 4, true), { copy: false, reason: 'source is interlaced and is deinterlaced' });
    assert.deepEqual(topRungCopyDecision(video(1920, 1080, { fieldOrder: 'tt' }), ladder, ALIGNED, 4, false), { copy: true }, 'deinterlace off: copied as it is');
  });
  it('keyframe alignment tolerates half a frame and extra keyframes', () => {
    assert.equal(keyframesAligned([0, 1.5, 4.01, 8, 9, 12], 4, 13, 30), true);
    assert.equal(keyframesAligned([0, 4.1, 8], 4, 9, 30), false);
  });
});

const plan = (meta: MediaMetadata, extra: Partial<HlsPlan> = {}): HlsPlan => {
  const ladder = planLadder({ renditions: [720, 360] }, meta, OPTS);
  return { ladder, duration: 60, endPad: 0.067, deinterlace: planDeinterlace('auto', meta), copyTop: false, hasAudio: meta.hasAudio, segmentSeconds: 4, segmentType: 'fmp4', storyboard: null, ...extra };
};
const CAPS = { encoders: new Set(['libx264', 'aac']), hasFpsMode: true };
const ENC = { preset: 'veryfast', threads: 2 };
const IO = { inputPath: '/in/source', outDir: '/out', spritePath: '/out/storyboard.jpg' };
const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('buildHlsArgs', () => {
  it('one process: decode once, split + scale per rung, var_stream_map, fixed GOP on segment boundaries', () => {
    const args = buildHlsArgs(plan(video(1920, 1080)), CAPS, ENC, IO);
    assert.equal(args.filter((a) => a === '-i').length, 1);
    assert.deepEqual(args.slice(args.indexOf('-protocol_whitelist'), args.indexOf('-protocol_whitelist') + 2), ['-protocol_whitelist', 'file']);
    assert.equal(after(args, '-filter_complex'), '[0:v:0]fps=30,tpad=stop_mode=clone:stop_duration=0.067,trim=end=60,split=2[s0][s1];[s0]scale=1280:720,setsar=1,format=yuv420p[v0];[s1]scale=640:360,setsar=1,format=yuv420p[v1]');
    assert.equal(after(args, '-var_stream_map'), 'v:0,a:0 v:1,a:1');
    assert.deepEqual([after(args, '-g'), after(args, '-keyint_min'), after(args, '-sc_threshold'), after(args, '-force_key_frames')], ['120', '120', '0', 'expr:gte(t,n_forced*4)']);
    assert.deepEqual([after(args, '-profile:v:0'), after(args, '-level:v:0'), after(args, '-profile:v:1'), after(args, '-level:v:1')], ['high', '3.1', 'main', '3.0']);
    assert.deepEqual([after(args, '-c:a'), after(args, '-ac'), after(args, '-preset:v:0'), after(args, '-threads')], ['aac', '2', 'veryfast', '2']);
    assert.equal(after(args, '-fps_mode'), 'passthrough', 'the graph made the rate constant; the muxer adds no frames');
    assert.equal(after(buildHlsArgs(plan(video(1920, 1080)), { ...CAPS, hasFpsMode: false }, ENC, IO), '-vsync'), 'passthrough');
    assert.deepEqual([after(args, '-hls_segment_type'), after(args, '-hls_segment_filename'), args.at(-1)], ['fmp4', '/out/v%v/seg_%05d.m4s', '/out/v%v/index.m3u8']);
  });
  it('top rung copied: the source stream is mapped and only the other rungs are scaled', () => {
    const args = buildHlsArgs(plan(video(1280, 720), { copyTop: true }), CAPS, ENC, IO);
    assert.deepEqual(args.slice(args.indexOf('-map'), args.indexOf('-map') + 8), ['-map', '0:v:0', '-map', '0:a:0', '-map', '[v1]', '-map', '0:a:0']);
    assert.equal(after(args, '-c:v:0'), 'copy');
    assert.equal(after(args, '-filter_complex'), '[0:v:0]fps=30,tpad=stop_mode=clone:stop_duration=0.067,trim=end=60,split=1[s1];[s1]scale=640:360,setsar=1,format=yuv420p[v1]');
  });
  it('an interlaced source: bwdif first, then the constant rate; the field rate on request', () => {
    const pal = video(1920, 1080, { fps: 25, peakFps: 25, fieldOrder: 'bb', duration: 12.5 });
    const graph = (rate: 'frame' | 'field') => {
      const ladder = planLadder({ renditions: [720] }, pal, { ...OPTS, fieldRate: rate === 'field' });
      const args = buildHlsArgs(plan(pal, { ladder, duration: 12.5, deinterlace: planDeinterlace('auto', pal, { rate }) }), CAPS, ENC, IO);
      return [after(args, '-filter_complex').split(',split')[0], after(args, '-g')];
    };
    assert.deepEqual(graph('frame'), ['[0:v:0]bwdif=mode=send_frame:parity=bff:deint=all,fps=25,tpad=stop_mode=clone:stop_duration=0.067,trim=end=12.5', '100']);
    assert.deepEqual(graph('field'), ['[0:v:0]bwdif=mode=send_field:parity=bff:deint=all,fps=50,tpad=stop_mode=clone:stop_duration=0.067,trim=end=12.5', '200']);
  });
  it('MPEG-TS segments', () => {
    const args = buildHlsArgs(plan(video(1280, 720), { segmentType: 'ts', segmentSeconds: 6 }), CAPS, ENC, IO);
    assert.deepEqual([after(args, '-hls_segment_type'), after(args, '-hls_segment_filename'), after(args, '-g')], ['mpegts', '/out/v%v/seg_%05d.ts', '180']);
    assert.equal(args.includes('-hls_fmp4_init_filename'), false);
  });
  it('no audio: video-only variants', () => {
    const args = buildHlsArgs(plan(video(1280, 720, { hasAudio: false, audioCodec: null })), CAPS, ENC, IO);
    assert.equal(after(args, '-var_stream_map'), 'v:0 v:1');
    assert.equal(args.includes('0:a:0') || args.includes('-c:a'), false);
  });
  it('the last frame is repeated for two source frame intervals at most, never seconds', () => {
    assert.equal(endPadSeconds(30, 60), 0.067);
    assert.equal(endPadSeconds(20.339, 6), 0.098, 'a 30/10 fps mix: about its 10 fps last frame');
    assert.equal(endPadSeconds(2, 60), 0.25, 'capped at the damage slack');
    assert.equal(endPadSeconds(null, 60), 0.1);
    assert.equal(endPadSeconds(30, 0.05), 0.05);
  });
  it('audio only: one AAC variant, no filter graph', () => {
    const plan: HlsPlan = {
      ladder: planLadder({ renditions: 'auto' }, AUDIO_ONLY, OPTS), duration: 9, endPad: 0.1, deinterlace: planDeinterlace('auto', AUDIO_ONLY),
      copyTop: false, hasAudio: true, segmentSeconds: 4, segmentType: 'fmp4', storyboard: null,
    };
    const args = buildHlsArgs(plan, CAPS, ENC, IO);
    assert.equal(after(args, '-var_stream_map'), 'a:0');
    assert.equal(args.includes('-filter_complex') || args.includes('-g'), false);
  });
  it('the storyboard is one more branch of the same decode', () => {
    const meta = video(1920, 1080);
    const sb = planStoryboard(60, { width: 1920, height: 1080 });
    assert.deepEqual(sb, { interval: 2, count: 30, columns: 10, rows: 3, tileWidth: 160, tileHeight: 90 });
    const args = buildHlsArgs(plan(meta, { storyboard: sb }), CAPS, ENC, IO);
    assert.match(after(args, '-filter_complex'), /split=3\[s0\]\[s1\]\[sb\];.*\[sb\]fps=1\/2,scale=160:90,setsar=1,tile=10x3\[sprite\]$/);
    assert.deepEqual(args.slice(-15, -11), ['-map', '[sprite]', '-frames:v', '1']);
    assert.equal(args.at(-1), '/out/storyboard.jpg');
  });
  it('long inputs get a sparser storyboard of at most 200 tiles', () =>
    assert.deepEqual(planStoryboard(7200, { width: 1080, height: 1920 }), { interval: 36, count: 200, columns: 10, rows: 20, tileWidth: 90, tileHeight: 160 }));
});
