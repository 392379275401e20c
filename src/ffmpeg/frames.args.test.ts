import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import type { FramesOutputSpec } from '../domain/job-spec.js';
import type { MediaMetadata } from '../domain/media.js';
import { buildFramesArgs, expectedFrameCount, framesExtension, selectExpression, uniqueSortedTimes } from './frames.args.js';

const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'info', '-nostats', '-progress', 'pipe:1'];
const WHITELIST =
  'mov,mp4,matroska,webm,avi,mpegts,flv,mpeg,ogg,wav,mp3,aac,flac,asf,m4v,h264,hevc,ivf,mxf,caf,aiff,gif,' +
  'image2,png_pipe,jpeg_pipe,webp_pipe,bmp_pipe,tiff_pipe';
const GUARD = ['-protocol_whitelist', 'file', '-format_whitelist', WHITELIST];
const IO = { inputPath: '/tmp/mf/source', outputPattern: '/tmp/mf/frame-%06d.jpg' };
const JPG_90 = ['-c:v', 'mjpeg', '-q:v', '5', '-pix_fmt', 'yuvj420p'];

const ALL_CAPS = { encoders: new Set(['mjpeg', 'png', 'libwebp']), hasFpsMode: true };
const NO_WEBP = { encoders: new Set(['mjpeg', 'png']), hasFpsMode: true };

function meta(over: Partial<MediaMetadata> = {}): MediaMetadata {
  return {
    kind: 'video', container: 'mp4', duration: 20, width: 320, height: 240, rotation: 0, fps: 30,
    videoCodec: 'h264', audioCodec: 'aac', bitrate: 396_648, hasAudio: true, hasVideo: true,
    pixelFormat: 'yuv420p', sampleAspectRatio: '1:1', frameCount: 600,
    peakFps: 30, fieldOrder: 'progressive', ...over,
  };
}

function spec(over: Partial<FramesOutputSpec>): FramesOutputSpec {
  return { type: 'frames', format: 'jpg', mode: 'accurate', deinterlace: 'auto', ...over };
}

/** The whole expected command, with the parts that vary per profile. */
function expected(parts: { pre?: string[]; vf: string; sync?: string[]; codec?: string[]; out?: string }): string[] {
  return [
    ...HEAD,
    '-noautorotate', ...(parts.pre ?? []), ...GUARD, '-i', '/tmp/mf/source',
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', parts.vf,
    ...(parts.sync ?? ['-fps_mode', 'passthrough']),
    ...(parts.codec ?? JPG_90),
    '-f', 'image2', '-start_number', '1',
    parts.out ?? '/tmp/mf/frame-%06d.jpg',
  ];
}

const FPS1 = '(isnan(prev_selected_t)+gte(floor((t-0)/1+0.000001)-floor((prev_selected_t-0)/1+0.000001),1))';

function assertDomainError(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DomainError, 'expected a DomainError');
    assert.equal(err.code, code);
    return true;
  });
}

