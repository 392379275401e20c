import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig, loadDistributedConfig } from '../../src/main/config.js';
import { startApiProcess, startWorkerProcess, type ApiProcess, type WorkerProcess } from '../../src/main/distributed.js';
import { createLogger } from '../../src/main/logger.js';
import { dropSchema, freshSchema, PG_URL } from '../contracts/postgres.schema.js';
import { media } from '../helpers/media.js';
import { startTestPlatform } from '../helpers/platform.js';
import { TEST_KEY } from '../helpers/platform.js';
import { TEST_RATE_LIMIT } from '../helpers/process.js';
import { TcpRelay } from '../helpers/tcp-relay.js';
import { tempDir, waitFor } from '../helpers/temp.js';
import { readFile } from 'node:fs/promises';

const readyz = async (base: string) => {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; down: string[]; checks: Record<string, string> } };
};

describe('readiness of an API process cut off from PostgreSQL, and of a worker process', { timeout: 60_000 }, () => {
  let relay: TcpRelay;
  let api: ApiProcess;
  let worker: WorkerProcess;
  const schema = freshSchema('mf_ready');
  let cleanup: () => Promise<void>;
  before(async () => {
    relay = await TcpRelay.open({ host: '127.0.0.1', port: Number(new URL(PG_URL).port || 5432) });
    const t = await tempDir('mf-ready-');
    cleanup = t.cleanup;
    const env = {
      PORT: '0', HOST: '127.0.0.1', MEDIAFORGE_DATA_DIR: t.dir, MEDIAFORGE_API_KEY: TEST_KEY,
      MEDIAFORGE_SIGNING_SECRET: 'a-test-signing-secret-of-at-least-32-chars',
      MEDIAFORGE_DATABASE_URL: relay.via(PG_URL), MEDIAFORGE_DATABASE_SCHEMA: schema, MEDIAFORGE_QUEUE_NAME: `${schema}-jobs`,
      MEDIAFORGE_WORKER_CONCURRENCY: '1', MEDIAFORGE_SHUTDOWN_GRACE_SECONDS: '1', MEDIAFORGE_RATE_LIMIT_PER_MINUTE: TEST_RATE_LIMIT,
      MEDIAFORGE_METRICS_PORT: '0',
    };
    const logger = createLogger(process.env.LOG_LEVEL ?? 'silent');
    api = await startApiProcess(loadConfig({}, { overrides: env }), loadDistributedConfig({}, { overrides: env }), { logger });
    // The worker reaches PostgreSQL directly: it stays ready while the API's path is cut.
    const direct = { ...env, MEDIAFORGE_DATABASE_URL: PG_URL };
    worker = await startWorkerProcess(loadConfig({}, { overrides: direct }), loadDistributedConfig({}, { overrides: direct }), { logger });
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await relay.down();
    await dropSchema(schema);
    await cleanup();
  });

  it('answers 200 while everything answers; the worker serves /metrics, /readyz and /healthz on its own port', async () => {
    assert.deepEqual(await readyz(api.url), { status: 200, body: { status: 'ready', down: [], checks: { database: 'ok', queue: 'ok', storage: 'ok' } } });
    assert.ok(worker.metricsUrl);
    assert.equal((await readyz(worker.metricsUrl)).status, 200);
    assert.equal((await fetch(`${worker.metricsUrl}/healthz`)).status, 200);
    const metrics = await (await fetch(`${worker.metricsUrl}/metrics`)).text();
    assert.match(metrics, /^mediaforge_worker_slots 1$/m);
    assert.match(metrics, /^mediaforge_queue_depth\{route="hls"\} 0$/m);
    assert.equal((await fetch(`${worker.metricsUrl}/v1/jobs`)).status, 404, 'the metrics port serves nothing of the API');
  });

  it('answers 503 naming the database (and the db queue on it) once PostgreSQL cannot be reached, 200 again when it can', async () => {
    // A partition (packets go nowhere): each check gives up after 2 s. (Cutting the sockets
    // instead makes a pg client throw an uncaught `Connection terminated unexpectedly`.)
    relay.freeze();
    const r = await readyz(api.url);
    assert.equal(r.status, 503);
    assert.equal(r.body.status, 'not_ready');
    assert.ok(r.body.down.includes('database'), JSON.stringify(r.body));
    assert.ok(r.body.down.includes('queue'), 'the db queue lives in PostgreSQL');
    assert.ok(!r.body.down.includes('storage'), JSON.stringify(r.body));
    assert.match(r.body.checks.database, /^unreachable: no answer within 2000 ms$/);
    // The worker, which still reaches PostgreSQL, stays ready.
    assert.equal((await readyz(worker.metricsUrl!)).status, 200);
    relay.thaw();
    await waitFor(async () => (await readyz(api.url)).status === 200, { timeoutMs: 15_000 });
  });
});

describe('readiness of the embedded platform while its worker drains at shutdown', { timeout: 60_000 }, () => {
  it('answers 503 naming the worker from the moment the worker stops claiming until the process ends', async () => {
    const p = await startTestPlatform({ MEDIAFORGE_SHUTDOWN_GRACE_SECONDS: '3' });
    const up = await p.api('POST', '/v1/uploads?filename=long.mp4', await readFile(await media('long120.mp4')), { 'content-type': 'application/octet-stream' });
    const job = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'mp4', height: 360 }] });
    await waitFor(async () => (await p.api('GET', `/v1/jobs/${job.body.id}`)).body.status === 'running', { timeoutMs: 20_000 });
    assert.equal((await readyz(p.base)).status, 200);
    const closing = p.stop();
    let seen: Awaited<ReturnType<typeof readyz>> | null = null;
    await waitFor(async () => {
      const r = await readyz(p.base).catch(() => null);
      if (r?.status === 503) seen = r;
      return seen !== null;
    }, { timeoutMs: 5_000, intervalMs: 20 });
    await closing;
    assert.deepEqual(seen!.body.down, ['worker']);
    assert.match(seen!.body.checks.worker, /^draining/);
  });
});
