import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { framesOutputSchema, gifOutputSchema, thumbnailOutputSchema } from '../domain/job-spec.js';
import type { MediaMetadata } from '../domain/media.js';
import { clipsOutputSchema } from '../domain/outputs/clips.spec.js';
import { mp4OutputSchema } from '../domain/outputs/mp4.spec.js';
import { buildAnimatedArgs } from './animated.args.js';
import { buildClipArgs } from './clips.args.js';
import { buildFramesArgs } from './frames.args.js';
import { buildFusedArgs } from './fused.args.js';
import { planFrame } from './geometry.js';
import { buildMp4Args, mp4CanCopy } from './mp4.args.js';
import { buildThumbnailArgs } from './thumbnail.args.js';

/**
 * Every builder that takes video frames, on an interlaced source: the deinterlacer is the
 * first filter of the chain (before any crop or scale, which would mix the two fields),
 * and a stream copy is off the table.
 */
function meta(over: Partial<MediaMetadata> = {}): MediaMetadata {
  return {
    kind: 'video', container: 'mpegts', duration: 60, width: 1920, height: 1080, rotation: 0, fps: 25, peakFps: 25,
    videoCodec: 'h264', audioCodec: 'aac', bitrate: 4_000_000, hasAudio: true, hasVideo: true,
    pixelFormat: 'yuv420p', sampleAspectRatio: '1:1', frameCount: 1500, fieldOrder: 'tt', ...over,
  };
}
const CAPS = { encoders: new Set(['libx264', 'aac', 'mjpeg', 'gif']), hasFpsMode: true };
const BWDIF = 'bwdif=mode=send_frame:parity=tff:deint=all';
const YADIF = 'yadif=mode=send_frame:parity=tff:deint=all';
const vfOf = (args: string[]) => (args.includes('-vf') ? args[args.indexOf('-vf') + 1] : null);

const mp4 = (over: object = {}) => mp4OutputSchema.parse({ type: 'mp4', ...over });
const clips = (over: object = {}) => clipsOutputSchema.parse({ type: 'clips', ...over });
const mp4Vf = (spec: ReturnType<typeof mp4>, m = meta()) => vfOf(buildMp4Args(spec, m, CAPS, { inputPath: '/in', outputPath: '/out/video.mp4' }));

describe('mp4 renditions of an interlaced source', () => {
  it('an H.264/AAC source that would be remuxed is encoded through bwdif instead', () => {
    assert.equal(mp4CanCopy(mp4(), meta({ fieldOrder: 'progressive' })), true);
    assert.equal(mp4CanCopy(mp4(), meta()), false);
    const args = buildMp4Args(mp4(), meta(), CAPS, { inputPath: '/in', outputPath: '/out/video.mp4' });
    assert.deepEqual(args.slice(args.indexOf('-vf'), args.indexOf('-vf') + 4), ['-vf', BWDIF, '-c:v', 'libx264']);
  });
  it('deinterlace first, then scale; the field rate on request; off keeps the copy', () => {
    assert.equal(mp4Vf(mp4({ height: 720 })), `${BWDIF},scale=1280:720,setsar=1`);
    assert.equal(mp4Vf(mp4({ deinterlaceRate: 'field' })), 'bwdif=mode=send_field:parity=tff:deint=all');
    assert.equal(mp4Vf(mp4({}), meta({ fieldOrder: 'bb' })), 'bwdif=mode=send_frame:parity=bff:deint=all');
    assert.equal(mp4CanCopy(mp4({ deinterlace: 'off' }), meta()), true);
    assert.equal(mp4CanCopy(mp4({ deinterlace: 'on' }), meta({ fieldOrder: 'progressive' })), false);
    assert.equal(mp4Vf(mp4({ deinterlace: 'on' }), meta({ fieldOrder: 'progressive' })), 'bwdif=mode=send_frame:parity=auto:deint=all');
  });
});

describe('clips of an interlaced source', () => {
  const IO = { inputPath: '/in', outputPath: '/out/clip-001.mp4', start: 10, end: 20 };
  const clipVf = (s: ReturnType<typeof clips>, m = meta()) => vfOf(buildClipArgs(s, m, CAPS, planFrame(m, s), IO));
  it('accurate: bwdif before the crop; fast copies the packets as they are', () => {
    assert.equal(clipVf(clips()), BWDIF);
    assert.equal(clipVf(clips({ aspect: '9:16' })), `${BWDIF},crop=608:1080,setsar=1`);
    assert.equal(clipVf(clips({ aspect: '9:16', fit: 'pad', background: 'black' })), `${BWDIF},scale=608:342,pad=608:1080:(ow-iw)/2:(oh-ih)/2:black,setsar=1`);
    assert.equal(clipVf(clips({ mode: 'fast' })), null);
    assert.equal(clipVf(clips({ deinterlace: 'off' })), null);
  });
  it('in a fused run: after the trim (frames outside the clips are not filtered), before the geometry', () => {
    const plan = buildFusedArgs([{ spec: clips({ start: 5, end: 25, segmentSeconds: 10, aspect: '1:1' }), dir: '/w/0' }, { spec: mp4({ height: 540 }), dir: '/w/1' }], meta(), CAPS, '/in');
    const vfs = plan.args.flatMap((a, i) => (a === '-vf' ? [plan.args[i + 1]] : []));
    assert.deepEqual(vfs, [`trim=start=5:end=25,setpts=PTS-5/TB,${BWDIF},crop=1080:1080,setsar=1`, `${BWDIF},scale=960:540,setsar=1`]);
  });
});

describe('still and preview outputs of an interlaced source', () => {
  const IO = { inputPath: '/in', outputPath: '/out/x.jpg' };
  it('thumbnail: yadif on the chosen frame only (after thumbnail=), or on the frame at `time`', () => {
    const pick = vfOf(buildThumbnailArgs(thumbnailOutputSchema.parse({ type: 'thumbnail', width: 320 }), meta(), CAPS, IO));
    assert.equal(pick, `select='isnan(prev_selected_t)+gte(t-prev_selected_t,1.500000)',thumbnail=40,${YADIF},scale=320:-2,showinfo`);
    const at = vfOf(buildThumbnailArgs(thumbnailOutputSchema.parse({ type: 'thumbnail', time: 3 }), meta(), CAPS, IO));
    assert.equal(at, `${YADIF},showinfo`);
    const off = vfOf(buildThumbnailArgs(thumbnailOutputSchema.parse({ type: 'thumbnail', time: 3, deinterlace: 'off' }), meta(), CAPS, IO));
    assert.equal(off, 'showinfo');
  });
  it('frames: yadif on the selected frames, before scaling', () => {
    const args = buildFramesArgs(framesOutputSchema.parse({ type: 'frames', times: [1, 2], width: 640 }), meta(), CAPS, { inputPath: '/in', outputPattern: '/out/f-%06d.jpg' });
    assert.match(vfOf(args)!, new RegExp(`^select='[^']+',${YADIF.replace(/[=:]/g, '.')},scale=640:-2,showinfo$`));
  });
  it('gif: bwdif before the rate change (it needs neighbouring frames)', () => {
    const vf = vfOf(buildAnimatedArgs(gifOutputSchema.parse({ type: 'gif' }), meta(), CAPS, IO))!;
    assert.ok(vf.startsWith(`${BWDIF},fps=10,scale=480:-2:flags=lanczos,split[a][b];`), vf);
  });
});
