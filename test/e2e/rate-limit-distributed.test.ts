import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { dropSchema, freshSchema, PG_URL } from '../contracts/postgres.schema.js';
import { spawnRole, type ClusterProcess } from '../helpers/distributed-cluster.js';
import { TEST_KEY } from '../helpers/platform.js';
import { TcpRelay } from '../helpers/tcp-relay.js';
import { tempDir, waitFor } from '../helpers/temp.js';

const REDIS_URL = process.env.MEDIAFORGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const READY = /mediaforge api is running on (http:\/\/\S+)/;

/** `mediaforge api` processes on one PostgreSQL schema, one data folder, and the given Redis. */
async function apiEnv(redisUrl: string, perMinute: number) {
  const data = await tempDir('mf-rl-');
  const schema = freshSchema('mf_rl');
  const id = randomBytes(4).toString('hex');
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    MEDIAFORGE_DATA_DIR: data.dir,
    MEDIAFORGE_API_KEY: TEST_KEY,
    MEDIAFORGE_SIGNING_SECRET: randomBytes(24).toString('hex'),
    MEDIAFORGE_DATABASE_URL: PG_URL,
    MEDIAFORGE_DATABASE_SCHEMA: schema,
    MEDIAFORGE_DATABASE_POOL_SIZE: '2',
    MEDIAFORGE_QUEUE: 'db',
    MEDIAFORGE_QUEUE_NAME: `mf-rl-${id}`,
    REDIS_URL: redisUrl,
    MEDIAFORGE_REDIS_PREFIX: `mf-rl-${id}`,
    MEDIAFORGE_RATE_LIMIT_PER_MINUTE: String(perMinute),
  };
  const procs: ClusterProcess[] = [];
  const start = async () => {
    const a = spawnRole('api', [], env, READY);
    procs.push(a.proc);
    return { ...a.proc, url: (await a.started)[1]! };
  };
  const keyPrefix = `mf-rl-${id}:mf-rl-${id}:ratelimit:`;
  const stop = async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000))])));
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await dropSchema(schema);
    await data.cleanup();
  };
  return { env, start, stop, keyPrefix };
}

async function get(base: string, key: string | null = TEST_KEY) {
  const res = await fetch(`${base}/v1/jobs`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const body = (await res.json()) as any;
  return { status: res.status, remaining: res.headers.get('ratelimit-remaining'), body };
}

describe('e2e: two API processes on one Redis share one budget', { timeout: 180_000 }, () => {
  let cluster: Awaited<ReturnType<typeof apiEnv>>;
  let a: ClusterProcess & { url: string };
  let b: ClusterProcess & { url: string };
  before(async () => {
    cluster = await apiEnv(REDIS_URL, 6);
    // One after the other: the first migrates the fresh schema.
    a = await cluster.start();
    b = await cluster.start();
  });
  after(async () => cluster?.stop());

  it('a key gets 6 requests a minute across both processes, not 6 on each', async () => {
    const seen: Array<[number, string | null]> = [];
    for (let i = 0; i < 6; i++) {
      const r = await get(i % 2 === 0 ? a.url : b.url);
      seen.push([r.status, r.remaining]);
    }
    assert.deepEqual(seen, [[200, '5'], [200, '4'], [200, '3'], [200, '2'], [200, '1'], [200, '0']]);
    for (const url of [a.url, b.url]) {
      const over = await get(url);
      assert.equal(over.status, 429, `${url} answered ${over.status}: the budget is not shared`);
      assert.equal(over.body.error.code, 'rate_limited');
    }
  });

  it('requests with bad keys from one address share one budget across both processes', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await get(i % 2 === 0 ? a.url : b.url, `mf_bad_key_${i}_0123456789abcdef`)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429, 429]);
  });

  it('neither process warned that its budget is per process; one without REDIS_URL does', async () => {
    for (const p of [a, b]) assert.doesNotMatch(p.output(), /REDIS_URL is not set|Redis does not answer|not reachable/);
    // An empty value is "not set" (and hides any REDIS_URL of the test's own environment).
    const alone = spawnRole('api', [], { ...cluster.env, REDIS_URL: '' }, READY);
    try {
      await alone.started;
      assert.match(alone.proc.output(), /rate limit: REDIS_URL is not set, so each API process counts its own budget of 6 requests a minute per key/);
    } finally {
      alone.proc.child.kill('SIGTERM');
      await alone.proc.exited;
    }
  });
});

describe('e2e: rate limits when Redis is away', { timeout: 180_000 }, () => {
  let cluster: Awaited<ReturnType<typeof apiEnv>>;
  let relay: TcpRelay;
  let api: ClusterProcess & { url: string };
  let redis: Redis;
  const counted = async () => {
    const keys = await redis.keys(`${cluster.keyPrefix}key:*`);
    return keys.length ? Number(await redis.get(keys[0]!)) : 0;
  };
  before(async () => {
    // A relay to the real Redis that the test cuts and restores; down until the test says.
    const target = new URL(REDIS_URL);
    relay = await TcpRelay.open({ host: target.hostname, port: Number(target.port || 6379) });
    await relay.down();
    cluster = await apiEnv(`redis://127.0.0.1:${relay.port}`, 4);
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    await relay?.down();
    redis?.disconnect();
    await cluster?.stop();
  });

  it('starts without Redis, limits in memory meanwhile, then counts in Redis once it answers, and falls back again when it goes', async () => {
    // Redis unreachable at start: the API starts, says so, and still limits (in this process).
    api = await cluster.start();
    await waitFor(async () => /rate limit: Redis is not reachable at start/.test(api.output()), { timeoutMs: 10_000, what: 'the start warning' });
    const local = [];
    for (let i = 0; i < 5; i++) local.push((await get(api.url)).status);
    assert.deepEqual(local, [200, 200, 200, 200, 429]);
    assert.match(api.output(), /Redis does not answer, so this API process counts requests in its own memory/);
    assert.equal(await counted(), 0);

    // Redis back: the client reconnects by itself and the counts go to Redis (a fresh window there).
    await relay.up();
    const shared = await waitFor(async () => {
      const r = await get(api.url);
      return r.status === 200 ? r : null;
    }, { timeoutMs: 20_000, intervalMs: 250, what: 'a request counted in Redis' });
    assert.equal(shared.remaining, '3');
    assert.equal(await counted(), 1);
    assert.match(api.output(), /Redis answers again; the budget is shared again/);

    // Redis gone mid-run: requests are neither held up nor unlimited.
    await relay.down();
    const t0 = Date.now();
    const during: number[] = [];
    for (let i = 0; i < 6; i++) during.push((await get(api.url)).status);
    assert.ok(Date.now() - t0 < 5000, `requests took ${Date.now() - t0} ms while Redis was away`);
    // Counted in memory again: at most the budget of 4 pass (none if the window of the start still holds).
    assert.ok(during.filter((s) => s === 200).length <= 4 && during.includes(429), `statuses while Redis was away: ${during}`);
    assert.equal(await counted(), 1);
  });
});
