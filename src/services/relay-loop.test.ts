import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdleBackoff, RelayLoop } from './relay-loop.js';

describe('IdleBackoff: the poll of a loop that is also poked', () => {
  it('doubles the wait after each empty pass up to the cap, and starts over after work or a poke', () => {
    const b = new IdleBackoff(250, 1000);
    assert.deepEqual([b.next(false), b.next(false), b.next(false), b.next(false)], [250, 500, 1000, 1000]);
    assert.equal(b.next(true), 0, 'a pass that found work looks again at once');
    assert.deepEqual([b.next(false), b.next(false)], [250, 500], 'and the next empty pass waits the base again');
    b.next(false);
    b.reset();
    assert.equal(b.next(false), 250, 'a poke starts over too');
  });

  it('without a cap (or a cap below the base) is the plain period', () => {
    const plain = new IdleBackoff(500);
    assert.deepEqual([plain.next(false), plain.next(false), plain.next(false)], [500, 500, 500]);
    const low = new IdleBackoff(500, 100);
    assert.deepEqual([low.next(false), low.next(false)], [500, 500]);
  });
});

describe('RelayLoop', () => {
  const passes = async (opts: { pollMs: number; idleMaxMs?: number }, ms: number) => {
    let n = 0;
    const loop = new RelayLoop(async () => {
      n++;
      return false;
    }, { ...opts, name: 'test' });
    loop.start();
    await new Promise((r) => setTimeout(r, ms));
    const idle = n;
    loop.poke();
    await new Promise((r) => setTimeout(r, opts.pollMs / 2));
    await loop.stop();
    return { idle, afterPoke: n - idle };
  };

  it('polls less and less while idle when given a cap, and a poke passes at once', async () => {
    // 400 ms at a 10 ms period: ~40 passes plain; with a 160 ms cap 10+20+40+80+160+… ≈ 5.
    const plain = await passes({ pollMs: 10 }, 400);
    const capped = await passes({ pollMs: 10, idleMaxMs: 160 }, 400);
    assert.ok(plain.idle >= 15, `plain: ${plain.idle} passes`);
    assert.ok(capped.idle <= 8, `capped: ${capped.idle} passes`);
    assert.ok(capped.afterPoke >= 1, 'the poke passed within half a base period');
  });
});
