import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCodecList, parseFilterList, parseFormatList, parseVersion } from './capabilities.js';

// Excerpts of real output: Debian's ffmpeg 5.1 and the johnvansickle static build that
// @ffmpeg-installer ships (a git snapshot from the 4.x era).
const VERSION_DEBIAN = [
  'ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers',
  'built with gcc 12 (Debian 12.2.0-14+deb12u1)',
  'configuration: --prefix=/usr --extra-version=0+deb12u1 --enable-libwebp --enable-libx264 --enable-shared',
  'libavutil      57. 28.100 / 57. 28.100',
  'libavformat    59. 27.100 / 59. 27.100',
].join('\n');

const VERSION_SNAPSHOT = [
  'ffmpeg version N-47683-g0e8eb07980-static https://johnvansickle.com/ffmpeg/  Copyright (c) 2000-2018 the FFmpeg developers',
  'built with gcc 6.3.0 (Debian 6.3.0-18+deb9u1) 20170516',
  'configuration: --enable-gpl --enable-version3 --enable-static --disable-debug --disable-ffplay',
  'libavutil      56. 24.101 / 56. 24.101',
  'libavcodec     58. 42.100 / 58. 42.100',
  'libavformat    58. 24.100 / 58. 24.100',
  'libavdevice    58.  6.101 / 58.  6.101',
  'libavfilter     7. 46.101 /  7. 46.101',
].join('\n');

const ENCODERS = [
  'Encoders:',
  ' V..... = Video',
  ' A..... = Audio',
  ' S..... = Subtitle',
  ' .F.... = Frame-level multithreading',
  ' ..S... = Slice-level multithreading',
  ' ...X.. = Codec is experimental',
  ' ....B. = Supports draw_horiz_band',
  ' .....D = Supports direct rendering method 1',
  ' ------',
  ' V....D a64multi             Multicolor charset for Commodore 64 (codec a64_multi)',
  ' V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)',
  ' VFS... mjpeg                MJPEG (Motion JPEG)',
  ' VF.... png                  PNG (Portable Network Graphics) image',
  ' V....D libwebp_anim         libwebp WebP image (codec webp)',
  ' V....D libwebp              libwebp WebP image (codec webp)',
  ' A..... aac                  AAC (Advanced Audio Coding)',
  ' S..... ssa                  ASS (Advanced SubStation Alpha) subtitle (codec ass)',
  '',
].join('\n');

const FILTERS_51 = [
  'Filters:',
  '  T.. = Timeline support',
  '  .S. = Slice threading',
  '  ..C = Command support',
  '  A = Audio input/output',
  '  V = Video input/output',
  '  N = Dynamic number and/or type of input/output',
  '  | = Source or sink filter',
  ' ... abench            A->A       Benchmark part of a filtergraph.',
  ' ... amerge            N->A       Merge two or more audio streams into a single multi-channel stream.',
  ' ..C scale             V->V       Scale the input video size and/or convert the image format.',
  ' ... select            V->N       Select video frames to pass in output.',
  ' ... setsar            V->V       Set the pixel sample aspect ratio.',
  ' ... showinfo          V->V       Show textual information for each video frame.',
  ' T.. thumbnail         V->V       Select the most representative frame in a given sequence of consecutive frames.',
  ' ... buffer            |->V       Buffer video frames, and make them accessible to the filterchain.',
  ' ... buffersink        V->|       Buffer video frames, and make them available to the end of the filter graph.',
].join('\n');

// Newer releases print two flag columns.
const FILTERS_TWO_FLAGS = ['Filters:', '  T. = Timeline support', '  .S = Slice threading', ' TS aap               AA->A      Apply Affine Projection algorithm.', ' .. showinfo          V->V       Show textual information.'].join('\n');

const DEMUXERS_OLD = [
  'File formats:',
  ' D. = Demuxing supported',
  ' .E = Muxing supported',
  ' --',
  ' D  3dostr          3DO STR',
  ' D  aac             raw ADTS AAC (Advanced Audio Coding)',
  ' D  concat          Virtual concatenation script',
  ' D  dash            Dynamic Adaptive Streaming over HTTP',
  ' D  hls             Apple HTTP Live Streaming',
  ' D  lavfi           Libavfilter virtual input device',
  ' D  matroska,webm   Matroska / WebM',
  ' D  mov,mp4,m4a,3gp,3g2,mj2 QuickTime / MOV',
  ' D  png_pipe        piped png sequence',
  ' D  video4linux2,v4l2 Video4Linux2 device grab',
].join('\n');

