import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import type { MediaMetadata } from '../domain/media.js';
import { gifOutputSchema, webpOutputSchema } from '../domain/outputs/animated.spec.js';
import { imageOutputSchema } from '../domain/outputs/image.spec.js';
import { buildAnimatedArgs } from './animated.args.js';
import { inspectGif, inspectWebp } from './animated.inspect.js';
import { buildImageArgs, imageGeometry } from './image.args.js';
import { INPUT_GUARD_ARGS } from './probe.js';

const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'info', '-nostats', '-progress', 'pipe:1'];
const CAPS = { encoders: new Set(['gif', 'libwebp', 'libwebp_anim', 'libaom-av1', 'mjpeg', 'png']) };
const IO = { inputPath: '/in', outputPath: '/out/x' };

function meta(over: Partial<MediaMetadata> = {}): MediaMetadata {
  return {
    kind: 'video', container: 'mp4', duration: 20, width: 1280, height: 720, rotation: 0, fps: 30,
    videoCodec: 'h264', audioCodec: null, bitrate: 1_000_000, hasAudio: false, hasVideo: true,
    pixelFormat: 'yuv420p', sampleAspectRatio: '1:1', frameCount: 600,
    peakFps: 30, fieldOrder: 'progressive', ...over,
  };
}
const still = (w: number, h: number) => meta({ kind: 'image', container: 'png_pipe', duration: null, width: w, height: h, videoCodec: 'png', pixelFormat: 'rgb24', fps: null, frameCount: 1 });

describe('animated preview arguments', () => {
  const window = (start: string) => [...HEAD, '-ss', start, ...INPUT_GUARD_ARGS, '-i', '/in', '-t', '3', '-map', '0:v:0', '-an', '-sn', '-dn', '-map_metadata', '-1'];
  it('gif: one run, palette generated from the preview frames', () => {
    assert.deepEqual(buildAnimatedArgs(gifOutputSchema.parse({ type: 'gif', start: '00:00:02' }), meta(), CAPS, IO), [
      ...window('2'),
      '-vf', 'fps=10,scale=480:-2:flags=lanczos,split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=5:diff_mode=rectangle',
      '-loop', '0', '-f', 'gif', '/out/x',
    ]);
  });
  it('webp: libwebp_anim at the asked quality; width never above the source; duration clamped to the input', () => {
    const args = buildAnimatedArgs(webpOutputSchema.parse({ type: 'webp', width: 1280, fps: 15, quality: 60, start: 18, duration: 5 }), meta({ width: 640, height: 360 }), CAPS, IO);
    assert.deepEqual(args, [
      ...HEAD, '-ss', '18', ...INPUT_GUARD_ARGS, '-i', '/in', '-t', '2', '-map', '0:v:0', '-an', '-sn', '-dn', '-map_metadata', '-1',
      '-vf', 'fps=15,scale=640:-2:flags=lanczos', '-c:v', 'libwebp_anim', '-quality', '60', '-compression_level', '4', '-loop', '0', '-f', 'webp', '/out/x',
    ]);
  });
  it('a start past the end, or a build without the encoder, is output_unsupported', () => {
    assert.throws(() => buildAnimatedArgs(gifOutputSchema.parse({ type: 'gif', start: 25 }), meta(), CAPS, IO), (e: DomainError) => e.code === 'output_unsupported');
    assert.throws(() => buildAnimatedArgs(webpOutputSchema.parse({ type: 'webp' }), meta(), { encoders: new Set(['gif']) }, IO), (e: DomainError) => e.code === 'output_unsupported' && /libwebp_anim/.test(e.message));
  });
  it('reads size and frame count from GIF and WebP structure; anything else is null', () => {
    // A 2×1 GIF with a 2-colour global table and two 1-pixel frames.
    const frame = [0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00];
    const gif = Buffer.from([...Buffer.from('GIF89a'), 2, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255, ...frame, ...frame, 0x3b]);
    assert.deepEqual(inspectGif(gif), { width: 2, height: 1, frames: 2, animated: true });
    const chunk = (id: string, body: Buffer) => Buffer.concat([Buffer.from(id), Buffer.from(new Uint32Array([body.length]).buffer), body]);
    const vp8x = Buffer.alloc(10);
    vp8x[0] = 0x02;
    vp8x.writeUIntLE(99, 4, 3);
    vp8x.writeUIntLE(49, 7, 3);
    const body = Buffer.concat([Buffer.from('WEBP'), chunk('VP8X', vp8x), chunk('ANIM', Buffer.alloc(6)), chunk('ANMF', Buffer.alloc(16)), chunk('ANMF', Buffer.alloc(16))]);
    const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.from(new Uint32Array([body.length]).buffer), body]);
    assert.deepEqual(inspectWebp(webp), { width: 100, height: 50, frames: 2, animated: true });
    assert.equal(inspectGif(Buffer.from('not a gif at all')), null);
    assert.equal(inspectWebp(Buffer.from('RIFF0000WAVEfmt xxxxxxxxxxxxxxxx')), null);
  });
});

