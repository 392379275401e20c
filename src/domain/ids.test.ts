import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from './ids.js';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Reads the timestamp back from the first ten characters after the prefix. */
function timeOf(id: string): number {
  const body = id.slice(id.indexOf('_') + 1);
  let t = 0;
  for (const ch of body.slice(0, 10)) t = t * 32 + ALPHABET.indexOf(ch);
  return t;
}

describe('newId', () => {
  it('prefix, underscore, 26 Crockford base32 characters', () => {
    const id = newId('job', 1_700_000_000_000);
    assert.match(id, /^job_[0-9a-hjkmnp-tv-z]{26}$/);
    assert.ok(newId('upl').startsWith('upl_'));
  });

  it('encodes the timestamp in the first ten characters', () => {
    assert.equal(newId('job', 0).slice(4, 14), '0000000000');
    assert.equal(newId('job', 31).slice(4, 14), '000000000z');
    assert.equal(newId('job', 32).slice(4, 14), '0000000010');
    assert.equal(timeOf(newId('job', 1_700_000_000_123)), 1_700_000_000_123);
    assert.equal(timeOf(newId('job', 2 ** 48 - 1)), 2 ** 48 - 1);
  });

  it('defaults to the current time', () => {
    const before = Date.now();
    const t = timeOf(newId('job'));
    assert.ok(t >= before && t <= Date.now());
  });

  it('ids made with increasing now sort increasing', () => {
    const times = [0, 1, 31, 32, 1023, 1024, 1_600_000_000_000, 1_700_000_000_000, 1_700_000_000_001, 2 ** 41, 2 ** 47 + 5];
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1] < times[i], 'test data must increase');
    const ids = times.map((t) => newId('job', t));
    assert.deepEqual([...ids].sort(), ids);
  });

  it('ids in the same millisecond differ', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId('job', 1_700_000_000_000)));
    assert.equal(ids.size, 1000);
  });

  it('the random part uses every alphabet position (no stuck bits)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) for (const ch of newId('x', 0).slice(12)) seen.add(ch);
    assert.equal(seen.size, 32);
  });
});
