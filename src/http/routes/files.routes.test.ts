import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRange } from './files.routes.js';

describe('parseRange', () => {
  const SIZE = 1000;

  it('no header: the whole file', () => {
    assert.equal(parseRange(undefined, SIZE), null);
    assert.equal(parseRange('', SIZE), null);
  });

  it('bytes=0-99: the first hundred bytes', () => {
    assert.deepEqual(parseRange('bytes=0-99', SIZE), { start: 0, end: 99 });
  });

  it('a single byte and the last byte', () => {
    assert.deepEqual(parseRange('bytes=0-0', SIZE), { start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=999-999', SIZE), { start: 999, end: 999 });
  });

  it('open-ended: from start to the end', () => {
    assert.deepEqual(parseRange('bytes=500-', SIZE), { start: 500, end: 999 });
    assert.deepEqual(parseRange('bytes=0-', SIZE), { start: 0, end: 999 });
  });

  it('suffix: the last n bytes', () => {
    assert.deepEqual(parseRange('bytes=-100', SIZE), { start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=-1', SIZE), { start: 999, end: 999 });
  });

  it('a suffix longer than the file is the whole file', () => {
    assert.deepEqual(parseRange('bytes=-5000', SIZE), { start: 0, end: 999 });
  });

  it('an end past the size is clamped', () => {
    assert.deepEqual(parseRange('bytes=900-5000', SIZE), { start: 900, end: 999 });
  });

  it('a start at or past the size is unsatisfiable', () => {
    assert.equal(parseRange('bytes=1000-', SIZE), 'unsatisfiable');
    assert.equal(parseRange('bytes=1500-2000', SIZE), 'unsatisfiable');
  });

  it('bytes=-0 is unsatisfiable', () => {
    assert.equal(parseRange('bytes=-0', SIZE), 'unsatisfiable');
  });

  it('last before first is unsatisfiable', () => {
    assert.equal(parseRange('bytes=500-100', SIZE), 'unsatisfiable');
  });

  it('an empty file satisfies no range', () => {
    assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
    assert.equal(parseRange('bytes=-10', 0), 'unsatisfiable');
  });

  it('surrounding whitespace is tolerated', () => {
    assert.deepEqual(parseRange('  bytes=10-19 ', SIZE), { start: 10, end: 19 });
  });

  it('malformed headers are ignored (whole file)', () => {
    for (const h of ['bytes=', 'bytes=-', 'bytes=abc', 'bytes=1-2-3', 'bytes=a-5', 'items=0-99', 'bytes 0-99', 'bytes=0x10-', 'BYTES=0-1']) {
      assert.equal(parseRange(h, SIZE), null, h);
    }
  });

  it('several ranges are answered with the whole file', () => {
    assert.equal(parseRange('bytes=0-99,200-299', SIZE), null);
    assert.equal(parseRange('bytes=0-1, -5', SIZE), null);
  });
});
