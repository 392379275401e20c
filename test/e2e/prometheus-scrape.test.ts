import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, loadDistributedConfig } from '../../src/main/config.js';
import { startApiProcess, startWorkerProcess, type ApiProcess, type WorkerProcess } from '../../src/main/distributed.js';
import { createLogger } from '../../src/main/logger.js';
import { dropSchema, freshSchema, PG_URL } from '../contracts/postgres.schema.js';
import { media } from '../helpers/media.js';
import { parseExposition } from '../helpers/metrics-text.js';
import { collectEvents, startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';
import { ROOT, TEST_RATE_LIMIT } from '../helpers/process.js';
import { familyOf, metricNames } from '../helpers/promql-names.js';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus.js';
import { tempDir, waitFor } from '../helpers/temp.js';

// A real Prometheus (Debian's binary) scrapes an embedded platform that ran a job, with the
// metrics token and the alert rules of deploy/observability; the dashboard's and the rules'
// metric names are checked against what the platform exports.
const OBS = join(ROOT, 'deploy/observability');
const TOKEN = 'scrape-token-0123456789abcdef';
// Series Prometheus makes itself, not the platform.
const PROMETHEUS_OWN = new Set(['ALERTS', 'ALERTS_FOR_STATE', 'up']);

interface Dashboard {
  panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; query?: unknown }> };
  annotations: { list: Array<{ expr?: string }> };
}

/** Every PromQL expression of the dashboard (panels, variables, annotations), with where it is. */
function dashboardExprs(d: Dashboard): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  for (const p of d.panels) for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}"`, expr: t.expr });
  for (const v of d.templating.list) {
    const q = typeof v.query === 'object' && v.query ? (v.query as { query: string }).query : undefined;
    const m = q ? /^label_values\((.+),\s*\w+\)$/.exec(q) : null;
    if (m) out.push({ where: `variable $${v.name}`, expr: m[1] });
  }
  for (const a of d.annotations.list) if (a.expr) out.push({ where: 'annotation', expr: a.expr });
  return out;
}

