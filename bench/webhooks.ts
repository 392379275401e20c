/**
 * Webhook benchmark (docs/notifications.md): in the distributed topology (one `mediaforge
 * api`, one `mediaforge worker`, PostgreSQL in a fresh schema, the db queue), against a local
 * receiver that verifies every delivery with the `standardwebhooks` package.
 *
 *   npm run build && npx tsx bench/webhooks.ts
 *   npx tsx bench/webhooks.ts --jobs 30 --endpoints 5 --replays 10
 *
 * 1. Latency: `--jobs` thumbnail jobs of a short generated clip, one after the other, each
 *    watched over SSE (GET /v1/jobs/:id/events) while an endpoint subscribes to
 *    `job.succeeded`. Per job: webhook arrival − the job's `finishedAt`, beside SSE arrival −
 *    `finishedAt` (the baseline: a client holding a live connection). Target: webhook p50
 *    ≤ 100 ms.
 * 2. Throughput: `--endpoints` more endpoints, each replayed `--replays` times since the
 *    start (every replay sends every recorded event again), so the one worker process has
 *    endpoints × replays × jobs deliveries to make; deliveries per second from the first
 *    replay call to the last arrival. Baseline: the same number of signed POSTs sent straight
 *    from this script to the receiver, as many at once as the sender allows (16). Target:
 *    ≥ 200 deliveries/s.
 *
 * Options (argv or env BENCH_*): --jobs (20), --endpoints (5), --replays (10).
 * Services: MEDIAFORGE_TEST_PG_URL (default the local PostgreSQL).
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { Api, FFMPEG, median, onCleanup, Options, run, runMain, startRole, table, tempDir } from './lib.js';

const opts = new Options();
const PG_URL = process.env.MEDIAFORGE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Arrival {
  at: number;
  id: string;
  type: string;
  data: any;
}

/** A receiver answering 204 to every verified delivery; `secrets` are tried in turn (one per endpoint). */
async function startReceiver() {
  const verifiers: Webhook[] = [];
  const arrivals: Arrival[] = [];
  let bad = 0;
  const waiters: Array<() => void> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = { 'webhook-id': String(req.headers['webhook-id']), 'webhook-timestamp': String(req.headers['webhook-timestamp']), 'webhook-signature': String(req.headers['webhook-signature']) };
      const event = verifiers.map((v) => {
        try {
          return v.verify(body, headers) as { type: string; data: any };
        } catch {
          return null;
        }
      }).find((e) => e !== null);
      if (!event) {
        bad++;
        res.writeHead(400).end();
        return;
      }
      arrivals.push({ at, id: headers['webhook-id'], type: event.type, data: event.data });
      res.writeHead(204).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onCleanup(() => new Promise((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    arrivals,
    bad: () => bad,
    trust: (secret: string) => verifiers.push(new Webhook(secret)),
    /** Resolves once `pred` holds, checked at each arrival. */
    async until(pred: () => boolean, what: string, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
  };
}


/** `n` signed POSTs straight to the receiver, `lanes` at once, each on a new connection (as the sender makes them). */
async function bareRate(url: string, secret: string, n: number, lanes: number): Promise<number> {
  const wh = new Webhook(secret);
  const body = JSON.stringify({ type: 'job.succeeded', timestamp: new Date().toISOString(), data: { id: 'job_bare', status: 'succeeded' } });
  let next = 0;
  const post = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const id = `msg_bare_${i}`;
      const ts = new Date();
      const req = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)), 'webhook-signature': wh.sign(id, ts, body) } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < n) await post(next++);
  }));
  return n / ((performance.now() - started) / 1000);
}

