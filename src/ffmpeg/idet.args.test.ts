import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildIdetArgs, decideInterlace, parseIdet } from './idet.args.js';
import { INPUT_GUARD_ARGS } from './probe.js';

const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'info', '-nostats', '-progress', 'pipe:1'];

// The three summary lines as ffmpeg 5.1 prints them when the graph closes (the npm-shipped
// 4.x build prints the same text), here for an interlaced top-field-first source.
const FFMPEG_51 = [
  '[Parsed_idet_0 @ 0x56490ad17080] Repeated Fields: Neither:   300 Top:     0 Bottom:     0',
  '[Parsed_idet_0 @ 0x56490ad17080] Single frame detection: TFF:   251 BFF:     2 Progressive:    40 Undetermined:     7',
  '[Parsed_idet_0 @ 0x56490ad17080] Multi frame detection: TFF:   290 BFF:     0 Progressive:     9 Undetermined:     1',
];

describe('idet scan', () => {
  it('a few hundred frames from 10 % in (at most a minute), through the input guard, written nowhere', () => {
    const tail = ['-map', '0:v:0', '-an', '-sn', '-dn', '-vf', 'idet', '-frames:v', '300', '-f', 'null', '-'];
    assert.deepEqual(buildIdetArgs({ duration: 40 }, '/tmp/mf/source'), [...HEAD, '-ss', '4', ...INPUT_GUARD_ARGS, '-i', '/tmp/mf/source', ...tail]);
    assert.deepEqual(buildIdetArgs({ duration: 7200 }, '/tmp/mf/source'), [...HEAD, '-ss', '60', ...INPUT_GUARD_ARGS, '-i', '/tmp/mf/source', ...tail]);
    assert.deepEqual(buildIdetArgs({ duration: null }, '/tmp/mf/source'), [...HEAD, ...INPUT_GUARD_ARGS, '-i', '/tmp/mf/source', ...tail]);
  });

  it('parses the multi-frame summary, falling back to the single-frame one', () => {
    assert.deepEqual(parseIdet(FFMPEG_51), { tff: 290, bff: 0, progressive: 9, undetermined: 1 });
    assert.deepEqual(parseIdet(FFMPEG_51.slice(0, 2)), { tff: 251, bff: 2, progressive: 40, undetermined: 7 });
    assert.equal(parseIdet(['frame=  300 fps=0.0 q=-0.0 Lsize=N/A', 'video:0kB audio:0kB']), null);
    assert.equal(parseIdet([]), null);
  });

  it('interlaced when one field order clearly dominates', () => {
    assert.deepEqual(decideInterlace({ tff: 290, bff: 0, progressive: 9, undetermined: 1 }), {
      tff: 290, bff: 0, progressive: 9, undetermined: 1, interlaced: true, parity: 'tff',
    });
    assert.equal(decideInterlace({ tff: 0, bff: 100, progressive: 0, undetermined: 0 }).parity, 'bff');
    // Mixed content (an interlaced programme with progressive inserts) still counts when interlacing is half of it.
    assert.equal(decideInterlace({ tff: 150, bff: 10, progressive: 140, undetermined: 0 }).interlaced, true);
  });

  it('not interlaced: progressive, static (undetermined), too few frames, or both orders at once', () => {
    assert.equal(decideInterlace({ tff: 0, bff: 0, progressive: 51, undetermined: 49 }).interlaced, false);
    assert.equal(decideInterlace({ tff: 0, bff: 0, progressive: 0, undetermined: 300 }).interlaced, false);
    assert.equal(decideInterlace({ tff: 6, bff: 0, progressive: 0, undetermined: 294 }).interlaced, false);
    // What idet reports for a progressive lavfi testsrc2 (fine moving detail): no single field order.
    assert.deepEqual(decideInterlace({ tff: 47, bff: 44, progressive: 9, undetermined: 0 }), {
      tff: 47, bff: 44, progressive: 9, undetermined: 0, interlaced: false, parity: null,
    });
    assert.equal(decideInterlace({ tff: 160, bff: 120, progressive: 20, undetermined: 0 }).interlaced, false, 'no order dominates');
    assert.equal(decideInterlace(null).interlaced, false);
  });
});
