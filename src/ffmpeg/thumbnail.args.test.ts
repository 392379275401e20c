import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import type { ThumbnailOutputSpec } from '../domain/job-spec.js';
import type { MediaMetadata } from '../domain/media.js';
import { buildThumbnailArgs, KEYFRAME_ONLY_AFTER_SECONDS, THUMBNAIL_CANDIDATES, thumbnailExtension } from './thumbnail.args.js';

const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'info', '-nostats', '-progress', 'pipe:1'];
const WHITELIST =
  'mov,mp4,matroska,webm,avi,mpegts,flv,mpeg,ogg,wav,mp3,aac,flac,asf,m4v,h264,hevc,ivf,mxf,caf,aiff,gif,' +
  'image2,png_pipe,jpeg_pipe,webp_pipe,bmp_pipe,tiff_pipe';
const GUARD = ['-protocol_whitelist', 'file', '-format_whitelist', WHITELIST];
const IO = { inputPath: '/tmp/mf/source', outputPath: '/tmp/mf/thumbnail.jpg' };
const CAPS = { encoders: new Set(['mjpeg', 'png', 'libwebp']), hasFpsMode: true };

function meta(over: Partial<MediaMetadata> = {}): MediaMetadata {
  return {
    kind: 'video', container: 'mp4', duration: 60, width: 1280, height: 720, rotation: 0, fps: 25,
    videoCodec: 'h264', audioCodec: 'aac', bitrate: 2_000_000, hasAudio: true, hasVideo: true,
    pixelFormat: 'yuv420p', sampleAspectRatio: '1:1', frameCount: 1500,
    peakFps: 25, fieldOrder: 'progressive', ...over,
  };
}

function spec(over: Partial<ThumbnailOutputSpec> = {}): ThumbnailOutputSpec {
  return { type: 'thumbnail', format: 'jpg', deinterlace: 'auto', ...over };
}

function expected(parts: { pre?: string[]; vf: string; sync?: string[]; codec?: string[]; out?: string }): string[] {
  return [
    ...HEAD,
    '-noautorotate', ...(parts.pre ?? []), ...GUARD, '-i', '/tmp/mf/source',
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', parts.vf,
    ...(parts.sync ?? ['-fps_mode', 'passthrough']),
    '-frames:v', '1',
    ...(parts.codec ?? ['-c:v', 'mjpeg', '-q:v', '5', '-pix_fmt', 'yuvj420p']),
    '-f', 'image2', '-update', '1',
    parts.out ?? '/tmp/mf/thumbnail.jpg',
  ];
}

function assertDomainError(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DomainError, 'expected a DomainError');
    assert.equal(err.code, code);
    return true;
  });
}

