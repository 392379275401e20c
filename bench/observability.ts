/**
 * What metrics and tracing cost: the same build with both off against both on, in the same
 * run, in alternating rounds (docs/observability.md):
 *
 *   off  MEDIAFORGE_METRICS=off, no OTEL_* (no SDK is started)
 *   on   /metrics on (scraped once a second by this script, as Prometheus would) and traces
 *        exported over OTLP/HTTP (protobuf) to a receiver this script runs, every span sampled
 *
 *   npm run build && npx tsx bench/observability.ts
 *   npx tsx bench/observability.ts --rounds 10 --jobs 5 --seconds 2 --clients 8
 *
 * One `mediaforge start` per side (SQLite, its own data folder). Per round, in an order that
 * alternates: `--clients` clients send GET /v1/jobs/:id back to back for `--seconds` seconds
 * (bench/lib.ts `load`), then `--jobs` thumbnail jobs of a 2 s clip run one after the other,
 * each job's wall time read from the server's own `finishedAt − createdAt`. Printed: the
 * medians per side, then on ÷ off paired per round (the median of the per-round ratios).
 * Targets: request p50 ≤ 1.05, job wall ≤ 1.02.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { Api, FFMPEG, load, median, Options, run, runMain, startServer, table, tempDir, type LoadRound, type Server } from './lib.js';

const opts = new Options();

/** An OTLP/HTTP receiver: takes every export, counts requests and bytes, answers 200 with an empty response message. */
async function startReceiver() {
  const got = { requests: 0, bytes: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.on('data', (c: Buffer) => (got.bytes += c.length));
    req.on('end', () => {
      got.requests++;
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, got, close: () => new Promise<void>((r) => server.close(() => r())) };
}

interface Side {
  name: 'off' | 'on';
  server: Server;
  api: Api;
  jobId: string;
}

async function runJob(api: Api, clip: string): Promise<{ id: string; wallMs: number }> {
  const upload = await api.uploadRaw(clip, 'clip.mp4');
  const job = await api.json<{ id: string }>('POST', '/v1/jobs', { input: { uploadId: upload.id }, outputs: [{ type: 'thumbnail' }] });
  await api.waitFinal(job.id, 120_000);
  const final = await api.json<{ status: string; createdAt: string; finishedAt: string; error: unknown }>('GET', `/v1/jobs/${job.id}`);
  if (final.status !== 'succeeded') throw new Error(`bench job ${job.id} ended ${final.status}: ${JSON.stringify(final.error)}`);
  return { id: job.id, wallMs: Date.parse(final.finishedAt) - Date.parse(final.createdAt) };
}

runMain(async () => {
  if (opts.help) {
    console.log('npx tsx bench/observability.ts [--rounds 10] [--jobs 5] [--seconds 2] [--clients 8] [--warmup 6] [--only metrics|traces|none] [--first on] [--sampler-ratio 0.1] [--cpu-prof DIR]');
    return;
  }
  const rounds = opts.number('rounds', 10, 1);
  const jobs = opts.number('jobs', 5, 1);
  const seconds = opts.number('seconds', 2, 0.5);
  const clients = opts.number('clients', 8, 1);
  const warmup = opts.number('warmup', 6, 0);
  const work = await tempDir('obs-src');
  const clip = join(work, 'clip.mp4');
  // prettier-ignore
  await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', clip]);
  const receiver = await startReceiver();
  const loadStart = os.loadavg()[0];
  console.log(
    `observability: metrics + traces off ÷ on; per round ${clients} clients × ${seconds} s of GET /v1/jobs/:id and ${jobs} thumbnail jobs per side, ` +
      `${rounds} rounds (order alternates); node ${process.version}, ${os.availableParallelism()} CPUs${opts.raw('sampler-ratio') ? `; traces sampled at ${opts.raw('sampler-ratio')}` : ''}\n`,
  );

  // --only metrics | traces: the `on` side turns on only that half (where the cost is).
  const only = opts.raw('only') ?? 'both';
  // --only none: both sides off (an A/A run: what the bench's own noise is).
  if (!['both', 'metrics', 'traces', 'none'].includes(only)) throw new Error('--only takes metrics, traces or none');
  // --sampler-ratio R: the on side records that share of the traces (parentbased_traceidratio), as a busy deployment would; default every one.
  const ratio = opts.raw('sampler-ratio');
  const traces = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_SERVICE_NAME: 'mediaforge-bench',
    ...(ratio ? { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: ratio } : {}),
  };
  const env = {
    off: { MEDIAFORGE_METRICS: 'off', MEDIAFORGE_WORKER_CONCURRENCY: '1' },
    on: { MEDIAFORGE_METRICS: only === 'traces' || only === 'none' ? 'off' : 'on', MEDIAFORGE_WORKER_CONCURRENCY: '1', ...(only === 'metrics' || only === 'none' ? {} : traces) },
  };
  const sides: Side[] = [];
  // --first on: start the on side first (the start order is a bias of its own: docs/benchmarks.md).
  for (const name of opts.raw('first') === 'on' ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
    // --cpu-prof DIR: a V8 CPU profile of each side's server in DIR/off and DIR/on (where the cost is).
    const prof = opts.raw('cpu-prof');
    const server = await startServer(env[name], prof ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', join(prof, name)] } : {});
    const api = new Api({ url: server.url, apiKey: server.apiKey });
    sides.push({ name, server, api, jobId: (await runJob(api, clip)).id });
  }
  const on = sides.find((s) => s.name === 'on')!;
  // Prometheus's part: a scrape of the `on` side every second for the whole run.
  let scrapes = 0;
  const scraper = setInterval(() => {
    if (only === 'traces' || only === 'none') return;
    void fetch(`${on.server.url}/metrics`).then(async (r) => {
      await r.text();
      if (r.ok) scrapes++;
    }, () => undefined);
  }, 1000);

  // Warm-up, not recorded.
  for (const s of sides) {
    await load(s.server, `/v1/jobs/${s.jobId}`, s.server.apiKey, clients, warmup);
    await runJob(s.api, clip);
  }
  const requests = new Map<string, LoadRound[]>([['off', []], ['on', []]]);
  const walls = new Map<string, number[]>([['off', []], ['on', []]]);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) {
      const m = await load(s.server, `/v1/jobs/${s.jobId}`, s.server.apiKey, clients, seconds);
      requests.get(s.name)!.push(m);
      const w: number[] = [];
      for (let j = 0; j < jobs; j++) w.push((await runJob(s.api, clip)).wallMs);
      walls.get(s.name)!.push(median(w));
      console.error(`round ${r + 1}: ${s.name.padEnd(3)} p50 ${m.p50.toFixed(2)} ms, ${m.rps.toFixed(0)} req/s, job wall ${median(w).toFixed(0)} ms`);
    }
  }
  clearInterval(scraper);
  for (const [name, q] of requests) console.error(`${name}: ${q.reduce((n, m) => n + m.requests, 0)} requests measured`);
  const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const pairedReq = (k: keyof LoadRound) => median(requests.get('on')!.map((m, i) => m[k] / requests.get('off')![i]![k]));
  const pairedWall = median(walls.get('on')!.map((w, i) => w / walls.get('off')![i]!));
  const rows = [['side', 'request p50 ms', 'p95 ms', 'req/s', 'server CPU ms/req', 'job wall ms (median of round medians)']];
  for (const s of sides) {
    const q = requests.get(s.name)!;
    rows.push([s.name, f(median(q.map((m) => m.p50))), f(median(q.map((m) => m.p95))), f(median(q.map((m) => m.rps)), 0), f(median(q.map((m) => m.cpuMs)), 3), f(median(walls.get(s.name)!), 0)]);
  }
  rows.push(['on ÷ off (paired)', f(pairedReq('p50')), f(pairedReq('p95')), f(pairedReq('rps')), f(pairedReq('cpuMs')), f(pairedWall, 3)]);
  console.log(table(rows, ['l', 'r', 'r', 'r', 'r', 'r']));
  const p50 = pairedReq('p50');
  console.log(`\nrequest p50 on ÷ off: ${f(p50)} (target ≤ 1.05: ${p50 <= 1.05 ? 'met' : 'NOT met'}); job wall on ÷ off: ${f(pairedWall, 3)} (target ≤ 1.02: ${pairedWall <= 1.02 ? 'met' : 'NOT met'})`);
  for (const s of sides) await s.server.stop();
  console.log(`traces received: ${receiver.got.requests} exports, ${(receiver.got.bytes / 1024).toFixed(0)} KiB; /metrics scraped ${scrapes} times`);
  if (receiver.got.requests === 0 && (only === 'both' || only === 'traces')) throw new Error('the receiver got no traces: the on side did not export (is OTEL_EXPORTER_OTLP_ENDPOINT read?)');
  console.log(`(1-min load average ${loadStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end, ${os.availableParallelism()} CPUs)`);
  await receiver.close();
});