describe('buildFramesArgs', () => {
  it('fps: one select bucket per second, showinfo, passthrough, default jpg quality', () => {
    assert.deepEqual(buildFramesArgs(spec({ fps: 1 }), meta(), ALL_CAPS, IO), [
      '-hide_banner', '-nostdin', '-y', '-loglevel', 'info', '-nostats', '-progress', 'pipe:1',
      '-noautorotate', '-protocol_whitelist', 'file', '-format_whitelist', WHITELIST, '-i', '/tmp/mf/source',
      '-map', '0:v:0', '-an', '-sn', '-dn',
      '-vf', `select='${FPS1}',showinfo`,
      '-fps_mode', 'passthrough',
      '-c:v', 'mjpeg', '-q:v', '5', '-pix_fmt', 'yuvj420p',
      '-f', 'image2', '-start_number', '1',
      '/tmp/mf/frame-%06d.jpg',
    ]);
  });

  it('fps 4: buckets of 0.25 s', () => {
    const vf = "select='(isnan(prev_selected_t)+gte(floor((t-0)/0.25+0.000001)-floor((prev_selected_t-0)/0.25+0.000001),1))',showinfo";
    assert.deepEqual(buildFramesArgs(spec({ fps: 4 }), meta(), ALL_CAPS, IO), expected({ vf }));
  });

  it('interval: buckets of `interval` seconds', () => {
    const vf = "select='(isnan(prev_selected_t)+gte(floor((t-0)/2.5+0.000001)-floor((prev_selected_t-0)/2.5+0.000001),1))',showinfo";
    assert.deepEqual(buildFramesArgs(spec({ interval: 2.5 }), meta(), ALL_CAPS, IO), expected({ vf }));
  });

  it('count: equal slices of the duration, starting at the middle of the first slice', () => {
    const vf =
      "select='gte(t,1.25-0.000001)*(isnan(prev_selected_t)+gte(floor((t-1.25)/2.5+0.000001)-floor((prev_selected_t-1.25)/2.5+0.000001),1))',showinfo";
    assert.deepEqual(buildFramesArgs(spec({ count: 4 }), meta({ duration: 10 }), ALL_CAPS, IO), expected({ vf }));
  });

  it('count without a known duration is output_unsupported', () => {
    assertDomainError(() => buildFramesArgs(spec({ count: 4 }), meta({ duration: null }), ALL_CAPS, IO), 'output_unsupported');
    assertDomainError(() => buildFramesArgs(spec({ count: 4 }), meta({ duration: 0 }), ALL_CAPS, IO), 'output_unsupported');
  });

  it('times: deduplicated and sorted, one term per time', () => {
    const vf =
      "select='gte(t,1-0.000001)*(isnan(prev_t)+lt(prev_t,1-0.000001))" +
      '+gte(t,2.5-0.000001)*(isnan(prev_t)+lt(prev_t,2.5-0.000001))' +
      "+gte(t,5-0.000001)*(isnan(prev_t)+lt(prev_t,5-0.000001))',showinfo";
    assert.deepEqual(buildFramesArgs(spec({ times: [5, 1, 5, 2.5] }), meta(), ALL_CAPS, IO), expected({ vf }));
  });

  it('fast mode puts -skip_frame nokey before the input, not after it', () => {
    const args = buildFramesArgs(spec({ fps: 1, mode: 'fast' }), meta(), ALL_CAPS, IO);
    assert.deepEqual(args, expected({ pre: ['-skip_frame', 'nokey'], vf: `select='${FPS1}',showinfo` }));
    assert.ok(args.indexOf('-skip_frame') < args.indexOf('-i'));
  });

  it('width: scale keeping the aspect ratio with an even height', () => {
    assert.deepEqual(
      buildFramesArgs(spec({ fps: 1, width: 160 }), meta(), ALL_CAPS, IO),
      expected({ vf: `select='${FPS1}',scale=160:-2,showinfo` }),
    );
  });

  it('non-square pixels: squared first, then scaled to the requested width', () => {
    assert.deepEqual(
      buildFramesArgs(spec({ fps: 1, width: 640 }), meta({ width: 720, height: 576, sampleAspectRatio: '16:15' }), ALL_CAPS, IO),
      expected({ vf: `select='${FPS1}',scale=trunc(iw*sar/2)*2:ih,setsar=1,scale=640:-2,showinfo` }),
    );
    assert.deepEqual(
      buildFramesArgs(spec({ fps: 1 }), meta({ sampleAspectRatio: '64:45' }), ALL_CAPS, IO),
      expected({ vf: `select='${FPS1}',scale=trunc(iw*sar/2)*2:ih,setsar=1,showinfo` }),
    );
  });

  it('autorotation off; a rotated or mirrored video is turned upright after select, squared first, scaled last', () => {
    assert.deepEqual(
      buildFramesArgs(spec({ fps: 1, width: 180 }), meta({ rotation: 90 }), ALL_CAPS, IO),
      expected({ vf: `select='${FPS1}',transpose=clock,scale=180:-2,showinfo` }),
    );
    assert.deepEqual(buildFramesArgs(spec({ fps: 1 }), meta({ rotation: 180, mirrored: true }), ALL_CAPS, IO), expected({ vf: `select='${FPS1}',vflip,showinfo` }));
    assert.deepEqual(
      buildFramesArgs(spec({ fps: 1, width: 320 }), meta({ width: 720, height: 576, rotation: 270, sampleAspectRatio: '16:15' }), ALL_CAPS, IO),
      expected({ vf: `select='${FPS1}',scale=trunc(iw*sar/2)*2:ih,setsar=1,transpose=cclock,scale=320:-2,showinfo` }),
    );
  });

  it('unknown SAR adds no filter', () => {
    assert.deepEqual(buildFramesArgs(spec({ fps: 1 }), meta({ sampleAspectRatio: null }), ALL_CAPS, IO), expected({ vf: `select='${FPS1}',showinfo` }));
  });

  it('jpg quality maps 1…100 onto mjpeg qscale 31…2', () => {
    for (const [quality, qscale] of [[100, '2'], [90, '5'], [75, '9'], [50, '17'], [1, '31']] as const) {
      assert.deepEqual(
        buildFramesArgs(spec({ fps: 1, quality }), meta(), ALL_CAPS, IO),
        expected({ vf: `select='${FPS1}',showinfo`, codec: ['-c:v', 'mjpeg', '-q:v', qscale, '-pix_fmt', 'yuvj420p'] }),
        `quality ${quality}`,
      );
    }
  });

  it('png: png encoder with a fast compression level', () => {
    const io = { ...IO, outputPattern: '/tmp/mf/frame-%06d.png' };
    assert.deepEqual(
      buildFramesArgs(spec({ fps: 1, format: 'png' }), meta(), ALL_CAPS, io),
      expected({ vf: `select='${FPS1}',showinfo`, codec: ['-c:v', 'png', '-compression_level', '3'], out: '/tmp/mf/frame-%06d.png' }),
    );
  });

  it('webp with libwebp: default quality 80, or the requested one', () => {
    const io = { ...IO, outputPattern: '/tmp/mf/frame-%06d.webp' };
    assert.deepEqual(
      buildFramesArgs(spec({ fps: 1, format: 'webp' }), meta(), ALL_CAPS, io),
      expected({ vf: `select='${FPS1}',showinfo`, codec: ['-c:v', 'libwebp', '-quality', '80', '-compression_level', '4'], out: '/tmp/mf/frame-%06d.webp' }),
    );
    assert.deepEqual(
      buildFramesArgs(spec({ fps: 1, format: 'webp', quality: 60 }), meta(), ALL_CAPS, io),
      expected({ vf: `select='${FPS1}',showinfo`, codec: ['-c:v', 'libwebp', '-quality', '60', '-compression_level', '4'], out: '/tmp/mf/frame-%06d.webp' }),
    );
  });

  it('webp without libwebp is output_unsupported', () => {
    assertDomainError(() => buildFramesArgs(spec({ fps: 1, format: 'webp' }), meta(), NO_WEBP, IO), 'output_unsupported');
  });

  it('an ffmpeg without -fps_mode gets -vsync passthrough', () => {
    const args = buildFramesArgs(spec({ fps: 1 }), meta(), { ...ALL_CAPS, hasFpsMode: false }, IO);
    assert.deepEqual(args, expected({ vf: `select='${FPS1}',showinfo`, sync: ['-vsync', 'passthrough'] }));
    assert.equal(args.includes('-fps_mode'), false);
  });
});

