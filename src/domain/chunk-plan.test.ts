import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkRequest, frameAt, parseRate, planChunks, type ChunkPlanInput } from './chunk-plan.js';

const R30 = { num: 30, den: 1 };
const NTSC = { num: 30000, den: 1001 };
const plan = (p: Partial<ChunkPlanInput>) => planChunks({ duration: 14, rate: R30, segmentSeconds: 2, chunkSeconds: 4, minSeconds: 0, ...p });
const frames = (p: Partial<ChunkPlanInput>) => plan(p).map((c) => [c.startFrame, c.endFrame]);

describe('chunk plan', () => {
  it('cuts every chunk length on the frame that starts a segment; the last chunk runs to the end', () => {
    const chunks = plan({});
    assert.deepEqual(chunks.map((c) => [c.startFrame, c.endFrame]), [[0, 120], [120, 240], [240, 360], [360, null]]);
    assert.deepEqual(chunks.map((c) => [c.start, c.end]), [[0, 4], [4, 8], [8, 12], [12, 14]]);
    assert.deepEqual(chunks.map((c) => c.keyframes), [[0, 60], [0, 60], [0, 60], [0]]);
    assert.deepEqual(chunks.map((c) => c.index), [0, 1, 2, 3]);
  });

  it('a last piece shorter than a segment (or half a chunk) joins the chunk before it', () => {
    assert.deepEqual(frames({ duration: 12.5 }), [[0, 120], [120, 240], [240, null]]);
    assert.deepEqual(plan({ duration: 12.5 }).at(-1)!.keyframes, [0, 60, 120]);
    assert.deepEqual(frames({ duration: 13.9 }), [[0, 120], [120, 240], [240, null]]);
    assert.deepEqual(frames({ duration: 14 }).length, 4, 'exactly half a chunk stays a chunk');
  });

  it('just above the minimum splits; at the minimum or below, one chunk', () => {
    const input = { segmentSeconds: 4, chunkSeconds: 60, minSeconds: 120 };
    assert.deepEqual(frames({ ...input, duration: 121 }), [[0, 1800], [1800, null]]);
    assert.deepEqual(plan({ ...input, duration: 121 }).map((c) => c.end), [60, 121]);
    assert.deepEqual(frames({ ...input, duration: 120 }), [[0, null]]);
    assert.deepEqual(frames({ ...input, duration: 30 }), [[0, null]]);
    assert.equal(plan({ ...input, duration: 120 })[0].keyframes.length, 30, 'one chunk still lists every segment start');
  });

  it('a source shorter than one chunk and a half is one chunk', () => {
    assert.deepEqual(frames({ duration: 5.9 }), [[0, null]]);
    assert.deepEqual(frames({ duration: 6 }), [[0, 120], [120, null]]);
  });

  it('rounds the chunk length up to whole segments', () => {
    assert.deepEqual(plan({ chunkSeconds: 5, duration: 20 }).map((c) => c.start), [0, 6, 12]);
    assert.deepEqual(plan({ chunkSeconds: 1, duration: 6.9 }).map((c) => c.start), [0, 2, 4], 'never shorter than a segment');
  });

  it('29.97 fps: boundaries on the first frame at or after each multiple of the segment', () => {
    const chunks = plan({ rate: NTSC, duration: 14 });
    assert.deepEqual(chunks.map((c) => [c.startFrame, c.endFrame]), [[0, 120], [120, 240], [240, 360], [360, null]]);
    // 2 s is 59.94 frames: segments start on frames 60, 120, 180 …, so chunk 1's second segment is 60 frames in.
    assert.deepEqual(chunks[1].keyframes, [0, 60]);
    assert.equal(chunks[1].start, (120 * 1001) / 30000);
    // Over a long run the frames drift from multiples of 60: 2 s × 17 = 34 s is frame ceil(1018.98) = 1019.
    const long = planChunks({ duration: 60, rate: NTSC, segmentSeconds: 2, chunkSeconds: 30, minSeconds: 0 });
    assert.deepEqual(long.map((c) => c.startFrame), [0, 900]);
    assert.ok(long[0].keyframes.includes(frameAt(34, NTSC)) === false && long[1].keyframes.includes(frameAt(34, NTSC) - 900));
    assert.equal(frameAt(34, NTSC), 1019);
  });

  it('odd rates (12.5, 23.976) and a variable-rate source made constant land on whole frames', () => {
    const pal = plan({ rate: parseRate('25/2')!, segmentSeconds: 1, chunkSeconds: 3, duration: 7 });
    assert.deepEqual(pal.map((c) => c.startFrame), [0, 38]); // 3 s × 12.5 = 37.5 → frame 38
    assert.deepEqual(pal[0].keyframes, [0, 13, 25]);
    const film = plan({ rate: parseRate('24000/1001')!, segmentSeconds: 4, chunkSeconds: 8, duration: 17 });
    assert.deepEqual(film.map((c) => c.startFrame), [0, 192]); // ceil(191.81)
    assert.deepEqual(film[0].keyframes, [0, 96]); // ceil(95.904)
    // A VFR source's ladder runs at its peak rate (30): the plan is on that grid.
    assert.deepEqual(frames({ duration: 6.1, chunkSeconds: 3, segmentSeconds: 3 }), [[0, 90], [90, null]]);
  });

  it('a video that starts a frame late: segments and chunks count from its first frame', () => {
    const late = plan({ firstFrame: 1 });
    assert.deepEqual(late.map((c) => [c.startFrame, c.endFrame]), [[1, 121], [121, 241], [241, 361], [361, null]]);
    assert.deepEqual(late.map((c) => c.keyframes), [[0, 60], [0, 60], [0, 60], [0]]);
    assert.equal(late[0].start, 1 / 30);
    assert.equal(late[3].end, 14);
    assert.deepEqual(plan({ firstFrame: 1, duration: 12.05 }).map((c) => c.endFrame), [121, 241, null], 'the last frame is still before the duration');
  });

  it('parses the rates the ladder gives', () => {
    assert.deepEqual(parseRate('30'), { num: 30, den: 1 });
    assert.deepEqual(parseRate('30000/1001'), NTSC);
    assert.deepEqual(parseRate('29.123'), { num: 29123, den: 1000 });
    assert.equal(parseRate('0'), null);
    assert.equal(parseRate('abc'), null);
  });
});

describe('chunk request', () => {
  const on = { mode: 'auto' as const, minSeconds: 120 };
  it('explicit seconds chunk whatever the length; off anywhere wins', () => {
    assert.deepEqual(chunkRequest({ seconds: 4 }, on), { chunkSeconds: 4, minSeconds: 0 });
    assert.equal(chunkRequest({ seconds: 4 }, { ...on, mode: 'off' }), null);
    assert.equal(chunkRequest('off', on), null);
  });
  it('"auto" stays unchunked until chunks spread across workers (slice 2)', () => {
    assert.equal(chunkRequest('auto', on), null);
  });
});
