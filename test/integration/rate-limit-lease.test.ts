import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { LeasedCounter, leaseSize, MAX_LEASE } from '../../src/http/rate-limit-lease.js';

const REDIS_URL = process.env.MEDIAFORGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WINDOW = 60_000;

describe('rate limit: the shared counter taken in slices (real Redis)', () => {
  let redis: Redis;
  const prefix = `mf-lease-${randomBytes(4).toString('hex')}:`;
  let scripts = 0;
  before(async () => {
    redis = new Redis(REDIS_URL);
    const send = redis.sendCommand.bind(redis);
    // Counts the round trips the counters make (EVALSHA, or EVAL the first time).
    redis.sendCommand = ((cmd: { name: string }) => {
      if (/^eval/i.test(cmd.name)) scripts++;
      return send(cmd as never);
    }) as typeof redis.sendCommand;
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('takes 1 % of the limit per round trip, 1 for small limits, at most MAX_LEASE', () => {
    assert.deepEqual([5, 100, 199, 200, 1000, 5000, 1_000_000].map(leaseSize), [1, 1, 1, 2, 10, 50, MAX_LEASE]);
  });

  it('never allows more than the limit across processes, refuses at most N × (slice − 1) early, in one round trip per slice', async () => {
    const max = 1000; // slices of 10
    // Two API processes: two counters (each its own memory) on one Redis key.
    const a = new LeasedCounter(redis, prefix, 100);
    const b = new LeasedCounter(redis, prefix, 100);
    scripts = 0;
    let allowed = 0;
    let refused = 0;
    const seen = new Set<number>();
    for (let i = 0; i < 1200; i++) {
      const c = await (i % 3 === 0 ? b : a).incr('key:k1', WINDOW, max);
      assert.ok(!seen.has(c.current), `position ${c.current} handed out twice`);
      seen.add(c.current);
      if (c.current <= max) allowed++;
      else refused++;
      assert.ok(c.ttl > 0 && c.ttl <= WINDOW);
    }
    assert.ok(allowed <= max, `${allowed} allowed of a budget of ${max}`);
    assert.ok(allowed >= max - 2 * 9, `${allowed} allowed: more lost to unused slices than two processes can hold`);
    assert.equal(allowed + refused, 1200);
    assert.ok(scripts <= 1200 / 10 + 2, `${scripts} round trips for 1200 requests in slices of 10`);
    assert.ok(scripts >= 1200 / 10 - 2, `${scripts} round trips: the slices are larger than asked`);
  });

  it('counts one by one under 200 a minute: the count in Redis is every request', async () => {
    const a = new LeasedCounter(redis, prefix, 100);
    const b = new LeasedCounter(redis, prefix, 100);
    const got = [];
    for (let i = 0; i < 6; i++) got.push((await (i % 2 ? b : a).incr('key:small', WINDOW, 5)).current);
    assert.deepEqual(got, [1, 2, 3, 4, 5, 6]);
    assert.equal(await redis.get(`${prefix}key:small`), '6');
  });

  it('requests that arrive together share the slices they wait for', async () => {
    const a = new LeasedCounter(redis, prefix, 100);
    scripts = 0;
    const counts = await Promise.all(Array.from({ length: 25 }, () => a.incr('key:burst', WINDOW, 1000)));
    assert.ok(counts.every((c) => c.current >= 1 && c.current <= 25 * 10), 'positions from the slices taken');
    assert.deepEqual(counts.map((c) => c.current).sort((x, y) => x - y), Array.from({ length: 25 }, (_, i) => i + 1));
    assert.equal(new Set(counts.map((c) => c.current)).size, 25, 'no position twice');
    assert.equal(scripts, 3, 'one round trip at a time: three slices of 10 for 25 requests');
    assert.equal(await redis.get(`${prefix}key:burst`), '30');
  });

  it('starts over when the window ends, in Redis and in memory', async () => {
    let now = 1_000_000;
    const a = new LeasedCounter(redis, prefix, 100, () => now);
    assert.equal((await a.incr('key:window', 300, 1000)).current, 1);
    assert.equal((await a.incr('key:window', 300, 1000)).current, 2, 'from the slice in memory');
    // Redis lets the key expire with its window; the slice in memory ends with it.
    for (let i = 0; i < 100 && (await redis.exists(`${prefix}key:window`)); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await redis.exists(`${prefix}key:window`), 0);
    now += 301;
    assert.equal((await a.incr('key:window', 300, 1000)).current, 1, 'a fresh window');
  });

  it('forgets the least recently seen callers beyond its size', async () => {
    const a = new LeasedCounter(redis, prefix, 2);
    for (const k of ['key:f1', 'key:f2', 'key:f3']) await a.incr(k, WINDOW, 1000);
    assert.equal(a.take('key:f1'), null, 'the oldest caller was forgotten');
    assert.equal(a.take('key:f3')?.current, 2);
  });
});
