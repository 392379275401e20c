import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { BullmqJobQueue } from '../../src/adapters/bullmq/bullmq.job-queue.js';
import { RabbitmqJobQueue } from '../../src/adapters/rabbitmq/rabbitmq.job-queue.js';
import { startCluster, type Cluster } from '../helpers/distributed-cluster.js';
import { media } from '../helpers/media.js';
import { OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { TEST_KEY } from '../helpers/platform.js';
import { waitFor } from '../helpers/temp.js';

const REDIS_URL = process.env.MEDIAFORGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const AMQP_URL = process.env.MEDIAFORGE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const backends: Array<{ name: string; env: (id: string) => Record<string, string>; cleanup?: (id: string) => Promise<void> }> = [
  {
    name: 'BullMQ',
    env: (id) => ({ MEDIAFORGE_QUEUE: 'bullmq', REDIS_URL, MEDIAFORGE_REDIS_PREFIX: `mf-dist-${id}` }),
    cleanup: async (id) => {
      const q = await BullmqJobQueue.connect({ redisUrl: REDIS_URL, queueName: `mf-dist-${id}`, prefix: `mf-dist-${id}` });
      await q.obliterate();
      await q.close();
    },
  },
  {
    name: 'RabbitMQ',
    env: () => ({ MEDIAFORGE_QUEUE: 'rabbitmq', AMQP_URL }),
    cleanup: async (id) => {
      const q = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName: `mf-dist-${id}` });
      await q.deleteAll([0, 200, 400, 800, 1600, 3200]);
      await q.close();
      const conn = await amqp.connect(AMQP_URL);
      const ch = await conn.createChannel();
      await ch.deleteExchange(`mf-dist-${id}.events`);
      await conn.close();
    },
  },
  { name: 'db queue', env: () => ({ MEDIAFORGE_QUEUE: 'db' }) },
];

const one = (spans: ReceivedSpan[], name: string, service: string) => {
  const found = spans.filter((s) => s.name === name && s.service === service);
  assert.equal(found.length, 1, `one ${name} span of ${service}; the trace has: ${spans.map((s) => `${s.service}/${s.name}`).join(', ')}`);
  return found[0];
};

for (const backend of backends) {
  describe(`e2e traces: mediaforge api + mediaforge worker on PostgreSQL + ${backend.name}, exported as OTLP/HTTP JSON`, () => {
    const receiver = new OtlpReceiver();
    let c: Cluster;
    before(async () => {
      const endpoint = await receiver.start();
      c = await startCluster(
        (id) => ({ ...backend.env(id), OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '200', LOG_LEVEL: 'info' }),
        1,
      );
    });
    after(async () => {
      await c?.stop();
      if (c) await backend.cleanup?.(c.id);
      await receiver.stop();
    });

    const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const isJson = body !== undefined && !(body instanceof Uint8Array);
      const res = await fetch(`${c.api.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_KEY}`, ...(isJson ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : isJson ? JSON.stringify(body) : (body as unknown as BodyInit),
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as any };
    };

    it('follows one job in one trace from the API request through the queue message to the worker\'s ffmpeg run, and its log lines name the trace', async () => {
      const up = await api('POST', '/v1/uploads?filename=clip.mp4', await readFile(await media('clip6.mp4')), { 'content-type': 'application/octet-stream' });
      assert.equal(up.status, 201, JSON.stringify(up.body));
      const created = await api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail', width: 96 }] }, { 'x-request-id': 'trace-e2e-1' });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      assert.equal(created.headers.get('x-request-id'), 'trace-e2e-1');
      const jobId = created.body.id as string;
      await waitFor(async () => (await api('GET', `/v1/jobs/${jobId}`)).body.status === 'succeeded', { timeoutMs: 60_000, what: 'the job to succeed' });

      const http = await waitFor(async () => receiver.spans.find((s) => s.name === 'POST /v1/jobs' && s.attributes['mediaforge.request.id'] === 'trace-e2e-1'), { what: 'the request span' });
      const inTrace = () => receiver.spans.filter((s) => s.traceId === http.traceId);
      // The worker's spans arrive in its own batches.
      await waitFor(async () => inTrace().some((s) => s.name === 'job.run') && inTrace().some((s) => s.name === 'blob.put'), { timeoutMs: 20_000, what: `the worker's spans in trace ${http.traceId}` });
      const spans = inTrace();

      assert.equal(http.service, 'mediaforge-api');
      assert.equal(http.parentSpanId, '', 'the request starts the trace');
      assert.equal(http.attributes['http.route'], '/v1/jobs');
      assert.equal(http.attributes['http.response.status_code'], 202);
      assert.ok(!receiver.spans.some((s) => s.name.includes(jobId) || s.name.includes(up.body.id)), 'no id in any span name');
      const create = one(spans, 'job.create', 'mediaforge-api');
      assert.equal(create.parentSpanId, http.spanId);
      assert.equal(create.attributes['mediaforge.job.id'], jobId);
      const enqueue = one(spans, 'job.enqueue', 'mediaforge-api');
      assert.equal(enqueue.parentSpanId, create.spanId);
      const run = one(spans, 'job.run', 'mediaforge-worker');
      assert.equal(run.parentSpanId, enqueue.spanId, 'the worker continues the trace the queue message carried');
      assert.equal(run.attributes['mediaforge.job.id'], jobId);
      assert.equal(run.attributes['mediaforge.account.id'], created.body.accountId ?? run.attributes['mediaforge.account.id']);
      for (const name of ['input.download', 'input.probe']) assert.equal(one(spans, name, 'mediaforge-worker').parentSpanId, run.spanId, `${name} is a child of job.run`);
      const ffmpeg = spans.filter((s) => s.name === 'ffmpeg.run');
      assert.ok(ffmpeg.length >= 1, 'an ffmpeg.run span');
      for (const f of ffmpeg) {
        assert.equal(f.parentSpanId, run.spanId);
        assert.equal(f.service, 'mediaforge-worker');
        assert.equal(f.attributes['mediaforge.output.type'], 'thumbnail');
        assert.equal(f.attributes['process.exit.code'], 0);
      }
      const stores = spans.filter((s) => s.name === 'blob.put');
      assert.ok(stores.length >= 1 && stores.every((s) => s.parentSpanId === run.spanId && Number(s.attributes['mediaforge.blob.bytes']) > 0), 'each stored file is a blob.put child of job.run');

      // The worker's lines about the job carry the job, its account and the trace.
      const lines = c.workers[0].output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      const started = lines.find((l) => l.msg === 'attempt started' && l.jobId === jobId);
      assert.ok(started, 'the worker logged the attempt');
      assert.equal(started.traceId, http.traceId);
      assert.equal(started.spanId, run.spanId);
      assert.equal(typeof started.accountId, 'string');
      assert.equal(run.attributes['mediaforge.account.id'], started.accountId);
      // The API's request log line carries the request id and the trace.
      const apiLines = c.api.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      const done = apiLines.find((l) => l.msg === 'request completed' && l.reqId === 'trace-e2e-1');
      assert.ok(done, 'the request completed line');
      assert.equal(done.traceId, http.traceId);
      assert.deepEqual(receiver.refused, []);
    });
  });
}