// Newer releases add an "is a device" column and a three-dash separator.
const DEMUXERS_DEVICE_COLUMN = [
  'Formats:',
  ' D.. = Demuxing supported',
  ' .E. = Muxing supported',
  ' ..d = Is a device',
  ' ---',
  ' D   aac             raw ADTS AAC (Advanced Audio Coding)',
  ' D d lavfi           Libavfilter virtual input device',
  ' D   mov,mp4,m4a,3gp,3g2,mj2 QuickTime / MOV',
  ' D   dash            Dynamic Adaptive Streaming over HTTP',
  ' DEd alsa            ALSA audio output',
  '  E  mp4             MP4 (MPEG-4 Part 14)',
].join('\n');

describe('parseVersion', () => {
  it('a release version', () => {
    assert.deepEqual(parseVersion(VERSION_DEBIAN), { version: '5.1.9-0+deb12u1', major: 5 });
  });

  it('tagged builds with an n prefix', () => {
    assert.deepEqual(parseVersion('ffmpeg version n7.1 Copyright (c) 2000-2024'), { version: 'n7.1', major: 7 });
    assert.deepEqual(parseVersion('ffmpeg version 8.0.1 Copyright'), { version: '8.0.1', major: 8 });
  });

  it('a git snapshot takes its major from libavformat', () => {
    assert.deepEqual(parseVersion(VERSION_SNAPSHOT), { version: 'N-47683-g0e8eb07980-static', major: 4 });
    assert.deepEqual(parseVersion('ffmpeg version N-113000-gabc Copyright\nlibavformat    61.  1.100 / 61.  1.100'), { version: 'N-113000-gabc', major: 7 });
    assert.deepEqual(
      parseVersion('ffmpeg version 2024-03-14-git-abc-essentials_build-www.gyan.dev\nlibavformat    60. 16.100 / 60. 16.100'),
      { version: '2024-03-14-git-abc-essentials_build-www.gyan.dev', major: 6 },
    );
  });

  it('unknown libavformat or no version line gives major 0', () => {
    assert.deepEqual(parseVersion('ffmpeg version N-1-gdeadbeef\nlibavformat    42.  1.100'), { version: 'N-1-gdeadbeef', major: 0 });
    assert.deepEqual(parseVersion('N-1-gdeadbeef'), { version: 'unknown', major: 0 });
    assert.deepEqual(parseVersion(''), { version: 'unknown', major: 0 });
  });
});

describe('parseCodecList', () => {
  it('takes the names after the separator, not the legend', () => {
    assert.deepEqual([...parseCodecList(ENCODERS)], ['a64multi', 'libx264', 'mjpeg', 'png', 'libwebp_anim', 'libwebp', 'aac', 'ssa']);
  });

  it('the static 4.x build layout (no direct-rendering flags)', () => {
    const old = ['Encoders:', ' V..... = Video', ' ------', ' V..... libx264              libx264 H.264', ' V..... libwebp              libwebp WebP image (codec webp)'].join('\n');
    assert.deepEqual([...parseCodecList(old)], ['libx264', 'libwebp']);
  });
});

describe('parseFilterList', () => {
  it('ffmpeg 5.1 layout, sources and sinks included, legend skipped', () => {
    assert.deepEqual([...parseFilterList(FILTERS_51)], ['abench', 'amerge', 'scale', 'select', 'setsar', 'showinfo', 'thumbnail', 'buffer', 'buffersink']);
  });

  it('two flag columns', () => {
    assert.deepEqual([...parseFilterList(FILTERS_TWO_FLAGS)], ['aap', 'showinfo']);
  });
});

describe('parseFormatList', () => {
  it('older layout: every alias of a demuxer', () => {
    assert.deepEqual(
      [...parseFormatList(DEMUXERS_OLD)],
      ['3dostr', 'aac', 'concat', 'dash', 'hls', 'lavfi', 'matroska', 'webm', 'mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2', 'png_pipe', 'video4linux2', 'v4l2'],
    );
  });

  it('newer layout with the device column: device names, not the flag', () => {
    const names = parseFormatList(DEMUXERS_DEVICE_COLUMN);
    assert.deepEqual([...names], ['aac', 'lavfi', 'mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2', 'dash', 'alsa']);
    assert.equal(names.has('d'), false);
  });

  it('muxer-only rows are not demuxers', () => {
    assert.equal(parseFormatList(' --\n  E mp4             MP4 (MPEG-4 Part 14)').size, 0);
  });
});
