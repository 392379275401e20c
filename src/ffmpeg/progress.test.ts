import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseShowinfo, ProgressParser } from './progress.js';

// Real `-progress pipe:1` output of ffmpeg 5.1 (testsrc2 at 5 fps for 1 s into the null muxer).
const TWO_BLOCKS = `frame=1
fps=0.00
stream_0_0_q=-0.0
bitrate=N/A
total_size=N/A
out_time_us=200000
out_time_ms=200000
out_time=00:00:00.200000
dup_frames=0
drop_frames=0
speed=N/A
progress=continue
frame=5
fps=0.00
stream_0_0_q=-0.0
bitrate=N/A
total_size=N/A
out_time_us=1000000
out_time_ms=1000000
out_time=00:00:01.000000
dup_frames=0
drop_frames=0
speed=1.42e+03x
progress=end`;

function feed(parser: ProgressParser, text: string) {
  return text.split('\n').map((line) => parser.push(line)).filter((p) => p !== null);
}

describe('ProgressParser', () => {
  it('one snapshot per block, the last one done', () => {
    assert.deepEqual(feed(new ProgressParser(), TWO_BLOCKS), [
      { outTime: 0.2, frame: 1, speed: null, done: false },
      { outTime: 1, frame: 5, speed: 1420, done: true },
    ]);
  });

  it('returns null for every line but the closing progress= line', () => {
    const p = new ProgressParser();
    assert.equal(p.push('frame=10'), null);
    assert.equal(p.push('out_time_us=1500000'), null);
    assert.equal(p.push('speed=1.5x'), null);
    assert.deepEqual(p.push('progress=continue'), { outTime: 1.5, frame: 10, speed: 1.5, done: false });
  });

  it('speed with padding as ffmpeg prints it ("speed= 218x")', () => {
    const p = new ProgressParser();
    p.push('speed= 218x');
    assert.equal(p.push('progress=continue')?.speed, 218);
  });

  it('N/A values become 0 and null', () => {
    const p = new ProgressParser();
    for (const l of ['frame=N/A', 'out_time_us=N/A', 'out_time_ms=N/A', 'speed=N/A']) p.push(l);
    assert.deepEqual(p.push('progress=continue'), { outTime: 0, frame: 0, speed: null, done: false });
  });

  it('a negative start time (before the first packet) is 0', () => {
    const p = new ProgressParser();
    p.push('out_time_us=-9223372036854775807');
    p.push('speed=0x');
    assert.deepEqual(p.push('progress=continue'), { outTime: 0, frame: 0, speed: null, done: false });
  });

  it('falls back to out_time_ms, which ffmpeg also writes in microseconds', () => {
    const p = new ProgressParser();
    p.push('out_time_ms=2500000');
    assert.equal(p.push('progress=continue')?.outTime, 2.5);
  });

  it('each block starts fresh: values do not leak into the next one', () => {
    const p = new ProgressParser();
    p.push('frame=7');
    p.push('speed=2x');
    p.push('out_time_us=3000000');
    p.push('progress=continue');
    assert.deepEqual(p.push('progress=end'), { outTime: 0, frame: 0, speed: null, done: true });
  });

  it('ignores lines without a key', () => {
    const p = new ProgressParser();
    for (const l of ['', 'garbage', '=5', '   ']) assert.equal(p.push(l), null);
    p.push('frame=3');
    assert.equal(p.push('progress=continue')?.frame, 3);
  });

  it('tolerates CRLF and spaces around keys and values', () => {
    const p = new ProgressParser();
    p.push('frame=4\r');
    p.push(' out_time_us = 400000\r');
    assert.deepEqual(p.push('progress=end\r'), { outTime: 0.4, frame: 4, speed: null, done: true });
  });
});

describe('parseShowinfo', () => {
  // Real stderr lines of `ffmpeg -v info -f lavfi -i testsrc2=size=64x48:rate=5 -t 1 -vf showinfo -f null -` (ffmpeg 5.1).
  const FIRST =
    '[Parsed_showinfo_0 @ 0x5582834c3200] n:   0 pts:      0 pts_time:0       pos:       -1 fmt:yuv420p sar:1/1 s:64x48 i:P iskey:1 type:I ' +
    'checksum:07646800 plane_checksum:[E92A5D55 8D827222 F7B1987A] mean:[72 123 136] stdev:[50.7 48.3 49.6]';
  const FIFTH =
    '[Parsed_showinfo_0 @ 0x5582605f2200] n:   4 pts:      4 pts_time:0.8     pos:       -1 fmt:yuv420p sar:1/1 s:64x48 i:P iskey:1 type:I ' +
    'checksum:CE5A6724 plane_checksum:[103D5BA9 158C6F60 5EC59C0C] mean:[72 122 137] stdev:[50.9 47.5 50.4]';

  it('index, source time and size', () => {
    assert.deepEqual(parseShowinfo(FIRST), { n: 0, ptsTime: 0, width: 64, height: 48 });
    assert.deepEqual(parseShowinfo(FIFTH), { n: 4, ptsTime: 0.8, width: 64, height: 48 });
  });

  it('a line with the stats line glued in front', () => {
    const line =
      'frame=    1 fps=0.0 q=-0.0 size=N/A time=00:00:00.20 bitrate=N/A speed=2e+05x    [Parsed_showinfo_0 @ 0x5582605f2200] n:   1 pts:      1 ' +
      'pts_time:0.2     pos:       -1 fmt:yuv420p sar:1/1 s:64x48 i:P iskey:1 type:I checksum:1C72674F';
    assert.deepEqual(parseShowinfo(line), { n: 1, ptsTime: 0.2, width: 64, height: 48 });
  });

  it('later filter indexes, negative and exponent times', () => {
    assert.deepEqual(
      parseShowinfo('[Parsed_showinfo_3 @ 0x1] n: 120 pts:  -1024 pts_time:-0.04 pos: 48 fmt:yuvj420p sar:1/1 s:1920x1080 i:P iskey:0 type:P'),
      { n: 120, ptsTime: -0.04, width: 1920, height: 1080 },
    );
    assert.equal(parseShowinfo('[Parsed_showinfo_1 @ 0x1] n:   2 pts:      1 pts_time:1e-05 pos: 1')?.ptsTime, 0.00001);
  });

  it('the newer layout with duration_time', () => {
    const line = '[Parsed_showinfo_1 @ 0x7f] n:   3 pts:   3000 pts_time:0.12    duration:   1000 duration_time:0.04    fmt:yuv420p cl:left sar:1/1 s:320x240 i:P iskey:0 type:B';
    assert.deepEqual(parseShowinfo(line), { n: 3, ptsTime: 0.12, width: 320, height: 240 });
  });

  it('no size gives null width and height', () => {
    assert.deepEqual(parseShowinfo('[Parsed_showinfo_0 @ 0x1] n:   5 pts:      5 pts_time:1'), { n: 5, ptsTime: 1, width: null, height: null });
  });

  it('config lines and other filters are ignored', () => {
    assert.equal(parseShowinfo('[Parsed_showinfo_0 @ 0x5582834c3200] config in time_base: 1/5, frame_rate: 5/1'), null);
    assert.equal(parseShowinfo('[Parsed_select_0 @ 0x1] n:   0 pts:      0 pts_time:0'), null);
    assert.equal(parseShowinfo('frame=    5 fps=0.0 q=-0.0 Lsize=N/A time=00:00:01.00'), null);
    assert.equal(parseShowinfo(''), null);
  });
});