describe('image variant arguments', () => {
  const img = (over: object) => imageOutputSchema.parse({ type: 'image', ...over });
  const head = [...HEAD, '-noautorotate', ...INPUT_GUARD_ARGS, '-i', '/in', '-map', '0:v:0', '-frames:v', '1', '-map_metadata', '-1'];
  it('contain keeps the aspect and never enlarges; cover crops the centre; fill stretches', () => {
    const src = still(2000, 1000);
    assert.deepEqual(imageGeometry(img({ width: 500 }), src), { filters: ['scale=500:250'], width: 500, height: 250 });
    assert.deepEqual(imageGeometry(img({ width: 500, height: 500 }), src), { filters: ['scale=500:250'], width: 500, height: 250 });
    assert.deepEqual(imageGeometry(img({ width: 4000 }), src), { filters: [], width: 2000, height: 1000 });
    assert.deepEqual(imageGeometry(img({ width: 300, height: 300, fit: 'cover' }), src), { filters: ['scale=600:300', 'crop=300:300'], width: 300, height: 300 });
    assert.deepEqual(imageGeometry(img({ width: 300, height: 300, fit: 'fill' }), src), { filters: ['scale=300:300'], width: 300, height: 300 });
  });
  it('every format', () => {
    const src = still(2000, 1000);
    assert.deepEqual(buildImageArgs(img({ width: 500 }), src, CAPS, IO), [...head, '-vf', 'scale=500:250', '-c:v', 'mjpeg', '-q:v', '5', '-pix_fmt', 'yuvj420p', '-f', 'image2', '-update', '1', '/out/x']);
    assert.deepEqual(buildImageArgs(img({ format: 'png' }), src, CAPS, IO), [...head, '-c:v', 'png', '-compression_level', '3', '-f', 'image2', '-update', '1', '/out/x']);
    assert.deepEqual(buildImageArgs(img({ format: 'webp', quality: 50 }), src, CAPS, IO), [...head, '-c:v', 'libwebp', '-quality', '50', '-compression_level', '4', '-f', 'image2', '-update', '1', '/out/x']);
    assert.deepEqual(buildImageArgs(img({ format: 'avif' }), src, CAPS, IO), [...head, '-c:v', 'libaom-av1', '-still-picture', '1', '-crf', '19', '-cpu-used', '6', '-pix_fmt', 'yuv420p', '-f', 'avif', '/out/x']);
  });
  it('an EXIF-oriented photo: the box holds the upright picture, and result says the upright size', () => {
    // The finding: 640×480 stored, EXIF 6 (upright 480×640), width 240 → 240×320, not a squashed 240×180.
    const phone = (rotation: number, mirrored = false) => ({ ...still(640, 480), container: 'jpeg_pipe', videoCodec: 'mjpeg', rotation, mirrored });
    assert.deepEqual(imageGeometry(img({ width: 240 }), phone(90)), { filters: ['transpose=clock', 'scale=240:320'], width: 240, height: 320 });
    assert.deepEqual(imageGeometry(img({ width: 240 }), phone(90, true)), { filters: ['transpose=cclock_flip', 'scale=240:320'], width: 240, height: 320 });
    assert.deepEqual(imageGeometry(img({ width: 240 }), phone(270, true)), { filters: ['transpose=clock_flip', 'scale=240:320'], width: 240, height: 320 });
    assert.deepEqual(imageGeometry(img({ width: 240 }), phone(180, true)), { filters: ['vflip', 'scale=240:180'], width: 240, height: 180 });
    assert.deepEqual(imageGeometry(img({}), phone(270)), { filters: ['transpose=cclock'], width: 480, height: 640 });
    assert.deepEqual(imageGeometry(img({ width: 300, height: 300, fit: 'cover' }), phone(90)), { filters: ['transpose=clock', 'scale=300:400', 'crop=300:300'], width: 300, height: 300 });
    assert.deepEqual(imageGeometry(img({ width: 100, height: 50, fit: 'fill' }), phone(0, true)), { filters: ['hflip', 'scale=100:50'], width: 100, height: 50 });
    // Non-square pixels widen the stored width before the quarter turn: 320×480 at 2:1 is 640×480, upright 480×640.
    assert.deepEqual(imageGeometry(img({ width: 240 }), { ...phone(90), width: 320, sampleAspectRatio: '2:1' }), {
      filters: ['scale=trunc(iw*sar/2)*2:ih', 'setsar=1', 'transpose=clock', 'scale=240:320'], width: 240, height: 320,
    });
    assert.deepEqual(buildImageArgs(img({ width: 240 }), phone(90), CAPS, IO), [...head, '-vf', 'transpose=clock,scale=240:320', '-c:v', 'mjpeg', '-q:v', '5', '-pix_fmt', 'yuvj420p', '-f', 'image2', '-update', '1', '/out/x']);
  });
  it('no AVIF encoder in caps is output_unsupported, naming what to use instead', () => {
    assert.throws(
      () => buildImageArgs(img({ format: 'avif' }), still(10, 10), { encoders: new Set(['mjpeg', 'png']) }, IO),
      (e: DomainError) => e.code === 'output_unsupported' && /AVIF encoder/.test(e.message),
    );
  });
});