const pct = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function main() {
  const jobs = opts.number('jobs', 20, 1);
  const endpoints = opts.number('endpoints', 5, 1);
  const replays = opts.number('replays', 10, 1);
  const work = await tempDir('webhooks');
  const clip = join(work, 'clip.mp4');
  await run(FFMPEG, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=2', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-y', clip]);

  const receiver = await startReceiver();
  const id = randomBytes(4).toString('hex');
  const schema = `mfbench_wh_${id}`;
  onCleanup(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MEDIAFORGE_') && k !== 'PORT' && k !== 'HOST') env[k] = v;
  const apiKey = `bench_${randomBytes(16).toString('hex')}`;
  Object.assign(env, {
    PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn',
    MEDIAFORGE_DATA_DIR: join(work, 'data'), MEDIAFORGE_API_KEY: apiKey, MEDIAFORGE_SIGNING_SECRET: randomBytes(24).toString('hex'),
    MEDIAFORGE_DATABASE_URL: PG_URL, MEDIAFORGE_DATABASE_SCHEMA: schema, MEDIAFORGE_DATABASE_POOL_SIZE: '4',
    MEDIAFORGE_QUEUE: 'db', MEDIAFORGE_QUEUE_NAME: `mfbench-wh-${id}`, MEDIAFORGE_STORAGE: 'fs', MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '0',
    MEDIAFORGE_WEBHOOK_ALLOWLIST: `127.0.0.1:${receiver.port}`,
  });
  const apiProc = await startRole('api', env, /mediaforge api is running on (http:\/\/\S+)/, true);
  await startRole('worker', env, /mediaforge worker \S+ is running/, true);
  const api = new Api({ url: apiProc.match[1]!, apiKey });
  const since = new Date().toISOString();

  // 1. Latency.
  const first = await api.json('POST', '/v1/webhooks', { url: receiver.url, events: ['job.succeeded'] });
  receiver.trust(first.secret);
  const upload = await api.uploadRaw(clip, 'clip.mp4');
  const webhookMs: number[] = [];
  const sseMs: number[] = [];
  for (let i = 0; i < jobs; i++) {
    const job = await api.json('POST', '/v1/jobs', { input: { uploadId: upload.id }, outputs: [{ type: 'thumbnail' }] });
    const done = await api.waitFinal(job.id);
    const sseAt = Date.now();
    if (done.status !== 'succeeded') throw new Error(`job ${job.id} ${done.status}: ${JSON.stringify(done.error)}`);
    await receiver.until(() => receiver.arrivals.some((a) => a.data.id === job.id), `the webhook of ${job.id}`);
    const arrival = receiver.arrivals.find((a) => a.data.id === job.id)!;
    const finishedAt = Date.parse(done.finishedAt);
    webhookMs.push(arrival.at - finishedAt);
    sseMs.push(sseAt - finishedAt);
  }

  // 2. Throughput.
  const expected = endpoints * replays * jobs;
  const ids: string[] = [];
  for (let e = 0; e < endpoints; e++) {
    const ep = await api.json('POST', '/v1/webhooks', { url: receiver.url, events: ['job.succeeded'] });
    receiver.trust(ep.secret);
    ids.push(ep.id);
  }
  const before = receiver.arrivals.length;
  const started = Date.now();
  for (let r = 0; r < replays; r++) for (const ep of ids) await api.json('POST', `/v1/webhooks/${ep}/replay`, { since });
  await receiver.until(() => receiver.arrivals.length - before >= expected, `${expected} replayed deliveries`, 600_000);
  const oursRate = expected / ((receiver.arrivals[before + expected - 1]!.at - started) / 1000);
  const bare = await bareRate(receiver.url, first.secret, expected, 16);

  const f = (n: number) => n.toFixed(0);
  console.log(`\n${jobs} jobs, one after the other (ms from the job's finishedAt):`);
  console.log(table([
    ['channel', 'p50 ms', 'p95 ms', 'max ms'],
    ['webhook (job.succeeded)', f(median(webhookMs)), f(pct(webhookMs, 95)), f(Math.max(...webhookMs))],
    ['SSE (baseline)', f(median(sseMs)), f(pct(sseMs, 95)), f(Math.max(...sseMs))],
  ], ['l', 'r', 'r', 'r']));
  console.log(`\n${expected} deliveries (${endpoints} endpoints × ${replays} replays × ${jobs} events) from one worker process:`);
  console.log(table([
    ['sender', 'deliveries/s'],
    ['mediaforge worker', oursRate.toFixed(0)],
    ['bare signed POSTs, 16 at once (baseline)', bare.toFixed(0)],
    ['ours ÷ bare', (oursRate / bare).toFixed(2)],
  ], ['l', 'r']));
  if (receiver.bad()) throw new Error(`${receiver.bad()} deliveries failed verification`);
  const p50 = median(webhookMs);
  console.log(`\nwebhook latency p50: ${p50.toFixed(0)} ms (target ≤ 100: ${p50 <= 100 ? 'met' : 'NOT met'}); webhook ÷ SSE p50: ${(p50 / median(sseMs)).toFixed(2)}`);
  console.log(`deliveries per second: ${oursRate.toFixed(0)} (target ≥ 200: ${oursRate >= 200 ? 'met' : 'NOT met'})`);
}

runMain(main);
