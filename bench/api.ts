/**
 * API benchmark: `GET /v1/jobs/:id` latency (p50, p95) and throughput with N concurrent
 * clients, for two configurations of the same build in the same run, in alternating rounds:
 *
 *   off  rate limiting off (MEDIAFORGE_RATE_LIMIT_PER_MINUTE=0), the admin key
 *   on   rate limiting on with a limit no client reaches (1 000 000 a minute), the admin key
 *
 * A side is a server configuration plus the key its clients send (`SIDES` below; the key is
 * a function of the running server, so a side can create its own key, e.g. a scoped
 * account key, before it is measured).
 *
 *   npm run build && npx tsx bench/api.ts                 # embedded servers, in-memory counters
 *   npx tsx bench/api.ts --store redis                     # `mediaforge api` on PostgreSQL, counters in Redis
 *   npx tsx bench/api.ts --clients 16 --seconds 2 --rounds 20
 *
 * --store memory (default): one `mediaforge start` per side (SQLite, its own data folder and
 * job; the limiter counts in the process). --store redis: one `mediaforge api` per side on
 * one PostgreSQL schema (the db queue; one `mediaforge worker` runs the job both read), both
 * with REDIS_URL: the `on` side counts in Redis, one round trip per request.
 *
 * Each side first gets one job (a thumbnail of a 2 s clip, run to success), then per round,
 * in an order that alternates, `--clients` clients each send GET /v1/jobs/:id back to back
 * over keep-alive connections for `--seconds` seconds (after `--warmup` seconds of the same
 * per side, not recorded: a fresh process runs slower for its first seconds). Printed per
 * side: the medians over rounds of p50, p95, requests/s and the server process's CPU time
 * per request; then on ÷ off of each, paired (the median of the per-round ratios, which
 * cancels load drifting between rounds). Any answer other than 200 (a 429
 * would mean the limit was reached) stops the run. Target: p50 ratio ≤ 1.10.
 *
 * Options (argv or env BENCH_*): --clients (8), --seconds (2), --rounds (20), --warmup (10),
 * --store (memory | redis). Services for --store redis: MEDIAFORGE_TEST_PG_URL, MEDIAFORGE_TEST_REDIS_URL.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Api, FFMPEG, load, median, onCleanup, Options, run, runMain, startRole, startServer, table, tempDir, type LoadRound as Round } from './lib.js';

const opts = new Options();
const PG_URL = process.env.MEDIAFORGE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.MEDIAFORGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A limit no run reaches: the limiter does all its work and never refuses. */
const UNREACHED_LIMIT = '1000000';

interface Running {
  url: string;
  adminKey: string;
  pid: number;
}

interface Side {
  name: string;
  /** Settings of this side's server, on top of the common ones. */
  env: Record<string, string>;
  /** The key this side's clients send, chosen once its server runs. */
  key(server: Running): Promise<string>;
}

/** A key of a fresh account with the scopes an integration has (not admin): what the `on` side's clients send. */
async function accountKey(s: Running): Promise<string> {
  const api = new Api({ url: s.url, apiKey: s.adminKey });
  const account = await api.json<{ id: string }>('POST', '/v1/accounts', { name: 'bench' });
  return (await api.json<{ key: string }>('POST', `/v1/accounts/${account.id}/keys`, { name: 'bench', scopes: ['uploads:write', 'jobs:read', 'jobs:write'] })).key;
}

// off: the build as one team runs it, the admin key and no limit. on: an account's scoped key,
// its scope checked and its rows filtered by account on every request, and the rate limiter.
const SIDES: Side[] = [
  { name: 'off', env: { MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '0' }, key: async (s) => s.adminKey },
  { name: 'on', env: { MEDIAFORGE_RATE_LIMIT_PER_MINUTE: UNREACHED_LIMIT }, key: accountKey },
];

// ---------------------------------------------------------------------------------------
// Servers