/** A scrape config every second, with the bearer token from the file `token`, and the alert rules. */
function scrapeConfig(jobs: Record<string, string>): string {
  return [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: [${JSON.stringify(join(OBS, 'alerts.yml'))}]`,
    'scrape_configs:',
    ...Object.entries(jobs).flatMap(([name, base]) => [
      `  - job_name: ${name}`,
      '    metrics_path: /metrics',
      '    authorization: { type: Bearer, credentials_file: token }',
      `    static_configs: [{ targets: [${JSON.stringify(new URL(base).host)}] }]`,
    ]),
    '',
  ].join('\n');
}

/** Uploads the 1 s clip and runs a frames + thumbnail job to success. */
async function runOneJob(api: TestPlatform['api'], base: string): Promise<void> {
  const bytes = await readFile(await media('tiny1.mp4'));
  const up = await api('POST', '/v1/uploads?filename=tiny.mp4', bytes, { 'content-type': 'application/octet-stream' });
  const created = await api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'frames', fps: 1 }, { type: 'thumbnail', width: 64 }] });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const events = await collectEvents(base, created.body.id);
  assert.equal(events.at(-1)?.data.status, 'succeeded');
}

/** Grafana's variables, as Grafana would fill them in, so Prometheus can run the expression. */
const substitute = (expr: string) => expr.replaceAll('$__rate_interval', '1m').replaceAll('$route', '.*');

describe('e2e: a real Prometheus scrapes a platform that has run a job', () => {
  let p: TestPlatform;
  let prom: PrometheusServer;
  let exposition: string;
  let dashboard: Dashboard;
  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_METRICS_TOKEN: TOKEN });
    await runOneJob(p.api, p.base);
    prom = await startPrometheus(scrapeConfig({ mediaforge: p.base }), { token: TOKEN });
    exposition = await (await fetch(`${p.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    dashboard = JSON.parse(await readFile(join(OBS, 'grafana-dashboard.json'), 'utf8')) as Dashboard;
  });
  after(async () => {
    await prom?.stop();
    await p?.stop();
  });

  it('scrapes with the bearer token from a file and finds the job counted, through /api/v1/query', async () => {
    const counted = await waitFor(
      async () => {
        const r = await prom.query('mediaforge_jobs_total{route="frames", status="succeeded"}');
        return r.length > 0 && r;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: `the job counted in Prometheus\n${prom.output()}` },
    );
    assert.equal(counted.length, 1);
    assert.equal(counted[0].value[1], '1');
    assert.equal(counted[0].metric.job, 'mediaforge');
    const upSeries = await prom.query('up{job="mediaforge"}');
    assert.equal(upSeries[0].value[1], '1');
    const outputs = await prom.query('sum(mediaforge_outputs_total{status="succeeded"})');
    assert.equal(outputs[0].value[1], '2');
    const busy = await prom.query('sum(mediaforge_worker_busy_slots) / sum(mediaforge_worker_slots)');
    assert.equal(busy[0].value[1], '0');
  });

  it('every metric name of the dashboard and of the alert rules is one the platform exports', async () => {
    const samples = parseExposition(exposition);
    const types = new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    const histograms = new Set([...types].filter(([, t]) => t === 'histogram' || t === 'summary').map(([n]) => n));
    const exported = new Set([...types.keys(), ...samples.map((s) => familyOf(s.name, histograms))]);
    const rules = (await prom.api('/api/v1/rules')) as { groups: Array<{ rules: Array<{ name: string; query: string }> }> };
    const used = [
      ...dashboardExprs(dashboard),
      ...rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.name}`, expr: r.query }))),
    ];
    assert.ok(rules.groups.flatMap((g) => g.rules).length === 6, 'the 6 rules are loaded');
    const missing: string[] = [];
    const seen = new Set<string>();
    for (const { where, expr } of used) {
      for (const name of metricNames(expr)) {
        seen.add(name);
        if (!PROMETHEUS_OWN.has(name) && !exported.has(familyOf(name, histograms))) missing.push(`${where}: ${name}`);
      }
    }
    assert.deepEqual(missing, [], `names not exported by the platform:\n${missing.join('\n')}`);
    // The check is not vacuous: the families the dashboard is about are among the names read.
    for (const n of ['mediaforge_queue_depth', 'mediaforge_jobs_total', 'mediaforge_job_duration_seconds_bucket', 'mediaforge_ffmpeg_speed_ratio_bucket', 'mediaforge_worker_busy_slots', 'http_request_duration_seconds_bucket', 'process_resident_memory_bytes']) {
      assert.ok(seen.has(n), n);
    }
  });

  it('every dashboard expression runs in Prometheus, and every rule evaluates without an error', async () => {
    for (const { where, expr } of dashboardExprs(dashboard)) {
      await assert.doesNotReject(prom.query(substitute(expr)), `${where}: ${expr}`);
    }
    // Rules are evaluated every second: wait until each has been evaluated once.
    const rules = await waitFor(
      async () => {
        const data = (await prom.api('/api/v1/rules')) as { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
        const all = data.groups.flatMap((g) => g.rules);
        return all.every((r) => r.health !== 'unknown') && all;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'the rules to be evaluated' },
    );
    for (const r of rules) assert.equal(r.health, 'ok', `${r.name}: ${r.lastError}`);
    // A platform that ran its one job is healthy: nothing fires.
    assert.deepEqual(await prom.query('ALERTS{alertstate="firing"}'), []);
  });
});

describe('e2e: Prometheus scrapes an API process and a worker process on its MEDIAFORGE_METRICS_PORT, as compose and Kubernetes do', () => {
  let api: ApiProcess;
  let worker: WorkerProcess;
  let prom: PrometheusServer;
  const schema = freshSchema('mf_scrape');
  let cleanup: () => Promise<void>;
  before(async () => {
    const t = await tempDir('mf-scrape-');
    cleanup = t.cleanup;
    const env = {
      PORT: '0', HOST: '127.0.0.1', MEDIAFORGE_DATA_DIR: t.dir, MEDIAFORGE_API_KEY: TEST_KEY,
      MEDIAFORGE_SIGNING_SECRET: 'a-test-signing-secret-of-at-least-32-chars',
      MEDIAFORGE_DATABASE_URL: PG_URL, MEDIAFORGE_DATABASE_SCHEMA: schema, MEDIAFORGE_QUEUE_NAME: `${schema}-jobs`,
      MEDIAFORGE_WORKER_CONCURRENCY: '2', MEDIAFORGE_SHUTDOWN_GRACE_SECONDS: '1', MEDIAFORGE_RATE_LIMIT_PER_MINUTE: TEST_RATE_LIMIT,
      MEDIAFORGE_METRICS_PORT: '0', MEDIAFORGE_METRICS_TOKEN: TOKEN,
    };
    const logger = createLogger(process.env.LOG_LEVEL ?? 'silent');
    api = await startApiProcess(loadConfig({}, { overrides: env }), loadDistributedConfig({}, { overrides: env }), { logger });
    worker = await startWorkerProcess(loadConfig({}, { overrides: env }), loadDistributedConfig({}, { overrides: env }), { logger });
    assert.ok(worker.metricsUrl);
    const call: TestPlatform['api'] = async (method, path, body, headers = {}) => {
      const isJson = body !== undefined && !(body instanceof Uint8Array);
      const res = await fetch(`${api.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_KEY}`, ...(isJson ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : isJson ? JSON.stringify(body) : (body as BodyInit),
      });
      return { status: res.status, body: await res.json(), headers: res.headers };
    };
    await runOneJob(call, api.url);
    prom = await startPrometheus(scrapeConfig({ 'mediaforge-api': api.url, 'mediaforge-worker': worker.metricsUrl }), { token: TOKEN });
  });
  after(async () => {
    await prom?.stop();
    await worker?.close();
    await api?.close();
    await dropSchema(schema);
    await cleanup?.();
  });

  it('counts the job on the worker, the requests on the API, and the busy ratio over the worker slots', async () => {
    const byJob = await waitFor(
      async () => {
        const up = await prom.query('sum by (job) (up)');
        return up.length === 2 && up.every((s) => s.value[1] === '1') && (await prom.query('sum by (job) (mediaforge_jobs_total{status="succeeded"})'));
      },
      { timeoutMs: 20_000, intervalMs: 250, what: `both targets up and scraped\n${prom.output()}` },
    );
    assert.deepEqual(byJob.map((s) => [s.metric.job, s.value[1]]), [['mediaforge-worker', '1']]);
    const requests = await prom.query('sum by (job) (http_requests_total{route="/v1/jobs", method="POST"})');
    assert.deepEqual(requests.map((s) => [s.metric.job, s.value[1]]), [['mediaforge-api', '1']], 'the metrics port does not count its own requests');
    assert.equal((await prom.query('sum(mediaforge_worker_slots)'))[0].value[1], '2');
    assert.equal((await prom.query('sum(mediaforge_worker_busy_slots) / sum(mediaforge_worker_slots)'))[0].value[1], '0');
    // The database gauges: the same value from both processes, hence max in the dashboard.
    const depth = await prom.query('count by (route) (mediaforge_queue_depth{route="frames"})');
    assert.equal(depth[0].value[1], '2');
  });
});
