import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import { displaySize, type MediaMetadata } from '../domain/media.js';
import { parseFrameOrientation, parseProbe } from './probe.js';

// Trimmed from `ffprobe -v error -show_format -show_streams -of json` (ffprobe 5.1) on clips
// made with `ffmpeg -f lavfi -i testsrc2=size=320x240:rate=30 -f lavfi -i sine … -t 1`.
const MP4_H264_AAC = {
  streams: [
    {
      index: 0, codec_name: 'h264', profile: 'High', codec_type: 'video', codec_tag_string: 'avc1', width: 320, height: 240,
      has_b_frames: 2, sample_aspect_ratio: '1:1', display_aspect_ratio: '4:3', pix_fmt: 'yuv420p', level: 13, field_order: 'progressive',
      r_frame_rate: '30/1', avg_frame_rate: '30/1', time_base: '1/15360', start_time: '0.000000', duration: '1.000000',
      bit_rate: '304672', nb_frames: '30', disposition: { default: 1, attached_pic: 0 },
      tags: { language: 'und', handler_name: 'VideoHandler', vendor_id: '[0][0][0][0]', encoder: 'Lavc59.37.100 libx264' },
    },
    {
      index: 1, codec_name: 'aac', profile: 'LC', codec_type: 'audio', sample_fmt: 'fltp', sample_rate: '48000', channels: 1,
      channel_layout: 'mono', r_frame_rate: '0/0', avg_frame_rate: '0/0', time_base: '1/48000', duration: '1.000000',
      bit_rate: '70441', nb_frames: '48', disposition: { default: 1, attached_pic: 0 }, tags: { language: 'und', handler_name: 'SoundHandler' },
    },
  ],
  format: {
    filename: 'a.mp4', nb_streams: 2, format_name: 'mov,mp4,m4a,3gp,3g2,mj2', format_long_name: 'QuickTime / MOV',
    start_time: '0.000000', duration: '1.000000', size: '49581', bit_rate: '396648', probe_score: 100,
    tags: { major_brand: 'isom', minor_version: '512', compatible_brands: 'isomiso2avc1mp41', encoder: 'Lavf59.27.100' },
  },
};

const MP3_WITH_COVER = {
  streams: [
    { codec_name: 'mp3', codec_type: 'audio', avg_frame_rate: '0/0', r_frame_rate: '0/0', duration: '2.037551', bit_rate: '128000', disposition: { default: 0, attached_pic: 0 } },
    {
      codec_name: 'png', codec_type: 'video', width: 64, height: 64, avg_frame_rate: '0/0', r_frame_rate: '90000/1', pix_fmt: 'rgb24',
      sample_aspect_ratio: '1:1', duration: '2.037556', tags: { comment: 'Other' }, disposition: { default: 0, attached_pic: 1 },
    },
  ],
  format: { format_name: 'mp3', duration: '2.037551', bit_rate: '136524', tags: { encoder: 'Lavf59.27.100' } },
};

const M4A_WITH_COVER = {
  streams: [
    {
      codec_name: 'aac', codec_type: 'audio', avg_frame_rate: '0/0', r_frame_rate: '0/0', duration: '2.000000', nb_frames: '88', bit_rate: '69671',
      tags: { language: 'und', handler_name: 'SoundHandler' }, disposition: { default: 1, attached_pic: 0 },
    },
    {
      codec_name: 'png', codec_type: 'video', width: 64, height: 64, avg_frame_rate: '0/0', r_frame_rate: '90000/1', pix_fmt: 'rgb24',
      sample_aspect_ratio: '1:1', duration: '2.000000', disposition: { default: 0, attached_pic: 1 },
    },
  ],
  format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '2.000000', bit_rate: '81960', tags: { major_brand: 'M4A ', minor_version: '512' } },
};

const PNG_IMAGE = {
  streams: [
    { codec_name: 'png', codec_type: 'video', width: 64, height: 64, avg_frame_rate: '25/1', r_frame_rate: '25/1', pix_fmt: 'rgb24', sample_aspect_ratio: '1:1', disposition: { default: 0, attached_pic: 0 } },
  ],
  format: { format_name: 'png_pipe' },
};