/** One server per side and the id of a succeeded job each can read. */
async function startSides(store: string, clip: string): Promise<Array<{ side: Side; server: Running; key: string; jobId: string }>> {
  // Each side's job is made with the key its clients read it with (an account sees only its own).
  const runJob = async (server: Running, apiKey: string) => {
    const api = new Api({ url: server.url, apiKey });
    const upload = await api.uploadRaw(clip, 'clip.mp4');
    const job = await api.json<{ id: string }>('POST', '/v1/jobs', { input: { uploadId: upload.id }, outputs: [{ type: 'thumbnail' }] });
    const final = await api.waitFinal(job.id, 120_000);
    if (final.status !== 'succeeded') throw new Error(`the bench job ${job.id} ended ${final.status}: ${JSON.stringify(final.error)}`);
    return job.id;
  };
  if (store === 'memory') {
    const out = [];
    for (const side of SIDES) {
      const s = await startServer({ MEDIAFORGE_WORKER_CONCURRENCY: '1', ...side.env });
      const server = { url: s.url, adminKey: s.apiKey, pid: s.pid };
      const key = await side.key(server);
      out.push({ side, server, key, jobId: await runJob(server, key) });
    }
    return out;
  }
  if (store !== 'redis') throw new Error(`--store must be memory or redis (got ${JSON.stringify(store)})`);
  const id = randomBytes(4).toString('hex');
  const schema = `mfbench_api_${id}`;
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MEDIAFORGE_') && k !== 'PORT' && k !== 'HOST' && k !== 'REDIS_URL') base[k] = v;
  const adminKey = `bench_${randomBytes(16).toString('hex')}`;
  Object.assign(base, {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    MEDIAFORGE_DATA_DIR: await tempDir('api'),
    MEDIAFORGE_API_KEY: adminKey,
    MEDIAFORGE_SIGNING_SECRET: randomBytes(24).toString('hex'),
    MEDIAFORGE_DATABASE_URL: PG_URL,
    MEDIAFORGE_DATABASE_SCHEMA: schema,
    MEDIAFORGE_DATABASE_POOL_SIZE: '10',
    MEDIAFORGE_QUEUE: 'db',
    MEDIAFORGE_QUEUE_NAME: `mfbench-api-${id}`,
    MEDIAFORGE_STORAGE: 'fs',
    REDIS_URL,
    MEDIAFORGE_REDIS_PREFIX: `mfbench-api-${id}`,
  });
  onCleanup(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });
  const out = [];
  for (const side of SIDES) {
    // One after the other: the first migrates the schema.
    const p = await startRole('api', { ...base, ...side.env }, /mediaforge api is running on (http:\/\/\S+)/);
    const server = { url: p.match[1]!, adminKey, pid: p.child.pid! };
    out.push({ side, server, key: await side.key(server), jobId: '' });
  }
  await startRole('worker', { ...base, MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '0', MEDIAFORGE_WORKER_CONCURRENCY: '1' }, /mediaforge worker \S+ is running/);
  for (const o of out) o.jobId = await runJob(o.server, o.key);
  return out;
}

runMain(async () => {
  if (opts.help) {
    console.log('npx tsx bench/api.ts [--clients 8] [--seconds 2] [--rounds 20] [--warmup 10] [--store memory|redis]');
    return;
  }
  const clients = opts.number('clients', 8, 1);
  // Short rounds, many of them: on a shared machine the load drifts within seconds, and
  // pairing each round of one side with the next of the other cancels most of it.
  const seconds = opts.number('seconds', 2, 0.5);
  const rounds = opts.number('rounds', 20, 1);
  const store = opts.raw('store') ?? 'memory';
  const warmup = opts.number('warmup', 10, 0);
  const work = await tempDir('api-src');
  const clip = join(work, 'clip.mp4');
  // prettier-ignore
  await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', clip]);

  const loadStart = os.loadavg()[0];
  console.log(
    `API: GET /v1/jobs/:id, ${clients} clients back to back over keep-alive, ${seconds} s per side per round, ${rounds} rounds (order alternates), ` +
      `store ${store}; node ${process.version}, ${os.availableParallelism()} CPUs\n`,
  );
  const sides = await startSides(store, clip);
  // Warm-up, not recorded: the first seconds of a fresh process run slower (JIT, caches).
  for (let i = 0; i < 2; i++) for (const s of sides) await load(s.server, `/v1/jobs/${s.jobId}`, s.key, clients, warmup / 2);
  const results = new Map<string, Round[]>(sides.map((s) => [s.side.name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) {
      const m = await load(s.server, `/v1/jobs/${s.jobId}`, s.key, clients, seconds);
      results.get(s.side.name)!.push(m);
      console.error(`round ${r + 1}: ${s.side.name.padEnd(4)} p50 ${m.p50.toFixed(2)} ms, p95 ${m.p95.toFixed(2)} ms, ${m.rps.toFixed(0)} req/s, ${m.cpuMs.toFixed(3)} CPU ms/req`);
    }
  }

  const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const [base, ...others] = sides.map((s) => s.side.name);
  const of = (name: string, k: keyof Round) => median(results.get(name)!.map((m) => m[k]));
  const paired = (name: string, k: keyof Round) => median(results.get(name)!.map((m, i) => m[k] / results.get(base!)![i]![k]));
  const rows = [['side', 'key', 'p50 ms', 'p95 ms', 'req/s', 'server CPU ms/req', 'requests']];
  for (const s of sides) {
    const name = s.side.name;
    const total = results.get(name)!.reduce((a, m) => a + m.requests, 0);
    rows.push([name, s.key === s.server.adminKey ? 'admin' : 'own', f(of(name, 'p50')), f(of(name, 'p95')), f(of(name, 'rps'), 0), f(of(name, 'cpuMs'), 3), String(total)]);
  }
  for (const name of others) {
    rows.push([`${name} ÷ ${base} (paired)`, '', f(paired(name, 'p50')), f(paired(name, 'p95')), f(paired(name, 'rps')), f(paired(name, 'cpuMs')), '']);
  }
  console.log(table(rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r']));
  for (const name of others) {
    const ratio = paired(name, 'p50');
    console.log(`\np50 ${name} ÷ ${base}: ${f(ratio)} (target ≤ 1.10: ${ratio <= 1.1 ? 'met' : 'NOT met'}); throughput ${name} ÷ ${base}: ${f(paired(name, 'rps'))}`);
  }
  console.log(`(1-min load average ${loadStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end, ${os.availableParallelism()} CPUs)`);
});
