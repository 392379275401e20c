import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanLine, DamageTally, worstDamage } from './damage.tally.js';

const tally = (log: string) => {
  const t = new DamageTally();
  for (const line of log.trim().split('\n')) t.push(line.trim());
  return t.counts();
};

// Real stderr of ffmpeg 5.1 (Debian) and 4.x (the npm static build), -loglevel info,
// re-encoding the 6 s faststart test clip cut at half its bytes.
const CUT_51 = `
[mov,mp4,m4a,3gp,3g2,mj2 @ 0x557f15d3f100] Packet corrupt (stream = 0, dts = 46080).
[NULL @ 0x557f15d40580] Invalid NAL unit size (3456 > 2146).
[NULL @ 0x557f15d40580] missing picture in access unit with size 2150
/tmp/mf/job_1/source: corrupt input packet in stream 0
[h264 @ 0x557f15d8ab00] Invalid NAL unit size (3456 > 2146).
[h264 @ 0x557f15d8ab00] Error splitting the input into NAL units.
[mov,mp4,m4a,3gp,3g2,mj2 @ 0x557f15d3f100] stream 1, offset 0x51105: partial file
[mov,mp4,m4a,3gp,3g2,mj2 @ 0x557f15d3f100] stream 0, offset 0x511d7: partial file
Error while decoding stream #0:0: Invalid data found when processing input
[mov,mp4,m4a,3gp,3g2,mj2 @ 0x557f15d3f100] stream 1, offset 0x51ff8: partial file
frame=   90 fps=0.0 q=-1.0 Lsize=     309kB time=00:00:03.01 bitrate= 837.3kbits/s speed=38.9x
`;
const CUT_4 = `
/tmp/mf/job_1/source: corrupt input packet in stream 0
[h264 @ 0x77fbf00] Invalid NAL unit size (3456 > 2146).
[h264 @ 0x77fbf00] Error splitting the input into NAL units.
[mov,mp4,m4a,3gp,3g2,mj2 @ 0x776d140] stream 1, offset 0x51105: partial file
/tmp/mf/job_1/source: Invalid data found when processing input
[mov,mp4,m4a,3gp,3g2,mj2 @ 0x776d140] stream 0, offset 0x511d7: partial file
/tmp/mf/job_1/source: Invalid data found when processing input
Error while decoding stream #0:0: Invalid data found when processing input
`;
// The same clip with three runs of 200 bytes overwritten in its media data.
const CORRUPT_51 = `
[h264 @ 0x55df3df04b00] cbp too large (116) at 17 9
[h264 @ 0x55df3df04b00] error while decoding MB 17 9
[h264 @ 0x55df3df04b00] concealing 152 DC, 152 AC, 152 MV errors in P frame
/tmp/mf/job_1/source: corrupt decoded frame in stream 0
[h264 @ 0x55df3df04b00] out of range intra chroma pred mode
[h264 @ 0x55df3df04b00] error while decoding MB 14 10
[h264 @ 0x55df3df04b00] concealing 135 DC, 135 AC, 135 MV errors in P frame
/tmp/mf/job_1/source: corrupt decoded frame in stream 0
[h264 @ 0x55df3ded4680] P sub_mb_type 4 out of range at 6 11
[h264 @ 0x55df3ded4680] error while decoding MB 6 11
[h264 @ 0x55df3ded4680] concealing 123 DC, 123 AC, 123 MV errors in P frame
/tmp/mf/job_1/source: corrupt decoded frame in stream 0
`;
const CORRUPT_4 = CORRUPT_51.split('\n').filter((l) => !l.includes('corrupt decoded frame')).join('\n');
// A clean run: banner, libx264's report, the final stats.
const CLEAN = `
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from '/tmp/mf/job_1/source':
Stream mapping:
[libx264 @ 0x557f15d67640] using cpu capabilities: MMX2 SSE2Fast SSSE3 SSE4.2 AVX FMA3 BMI2 AVX2
Output #0, mp4, to '/tmp/mf/job_1/0/video.mp4':
frame=  180 fps=0.0 q=-1.0 Lsize=     626kB time=00:00:06.01 bitrate= 852.2kbits/s speed=60.5x
[libx264 @ 0x557f15d67640] frame I:1     Avg QP:20.00  size:  8047
[aac @ 0x55df3dee1f80] Qavg: 114.812
`;

describe('DamageTally', () => {
  it('a cut file: truncation lines, the first quoted without its address', () => {
    assert.deepEqual(tally(CUT_51), { truncation: 3, decodeErrors: 2, firstTruncation: '[mov,mp4,m4a,3gp,3g2,mj2] stream 1, offset 0x51105: partial file', firstDecodeError: '<input>: corrupt input packet in stream 0' });
    assert.deepEqual(tally(CUT_4), { truncation: 2, decodeErrors: 4, firstTruncation: '[mov,mp4,m4a,3gp,3g2,mj2] stream 1, offset 0x51105: partial file', firstDecodeError: '<input>: corrupt input packet in stream 0' });
  });

  it('corrupt packets: one error per damaged frame on both builds (5.x logs two lines for each)', () => {
    assert.deepEqual(tally(CORRUPT_51), { truncation: 0, decodeErrors: 3, firstTruncation: null, firstDecodeError: '[h264] concealing 152 DC, 152 AC, 152 MV errors in P frame' });
    assert.equal(tally(CORRUPT_4).decodeErrors, 3);
  });

  it('Matroska and generic demuxers ending early; ffmpeg 6+ decode errors', () => {
    assert.equal(tally('[matroska,webm @ 0x55de2ac9e100] File ended prematurely').truncation, 1);
    assert.equal(tally('[mpegts @ 0x1] Truncating packet of size 4096 to 1201').truncation, 1);
    assert.equal(tally('[vist#0:0/h264 @ 0x5] Decoding error: Invalid data found when processing input\n[vist#0:0/h264 @ 0x5] corrupt decoded frame').decodeErrors, 2);
    assert.equal(tally('[vist#0:0/h264 @ 0x5] Error submitting packet to decoder: Invalid data found when processing input').decodeErrors, 1);
  });

  it('a clean run counts nothing', () => {
    assert.deepEqual(tally(CLEAN), { truncation: 0, decodeErrors: 0, firstTruncation: null, firstDecodeError: null });
  });

  it('several runs over one source: the worst of each count', () => {
    const w = worstDamage([tally(CORRUPT_51), tally(CUT_51), tally(CLEAN)]);
    assert.deepEqual([w.truncation, w.decodeErrors, w.firstDecodeError], [3, 3, '[h264] concealing 152 DC, 152 AC, 152 MV errors in P frame']);
    assert.deepEqual(worstDamage([]), { truncation: 0, decodeErrors: 0, firstTruncation: null, firstDecodeError: null });
  });

  it('cleanLine drops paths and addresses and caps the length', () => {
    assert.equal(cleanLine("[h264 @ 0xAB12] error in '/srv/data/tmp/x.mp4': bad"), "[h264] error in '<input>': bad");
    assert.equal(cleanLine('x'.repeat(500)).length, 160);
  });
});