// A portrait phone clip as ffprobe ≥ 5 shows it: the display matrix says -90 (counter-clockwise).
const PHONE_PORTRAIT = {
  streams: [
    {
      codec_name: 'hevc', codec_type: 'video', width: 1920, height: 1080, avg_frame_rate: '30000/1001', r_frame_rate: '30/1', pix_fmt: 'yuv420p10le',
      duration: '3.003000', nb_frames: '90', tags: { handler_name: 'Core Media Video' },
      side_data_list: [
        {
          side_data_type: 'Display Matrix',
          displaymatrix: '\n00000000:            0       65536           0\n00000001:       -65536           0           0\n00000002:            0           0  1073741824\n',
          rotation: -90,
        },
      ],
      disposition: { default: 1, attached_pic: 0 },
    },
    { codec_name: 'aac', codec_type: 'audio', duration: '3.003000', disposition: { default: 1, attached_pic: 0 } },
  ],
  format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '3.003000', bit_rate: '8000000', tags: { major_brand: 'qt  ' } },
};

// The same clip as ffprobe 4 shows it: only the clockwise `rotate` tag.
const PHONE_PORTRAIT_OLD = {
  streams: [{ codec_name: 'h264', codec_type: 'video', width: 1920, height: 1080, avg_frame_rate: '30/1', tags: { rotate: '90' } }],
  format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '3.000000', tags: { major_brand: 'qt  ' } },
};

// 720x576 with 16:15 pixels (`-vf setsar=16/15`).
const PAL_SAR = {
  streams: [
    {
      codec_name: 'h264', codec_type: 'video', width: 720, height: 576, avg_frame_rate: '25/1', r_frame_rate: '25/1', pix_fmt: 'yuv420p',
      sample_aspect_ratio: '16:15', duration: '1.000000', nb_frames: '25', bit_rate: '1227304', disposition: { default: 1, attached_pic: 0 },
    },
  ],
  format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '1.000000', bit_rate: '1236352', tags: { major_brand: 'isom' } },
};

// A phone JPEG with EXIF Orientation 6 as ffprobe 5.1 shows it: the stream probe (trimmed)
// says nothing about orientation; `buildFrameOrientationProbeArgs` finds the EXIF tag and
// the display matrix ffmpeg makes from it on the first frame.
const MATRIX_90_CW = '\n00000000:            0       65536           0\n00000001:       -65536           0           0\n00000002:            0           0  1073741824\n';
const JPEG_EXIF_6_STREAMS = {
  streams: [
    {
      index: 0, codec_name: 'mjpeg', codec_type: 'video', width: 640, height: 480, sample_aspect_ratio: '1:1', pix_fmt: 'yuvj420p',
      r_frame_rate: '25/1', avg_frame_rate: '25/1', duration: '0.040000', disposition: { default: 0, attached_pic: 0 },
    },
  ],
  format: { format_name: 'jpeg_pipe', duration: '0.040000', bit_rate: '582200' },
};
const JPEG_EXIF_6_FRAME = { frames: [{ tags: { Orientation: '    6' }, side_data_list: [{ displaymatrix: MATRIX_90_CW, rotation: -90 }] }] };

/** The 2×2 part of the display matrix ffprobe (5.1 and 6.x) prints for each EXIF orientation. */
const EXIF_MATRICES: Record<number, [number, number, number, number] | null> = {
  1: null, // upright: no side data
  2: [-65536, 0, 0, 65536], 3: [-65536, 0, 0, -65536], 4: [65536, 0, 0, -65536], 5: [0, 65536, 65536, 0],
  6: [0, 65536, -65536, 0], 7: [0, -65536, -65536, 0], 8: [0, -65536, 65536, 0],
};
const EXIF_EXPECTED: Record<number, { rotation: number; mirrored: boolean }> = {
  1: { rotation: 0, mirrored: false }, 2: { rotation: 0, mirrored: true }, 3: { rotation: 180, mirrored: false }, 4: { rotation: 180, mirrored: true },
  5: { rotation: 90, mirrored: true }, 6: { rotation: 90, mirrored: false }, 7: { rotation: 270, mirrored: true }, 8: { rotation: 270, mirrored: false },
};
const pad = (n: number) => String(n).padStart(13);
const matrixText = ([a, b, c, d]: [number, number, number, number]) =>
  `\n00000000:${pad(a)}${pad(b)}${pad(0)}\n00000001:${pad(c)}${pad(d)}${pad(0)}\n00000002:${pad(0)}${pad(0)}${pad(1073741824)}\n`;