describe('framesExtension', () => {
  it('follows the format', () => {
    assert.equal(framesExtension(spec({ fps: 1 }), ALL_CAPS), 'jpg');
    assert.equal(framesExtension(spec({ fps: 1, format: 'png' }), ALL_CAPS), 'png');
    assert.equal(framesExtension(spec({ fps: 1, format: 'webp' }), ALL_CAPS), 'webp');
  });

  it('refuses webp without libwebp', () => {
    assertDomainError(() => framesExtension(spec({ fps: 1, format: 'webp' }), NO_WEBP), 'output_unsupported');
  });
});

describe('selectExpression', () => {
  it('fps and interval of the same step give the same expression', () => {
    assert.equal(selectExpression(spec({ fps: 0.5 }), 20), selectExpression(spec({ interval: 2 }), 20));
    assert.equal(selectExpression(spec({ fps: 1 }), 20), FPS1);
  });

  it('fps/interval do not depend on the duration', () => {
    assert.equal(selectExpression(spec({ fps: 1 }), null), FPS1);
  });

  it('count uses duration / count as the slice', () => {
    assert.equal(
      selectExpression(spec({ count: 2 }), 8),
      'gte(t,2-0.000001)*(isnan(prev_selected_t)+gte(floor((t-2)/4+0.000001)-floor((prev_selected_t-2)/4+0.000001),1))',
    );
  });

  it('a single time', () => {
    assert.equal(selectExpression(spec({ times: [3] }), 10), 'gte(t,3-0.000001)*(isnan(prev_t)+lt(prev_t,3-0.000001))');
  });
});

describe('expectedFrameCount', () => {
  it('fps 1 over 20 s gives 20', () => {
    assert.equal(expectedFrameCount(spec({ fps: 1 }), 20), 20);
  });

  it('fps rounds partial buckets up and never gives less than 1', () => {
    assert.equal(expectedFrameCount(spec({ fps: 2 }), 2.1), 5);
    assert.equal(expectedFrameCount(spec({ fps: 30 }), 1), 30);
    assert.equal(expectedFrameCount(spec({ fps: 1 }), 0), 1);
  });

  it('interval', () => {
    assert.equal(expectedFrameCount(spec({ interval: 5 }), 20), 4);
    assert.equal(expectedFrameCount(spec({ interval: 3 }), 10), 4);
    assert.equal(expectedFrameCount(spec({ interval: 0.1 }), 1), 10);
  });

  it('count is taken as is', () => {
    assert.equal(expectedFrameCount(spec({ count: 7 }), 20), 7);
    assert.equal(expectedFrameCount(spec({ count: 7 }), null), 7);
  });

  it('times counts unique times', () => {
    assert.equal(expectedFrameCount(spec({ times: [1, 2, 2, 1.0000001, 3] }), 20), 3);
  });

  it('fps or interval with an unknown duration is unbounded', () => {
    assert.equal(expectedFrameCount(spec({ fps: 1 }), null), Number.POSITIVE_INFINITY);
    assert.equal(expectedFrameCount(spec({ interval: 2 }), null), Number.POSITIVE_INFINITY);
  });
});

describe('uniqueSortedTimes', () => {
  it('sorts ascending and removes duplicates', () => {
    assert.deepEqual(uniqueSortedTimes([3, 1, 2, 1, 3]), [1, 2, 3]);
  });

  it('treats times equal to the microsecond as one', () => {
    assert.deepEqual(uniqueSortedTimes([1, 1.0000004, 1.0000006]), [1, 1.000001]);
  });

  it('sorts numerically, not as strings', () => {
    assert.deepEqual(uniqueSortedTimes([10, 9, 100, 0]), [0, 9, 10, 100]);
  });

  it('empty stays empty', () => {
    assert.deepEqual(uniqueSortedTimes([]), []);
  });
});