describe('buildThumbnailArgs', () => {
  it('the constants the builder is documented with', () => {
    assert.equal(THUMBNAIL_CANDIDATES, 40);
    assert.equal(KEYFRAME_ONLY_AFTER_SECONDS, 120);
  });

  it('with time: seeks on the input and takes that frame', () => {
    assert.deepEqual(buildThumbnailArgs(spec({ time: 2.5 }), meta(), CAPS, IO), [
      '-hide_banner', '-nostdin', '-y', '-loglevel', 'info', '-nostats', '-progress', 'pipe:1',
      '-noautorotate', '-ss', '2.5', '-protocol_whitelist', 'file', '-format_whitelist', WHITELIST, '-i', '/tmp/mf/source',
      '-map', '0:v:0', '-an', '-sn', '-dn',
      '-vf', 'showinfo',
      '-fps_mode', 'passthrough',
      '-frames:v', '1',
      '-c:v', 'mjpeg', '-q:v', '5', '-pix_fmt', 'yuvj420p',
      '-f', 'image2', '-update', '1',
      '/tmp/mf/thumbnail.jpg',
    ]);
  });

  it('with time 0 still seeks (0 is a time, not "no time")', () => {
    assert.deepEqual(buildThumbnailArgs(spec({ time: 0 }), meta(), CAPS, IO), expected({ pre: ['-ss', '0'], vf: 'showinfo' }));
  });

  it('with time exactly at the end is allowed', () => {
    assert.deepEqual(buildThumbnailArgs(spec({ time: 60 }), meta(), CAPS, IO), expected({ pre: ['-ss', '60'], vf: 'showinfo' }));
  });

  it('with time past the end is output_unsupported', () => {
    assertDomainError(() => buildThumbnailArgs(spec({ time: 60.5 }), meta(), CAPS, IO), 'output_unsupported');
  });

  it('with time and an unknown duration seeks without checking', () => {
    assert.deepEqual(
      buildThumbnailArgs(spec({ time: 1000 }), meta({ duration: null }), CAPS, IO),
      expected({ pre: ['-ss', '1000'], vf: 'showinfo' }),
    );
  });

  it('with time and width: scale before showinfo', () => {
    assert.deepEqual(
      buildThumbnailArgs(spec({ time: 3, width: 320 }), meta(), CAPS, IO),
      expected({ pre: ['-ss', '3'], vf: 'scale=320:-2,showinfo' }),
    );
  });

  it('image input: the one frame, no selection', () => {
    const image = meta({ kind: 'image', container: 'png_pipe', duration: null, fps: null, videoCodec: 'png', frameCount: null });
    assert.deepEqual(buildThumbnailArgs(spec(), image, CAPS, IO), expected({ vf: 'showinfo' }));
    assert.deepEqual(buildThumbnailArgs(spec({ width: 200 }), image, CAPS, IO), expected({ vf: 'scale=200:-2,showinfo' }));
  });

  it('video without a known duration: first frame, no selection', () => {
    assert.deepEqual(buildThumbnailArgs(spec(), meta({ duration: null }), CAPS, IO), expected({ vf: 'showinfo' }));
  });

  it('short video: decodes every frame, 40 candidates spread over the duration', () => {
    assert.deepEqual(
      buildThumbnailArgs(spec(), meta({ duration: 60 }), CAPS, IO),
      expected({ vf: "select='isnan(prev_selected_t)+gte(t-prev_selected_t,1.500000)',thumbnail=40,showinfo" }),
    );
  });

  it('a video of exactly KEYFRAME_ONLY_AFTER_SECONDS still decodes every frame', () => {
    assert.deepEqual(
      buildThumbnailArgs(spec(), meta({ duration: 120 }), CAPS, IO),
      expected({ vf: "select='isnan(prev_selected_t)+gte(t-prev_selected_t,3.000000)',thumbnail=40,showinfo" }),
    );
  });

  it('long video: keyframes only, skip_frame before the input', () => {
    const args = buildThumbnailArgs(spec(), meta({ duration: 600 }), CAPS, IO);
    assert.deepEqual(
      args,
      expected({ pre: ['-skip_frame', 'nokey'], vf: "select='isnan(prev_selected_t)+gte(t-prev_selected_t,15.000000)',thumbnail=40,showinfo" }),
    );
    assert.ok(args.indexOf('-skip_frame') < args.indexOf('-i'));
  });

  it('odd durations give a six-decimal step', () => {
    assert.deepEqual(
      buildThumbnailArgs(spec(), meta({ duration: 10 / 3 }), CAPS, IO),
      expected({ vf: "select='isnan(prev_selected_t)+gte(t-prev_selected_t,0.083333)',thumbnail=40,showinfo" }),
    );
  });

  it('width and non-square pixels come after the thumbnail filter', () => {
    assert.deepEqual(
      buildThumbnailArgs(spec({ width: 480 }), meta({ duration: 600, sampleAspectRatio: '16:15' }), CAPS, IO),
      expected({
        pre: ['-skip_frame', 'nokey'],
        vf: "select='isnan(prev_selected_t)+gte(t-prev_selected_t,15.000000)',thumbnail=40,scale=trunc(iw*sar/2)*2:ih,setsar=1,scale=480:-2,showinfo",
      }),
    );
  });

  it('autorotation off; an oriented image is turned upright by our filters, before the width', () => {
    const image = (over: Partial<MediaMetadata>) => meta({ kind: 'image', container: 'jpeg_pipe', duration: null, fps: null, videoCodec: 'mjpeg', frameCount: null, width: 640, height: 480, ...over });
    assert.deepEqual(buildThumbnailArgs(spec({ width: 240 }), image({ rotation: 90 }), CAPS, IO), expected({ vf: 'transpose=clock,scale=240:-2,showinfo' }));
    assert.deepEqual(buildThumbnailArgs(spec(), image({ rotation: 270, mirrored: true }), CAPS, IO), expected({ vf: 'transpose=clock_flip,showinfo' }));
    assert.deepEqual(buildThumbnailArgs(spec(), image({ rotation: 0, mirrored: true }), CAPS, IO), expected({ vf: 'hflip,showinfo' }));
    assert.deepEqual(
      buildThumbnailArgs(spec({ width: 100 }), image({ rotation: 180, sampleAspectRatio: '2:1' }), CAPS, IO),
      expected({ vf: 'scale=trunc(iw*sar/2)*2:ih,setsar=1,hflip,vflip,scale=100:-2,showinfo' }),
    );
  });

  it('a rotated video is turned after the choice: one frame, not forty', () => {
    assert.deepEqual(
      buildThumbnailArgs(spec({ width: 360 }), meta({ duration: 60, rotation: 90 }), CAPS, IO),
      expected({ vf: "select='isnan(prev_selected_t)+gte(t-prev_selected_t,1.500000)',thumbnail=40,transpose=clock,scale=360:-2,showinfo" }),
    );
    assert.deepEqual(
      buildThumbnailArgs(spec({ time: 2 }), meta({ rotation: 270 }), CAPS, IO),
      expected({ pre: ['-ss', '2'], vf: 'transpose=cclock,showinfo' }),
    );
  });

  it('png and webp encoders', () => {
    assert.deepEqual(
      buildThumbnailArgs(spec({ time: 1, format: 'png' }), meta(), CAPS, { ...IO, outputPath: '/tmp/mf/t.png' }),
      expected({ pre: ['-ss', '1'], vf: 'showinfo', codec: ['-c:v', 'png', '-compression_level', '3'], out: '/tmp/mf/t.png' }),
    );
    assert.deepEqual(
      buildThumbnailArgs(spec({ time: 1, format: 'webp', quality: 70 }), meta(), CAPS, { ...IO, outputPath: '/tmp/mf/t.webp' }),
      expected({ pre: ['-ss', '1'], vf: 'showinfo', codec: ['-c:v', 'libwebp', '-quality', '70', '-compression_level', '4'], out: '/tmp/mf/t.webp' }),
    );
  });

  it('jpg quality 100 is qscale 2', () => {
    assert.deepEqual(
      buildThumbnailArgs(spec({ time: 1, quality: 100 }), meta(), CAPS, IO),
      expected({ pre: ['-ss', '1'], vf: 'showinfo', codec: ['-c:v', 'mjpeg', '-q:v', '2', '-pix_fmt', 'yuvj420p'] }),
    );
  });

  it('webp without libwebp is output_unsupported', () => {
    assertDomainError(() => buildThumbnailArgs(spec({ format: 'webp' }), meta(), { encoders: new Set(['mjpeg']), hasFpsMode: true }, IO), 'output_unsupported');
  });

  it('an ffmpeg without -fps_mode gets -vsync passthrough', () => {
    assert.deepEqual(
      buildThumbnailArgs(spec({ time: 1 }), meta(), { ...CAPS, hasFpsMode: false }, IO),
      expected({ pre: ['-ss', '1'], vf: 'showinfo', sync: ['-vsync', 'passthrough'] }),
    );
  });
});

describe('thumbnailExtension', () => {
  it('follows the format and refuses webp without libwebp', () => {
    assert.equal(thumbnailExtension(spec(), CAPS), 'jpg');
    assert.equal(thumbnailExtension(spec({ format: 'png' }), CAPS), 'png');
    assert.equal(thumbnailExtension(spec({ format: 'webp' }), CAPS), 'webp');
    assertDomainError(() => thumbnailExtension(spec({ format: 'webp' }), { encoders: new Set() }), 'output_unsupported');
  });
});