const frameOrientation = (frame: Record<string, unknown>) => parseFrameOrientation({ frames: [frame] });

function video(stream: Record<string, unknown>, format: Record<string, unknown> = { format_name: 'matroska,webm', duration: '5.000000' }) {
  return { streams: [{ codec_name: 'vp9', codec_type: 'video', width: 640, height: 360, avg_frame_rate: '25/1', ...stream }], format };
}

function assertDomainError(fn: () => unknown, code: string): DomainError {
  let caught: unknown;
  assert.throws(fn, (err: unknown) => {
    caught = err;
    assert.ok(err instanceof DomainError, 'expected a DomainError');
    assert.equal(err.code, code);
    return true;
  });
  return caught as DomainError;
}

describe('parseProbe', () => {
  it('mp4 with h264 and aac', () => {
    assert.deepEqual(parseProbe(MP4_H264_AAC), {
      kind: 'video', container: 'mp4', duration: 1, width: 320, height: 240, rotation: 0, mirrored: false, fps: 30, videoCodec: 'h264', audioCodec: 'aac',
      bitrate: 396648, hasAudio: true, hasVideo: true, pixelFormat: 'yuv420p', sampleAspectRatio: '1:1', frameCount: 30,
      videoDuration: 1, audioDuration: 1,
      peakFps: 30, fieldOrder: 'progressive',
    } satisfies MediaMetadata);
  });

  it('mp3 with an attached cover picture is audio, the cover ignored', () => {
    assert.deepEqual(parseProbe(MP3_WITH_COVER), {
      kind: 'audio', container: 'mp3', duration: 2.038, width: null, height: null, rotation: 0, mirrored: false, fps: null, videoCodec: null, audioCodec: 'mp3',
      bitrate: 136524, hasAudio: true, hasVideo: false, pixelFormat: null, sampleAspectRatio: null, frameCount: null,
      audioDuration: 2.038,
      peakFps: null, fieldOrder: null,
    } satisfies MediaMetadata);
  });

  it('m4a with a cover is audio in an mp4 container', () => {
    const m = parseProbe(M4A_WITH_COVER);
    assert.equal(m.kind, 'audio');
    assert.equal(m.container, 'mp4');
    assert.equal(m.duration, 2);
    assert.equal(m.audioCodec, 'aac');
    assert.equal(m.hasVideo, false);
    assert.equal(m.videoCodec, null);
    assert.equal(m.width, null);
  });

  it('png is an image without duration or fps', () => {
    assert.deepEqual(parseProbe(PNG_IMAGE), {
      kind: 'image', container: 'png_pipe', duration: null, width: 64, height: 64, rotation: 0, mirrored: false, fps: null, videoCodec: 'png', audioCodec: null,
      bitrate: null, hasAudio: false, hasVideo: true, pixelFormat: 'rgb24', sampleAspectRatio: '1:1', frameCount: null,
      peakFps: null, fieldOrder: null,
    } satisfies MediaMetadata);
  });

  it('rotated phone video: display matrix -90 is 90 clockwise; QuickTime brand is mov', () => {
    const m = parseProbe(PHONE_PORTRAIT);
    assert.equal(m.rotation, 90);
    assert.equal(m.container, 'mov');
    assert.equal(m.fps, 29.97);
    assert.equal(m.duration, 3.003);
    assert.deepEqual(displaySize(m), { width: 1080, height: 1920 });
  });

  it('old ffprobe: tags.rotate "90" is 90', () => {
    assert.equal(parseProbe(PHONE_PORTRAIT_OLD).rotation, 90);
  });

  it('the display matrix wins over the rotate tag when both are present', () => {
    const both = structuredClone(PHONE_PORTRAIT);
    (both.streams[0] as Record<string, unknown>).tags = { rotate: '180' };
    assert.equal(parseProbe(both).rotation, 90);
  });

  it('other rotations normalise to 0…270 clockwise', () => {
    const withMatrix = (rotation: number) => parseProbe(video({ side_data_list: [{ side_data_type: 'Display Matrix', rotation }] })).rotation;
    assert.equal(withMatrix(90), 270);
    assert.equal(withMatrix(180), 180);
    assert.equal(withMatrix(-180), 180);
    assert.equal(withMatrix(-270), 270);
    assert.equal(withMatrix(0), 0);
    assert.equal(parseProbe(video({ tags: { rotate: '270' } })).rotation, 270);
    assert.equal(parseProbe(video({ tags: { rotate: '-90' } })).rotation, 270);
    assert.equal(parseProbe(video({ side_data_list: [{ side_data_type: 'Stereo 3D' }] })).rotation, 0);
  });

  it('EXIF orientation 6 JPEG: the stream is upright 640×480; its first frame says 90 clockwise, not mirrored', () => {
    const m = parseProbe(JPEG_EXIF_6_STREAMS);
    assert.deepEqual([m.kind, m.width, m.height, m.rotation, m.mirrored], ['image', 640, 480, 0, false]);
    const o = parseFrameOrientation(JPEG_EXIF_6_FRAME);
    assert.deepEqual(o, { rotation: 90, mirrored: false });
    assert.deepEqual(displaySize({ ...m, ...o }), { width: 480, height: 640 });
  });

  for (const o of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`EXIF orientation ${o}: from the frame's display matrix, and from the EXIF tag alone`, () => {
      const matrix = EXIF_MATRICES[o];
      const both = frameOrientation({ tags: { Orientation: `    ${o}` }, ...(matrix ? { side_data_list: [{ displaymatrix: matrixText(matrix), rotation: 0 }] } : {}) });
      assert.deepEqual(both, EXIF_EXPECTED[o]);
      if (matrix) {
        // The matrix decides even where ffprobe's own angle cannot tell a mirror (2 says -180).
        assert.deepEqual(frameOrientation({ side_data_list: [{ displaymatrix: matrixText(matrix), rotation: -180 }] }), EXIF_EXPECTED[o]);
      }
      assert.deepEqual(frameOrientation({ tags: { Orientation: String(o) } }), EXIF_EXPECTED[o]);
    });
  }

  it('a frame without orientation, no frame, or a nonsense tag: nothing to add', () => {
    assert.equal(frameOrientation({}), null);
    assert.equal(frameOrientation({ side_data_list: [{}] }), null);
    assert.equal(frameOrientation({ tags: { Orientation: '9' } }), null);
    assert.equal(parseFrameOrientation({ frames: [] }), null);
    assert.equal(parseFrameOrientation(null), null);
  });

  it('a mirroring display matrix on a video stream is a mirror, not a half turn', () => {
    const m = parseProbe(video({ side_data_list: [{ side_data_type: 'Display Matrix', displaymatrix: matrixText([-65536, 0, 0, 65536]), rotation: -180 }] }));
    assert.deepEqual([m.rotation, m.mirrored], [0, true]);
  });

  it('non-square pixels are reported; 0:1 (unknown) is null', () => {
    const m = parseProbe(PAL_SAR);
    assert.equal(m.sampleAspectRatio, '16:15');
    assert.equal(m.width, 720);
    assert.equal(m.fps, 25);
    assert.equal(parseProbe(video({ sample_aspect_ratio: '0:1' })).sampleAspectRatio, null);
  });

  it('variable frame rate: fps is the average, peakFps the rate the video reaches', () => {
    // ffprobe of 3 s at 30 fps followed by 3 s at 10 fps, in mp4.
    const vfr = parseProbe(video({ codec_name: 'h264', field_order: 'progressive', r_frame_rate: '30/1', avg_frame_rate: '1200/59' }));
    assert.deepEqual([vfr.fps, vfr.peakFps], [20.339, 30]);
    assert.deepEqual([parseProbe(PHONE_PORTRAIT).fps, parseProbe(PHONE_PORTRAIT).peakFps], [29.97, 30]);
    assert.equal(parseProbe(video({ r_frame_rate: '1000/1', avg_frame_rate: '30000/1001' })).peakFps, 29.97, 'a time base is not a rate');
    assert.equal(parseProbe(PNG_IMAGE).peakFps, null);
  });

  it('field order: as ffprobe says for video, unknown when absent or odd, null for images and audio', () => {
    for (const order of ['progressive', 'tt', 'bb', 'tb', 'bt'] as const) assert.equal(parseProbe(video({ field_order: order })).fieldOrder, order);
    assert.equal(parseProbe(video({})).fieldOrder, 'unknown');
    assert.equal(parseProbe(video({ field_order: 'unknown' })).fieldOrder, 'unknown');
    assert.equal(parseProbe(video({ field_order: 'sideways' })).fieldOrder, 'unknown');
    assert.equal(parseProbe(PNG_IMAGE).fieldOrder, null);
    assert.equal(parseProbe(MP3_WITH_COVER).fieldOrder, null);
    // Interlaced H.264 whose r_frame_rate is the field rate: the frame rate is 25.
    assert.equal(parseProbe(video({ field_order: 'tt', r_frame_rate: '50/1', avg_frame_rate: '25/1' })).peakFps, 25);
  });

  it('fps falls back to r_frame_rate when avg_frame_rate is 0/0', () => {
    assert.equal(parseProbe(video({ avg_frame_rate: '0/0', r_frame_rate: '24000/1001' })).fps, 23.976);
    assert.equal(parseProbe(video({ avg_frame_rate: '0/0', r_frame_rate: '0/0' })).fps, null);
  });

  it('duration falls back to the stream when the format has none', () => {
    assert.equal(parseProbe(video({ duration: '4.2504' }, { format_name: 'matroska,webm' })).duration, 4.25);
    assert.equal(parseProbe(video({}, { format_name: 'matroska,webm' })).duration, null);
    assert.equal(parseProbe(video({})).container, 'matroska');
  });

  it('stream durations: the stream\'s own, else Matroska\'s DURATION tag; an image has none', () => {
    assert.equal(parseProbe(video({ duration: '4.2504' })).videoDuration, 4.25);
    assert.equal(parseProbe(video({ tags: { DURATION: '00:01:02.023000000' } })).videoDuration, 62.023);
    assert.equal(parseProbe(video({ tags: { DURATION: 'soon' } })).videoDuration, undefined);
    assert.equal(parseProbe(video({})).audioDuration, undefined);
    assert.equal(parseProbe(PNG_IMAGE).videoDuration, undefined);
  });

  it('no streams is input_invalid', () => {
    assertDomainError(() => parseProbe({ streams: [], format: { format_name: 'mp3' } }), 'input_invalid');
    assertDomainError(() => parseProbe({}), 'input_invalid');
    assertDomainError(() => parseProbe(null), 'input_invalid');
  });

  it('only a cover picture or a subtitle is input_invalid', () => {
    assertDomainError(() => parseProbe({ streams: [MP3_WITH_COVER.streams[1]], format: MP3_WITH_COVER.format }), 'input_invalid');
    assertDomainError(() => parseProbe({ streams: [{ codec_type: 'subtitle', codec_name: 'subrip' }], format: { format_name: 'srt' } }), 'input_invalid');
  });

  it('a video stream with width 0 is input_invalid', () => {
    assertDomainError(() => parseProbe(video({ width: 0 })), 'input_invalid');
    assertDomainError(() => parseProbe(video({ height: undefined })), 'input_invalid');
  });
});
