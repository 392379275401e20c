import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import amqp, { type ChannelModel } from 'amqplib';
import { Redis } from 'ioredis';
import { BullmqJobQueue } from '../../src/adapters/bullmq/bullmq.job-queue.js';
import { RabbitmqJobQueue } from '../../src/adapters/rabbitmq/rabbitmq.job-queue.js';
import { startCluster, type Cluster } from '../helpers/distributed-cluster.js';
import { media } from '../helpers/media.js';
import { TEST_KEY } from '../helpers/platform.js';
import { waitFor } from '../helpers/temp.js';

const REDIS_URL = process.env.MEDIAFORGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const AMQP_URL = process.env.MEDIAFORGE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

type Received = { key: string; body: any };

/**
 * Events on the broker in a real deployment: `mediaforge api` and `mediaforge worker`
 * processes with MEDIAFORGE_EVENTS_BROKER=on, an account without any webhook endpoint, one
 * upload and one job through the HTTP API; a consumer of the exchange (RabbitMQ) or the
 * stream (BullMQ) gets the upload's and the job's events with the bodies the API shows.
 */
const backends: Array<{
  name: string;
  env: (id: string) => Record<string, string>;
  /** The event types of one upload and its thumbnail job, as this consumer gets them. */
  expected: string[];
  /** Starts consuming; returns what arrived so far, and the cleanup. */
  consume: (id: string) => Promise<{ received: () => Promise<Received[]>; close: () => Promise<void> }>;
  cleanup: (id: string) => Promise<void>;
}> = [
  {
    name: 'RabbitMQ topic exchange',
    expected: ['upload.ready', 'job.started', 'job.succeeded'],
    env: (id) => ({ MEDIAFORGE_QUEUE: 'rabbitmq', AMQP_URL, MEDIAFORGE_EVENTS_BROKER: 'on', MEDIAFORGE_EVENTS_EXCHANGE: `mf-e2e-${id}.broker-events` }),
    consume: async (id) => {
      const conn: ChannelModel = await amqp.connect(AMQP_URL);
      const ch = await conn.createChannel();
      const exchange = `mf-e2e-${id}.broker-events`;
      await ch.assertExchange(exchange, 'topic', { durable: true });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      // `job.*` and `upload.*`: every job and upload event but job.output.ready (three words).
      for (const pattern of ['job.*', 'upload.*']) await ch.bindQueue(queue, exchange, pattern);
      const got: Received[] = [];
      await ch.consume(queue, (msg) => {
        if (!msg) return;
        got.push({ key: msg.fields.routingKey, body: JSON.parse(msg.content.toString('utf8')) });
        ch.ack(msg);
      });
      return {
        received: async () => got,
        close: async () => {
          await ch.deleteExchange(exchange);
          await conn.close();
        },
      };
    },
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
  {
    name: 'Redis stream',
    // The stream has every event; the exchange's `job.*` leaves out job.output.ready.
    expected: ['upload.ready', 'job.started', 'job.output.ready', 'job.succeeded'],
    env: (id) => ({ MEDIAFORGE_QUEUE: 'bullmq', REDIS_URL, MEDIAFORGE_REDIS_PREFIX: `mf-dist-${id}`, MEDIAFORGE_EVENTS_BROKER: 'on' }),
    consume: async (id) => {
      const redis = new Redis(REDIS_URL);
      // The default key: <MEDIAFORGE_REDIS_PREFIX>:events.
      const key = `mf-dist-${id}:events`;
      return {
        received: async () => {
          const res = (await redis.xread('COUNT', 100, 'STREAMS', key, '0')) as Array<[string, Array<[string, string[]]>]> | null;
          return (res?.[0]?.[1] ?? []).map(([, fields]) => {
            const body = JSON.parse(fields[fields.indexOf('event') + 1]!);
            return { key: fields[fields.indexOf('type') + 1]!, body };
          });
        },
        close: async () => {
          await redis.del(key);
          redis.disconnect();
        },
      };
    },
    cleanup: async (id) => {
      const q = await BullmqJobQueue.connect({ redisUrl: REDIS_URL, queueName: `mf-dist-${id}`, prefix: `mf-dist-${id}` });
      await q.obliterate();
      await q.close();
    },
  },
];

for (const backend of backends) {
  describe(`e2e: events on the broker, ${backend.name}`, { timeout: 180_000 }, () => {
    let c: Cluster;
    let consumer: Awaited<ReturnType<(typeof backends)[number]['consume']>>;

    const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const isJson = body !== undefined && !(body instanceof Uint8Array);
      const res = await fetch(`${c.api.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_KEY}`, ...(isJson ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : isJson ? JSON.stringify(body) : (body as unknown as BodyInit),
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    before(async () => {
      c = await startCluster(backend.env, 1);
      consumer = await backend.consume(c.id);
    });
    after(async () => {
      await consumer?.close();
      await c?.stop();
      if (c) await backend.cleanup(c.id);
    });

    it("publishes the upload's and the job's events of an account without webhooks, with the bodies the API shows", async () => {
      assert.deepEqual((await api('GET', '/v1/webhooks')).body, { webhooks: [] }, 'no webhook endpoint');
      const up = await api('POST', '/v1/uploads?filename=clip.mp4', await readFile(await media('clip20.mp4')), { 'content-type': 'application/octet-stream' });
      assert.equal(up.status, 201, JSON.stringify(up.body));
      const created = await api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail' }] });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const jobId = created.body.id as string;

      const events = await waitFor(async () => {
        const got = await consumer.received();
        return got.some((e) => e.key === 'job.succeeded') && got;
      }, { timeoutMs: 90_000, intervalMs: 100, what: 'job.succeeded on the broker' });
      const job = (await api('GET', `/v1/jobs/${jobId}`)).body;
      assert.equal(job.status, 'succeeded');

      const mine = events.filter((e) => e.body.data.id === jobId || e.body.data.id === up.body.id);
      assert.deepEqual(mine.map((e) => e.key), backend.expected, 'the upload (written by the API process), the start, (the output,) the success, in order');
      for (const e of mine) {
        assert.equal(e.body.type, e.key);
        assert.equal(e.body.accountId, 'acc_admin');
        assert.match(e.body.id, /^evt_/);
        assert.ok(!Number.isNaN(Date.parse(e.body.timestamp)));
      }
      const uploaded = mine[0];
      const succeeded = mine.at(-1);
      assert.deepEqual(uploaded!.body.data, (await api('GET', `/v1/uploads/${up.body.id}`)).body);
      // The job as GET shows it, but for the links, signed when each was made.
      const withoutLinks = (j: any) => ({ ...j, outputs: j.outputs.map((o: any) => ({ ...o, files: o.files.map((f: any) => ({ ...f, url: typeof f.url })) })) });
      assert.deepEqual(withoutLinks(succeeded!.body.data), withoutLinks(job));
      assert.match(succeeded!.body.data.outputs[0].files[0].url, /\/v1\/files\//);
    });
  });
}
