import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { Redis } from 'ioredis';
import { RabbitmqEventPublisher } from '../../src/adapters/rabbitmq/rabbitmq.event-publisher.js';
import { RedisEventStream } from '../../src/adapters/redis/redis.event-stream.js';
import { openSqliteDatabase, type SqliteHandle } from '../../src/adapters/sqlite/sqlite.database.js';
import { newId } from '../../src/domain/ids.js';
import { decideCreate, decideSuccess } from '../../src/domain/job-lifecycle.js';
import type { OutputState } from '../../src/domain/job.js';
import { uploadReadyMessage } from '../../src/domain/outbox.js';
import { presentJob, presentUpload } from '../../src/http/presenters.js';
import type { EventPublisher } from '../../src/ports/event-publisher.port.js';
import { BrokerEventRelay } from '../../src/services/broker-event-relay.js';
import type { EventPresenter } from '../../src/services/event-payload.js';
import { LinkSigner } from '../../src/services/links.js';
import { inAccount } from '../helpers/principals.js';
import { TcpRelay } from '../helpers/tcp-relay.js';
import { tempDir, waitFor } from '../helpers/temp.js';

const AMQP_URL = process.env.MEDIAFORGE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const REDIS_URL = process.env.MEDIAFORGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const hostPort = (url: string, port: number) => ({ host: new URL(url).hostname, port: Number(new URL(url).port || port) });

const outputs: OutputState[] = [{ spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' }, status: 'pending', files: [] }];

/**
 * Events on the broker through the real engines: a real SQLite database opened with
 * `brokerEvents`, the real lifecycle writing each event's outbox row, the relay publishing
 * them to a RabbitMQ topic exchange and a Redis stream, a consumer reading them back; and a
 * broker cut away at publish time, which loses nothing.
 */
describe('events on the broker', { timeout: 120_000 }, () => {
  let t: { dir: string; cleanup(): Promise<void> };
  let db: SqliteHandle;
  let now = Date.UTC(2026, 2, 2, 10);
  const clock = { now: () => now };
  const signer = new LinkSigner('broker-events-test-secret-0123456789abcdef', 3600);
  const presenter: EventPresenter = { job: (j) => presentJob(j, { baseUrl: 'https://media.example.com', signer, now, costs: { perCpuHour: null, perGbMonth: null } }), upload: presentUpload };
  const closers: Array<() => Promise<unknown>> = [];
  const relayFor = (publisher: EventPublisher) => new BrokerEventRelay({ db, publisher, clock, presenter }, { owner: newId('relay') });

  /** A job of an account without webhooks that starts and succeeds, and an upload; their events' rows written by the transitions. */
  const runJob = async (account: string) => {
    const p = inAccount(account);
    const upload = newId('upl', now);
    await db.uploads.create(p, { id: upload, filename: 'in.mp4', size: 1, contentType: 'video/mp4', sha256: 'x', key: `${account}/uploads/${upload}/source`, createdAt: now }, [uploadReadyMessage(upload, now)]);
    const id = newId('job', now);
    await db.jobs.create(p, { id, uploadId: upload, outputs, userMetadata: null, maxAttempts: 3, createdAt: now, initial: decideCreate(id, now).write });
    now += 10;
    const claimed = await db.jobs.claim(id, 'worker', now, 30_000);
    assert.ok(claimed);
    now += 10;
    assert.equal(await db.jobs.settle({ id, attempt: 1 }, decideSuccess(claimed, { outputs, warnings: [] }, now).write), true);
    return { id, upload, job: (await db.jobs.get(p, id))!, startedAt: now - 10, succeededAt: now };
  };
  /** The broker rows still unsent. */
  const unsent = () => db.kysely.selectFrom('outbox').selectAll().where('kind', '=', 'broker.event').where('sent_at', 'is', null).orderBy('id').execute();

  before(async () => {
    t = await tempDir();
    db = await openSqliteDatabase(join(t.dir, 'events.db'), { brokerEvents: true });
  });
  after(async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await db.close();
    await t.cleanup();
  });

  describe('RabbitMQ topic exchange', () => {
    let conn: ChannelModel;
    let ch: Channel;
    const exchange = `mf-test-events-${randomBytes(4).toString('hex')}`;
    /** What the consumer bound with `job.*` got. */
    const got: Array<{ key: string; body: any; props: amqp.MessageProperties }> = [];

    before(async () => {
      conn = await amqp.connect(AMQP_URL);
      ch = await conn.createChannel();
      closers.push(async () => {
        await ch.deleteExchange(exchange);
        await conn.close();
      });
      // The consumer of the docs: its own queue bound to the topic exchange by a routing pattern.
      await ch.assertExchange(exchange, 'topic', { durable: true });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, exchange, 'job.*');
      await ch.consume(queue, (msg) => {
        if (!msg) return;
        got.push({ key: msg.fields.routingKey, body: JSON.parse(msg.content.toString('utf8')), props: msg.properties });
        ch.ack(msg);
      });
    });

    it("delivers a job's job.started and job.succeeded to a consumer bound with job.*, persistent, with the event id and the account", async () => {
      const publisher = await RabbitmqEventPublisher.connect({ url: AMQP_URL, exchange, timeoutMs: 2000 });
      closers.push(() => publisher.close());
      const run = await runJob('acc_rabbit');
      const relay = relayFor(publisher);
      assert.deepEqual(await relay.tick(), { published: 3, gone: 0, failed: 0 }, 'the upload, the start and the success');
      assert.deepEqual(await unsent(), [], 'marked sent once confirmed');
      await waitFor(async () => got.length >= 2, { what: 'two job events' });
      assert.deepEqual(got.map((g) => g.key), ['job.started', 'job.succeeded'], 'upload.ready is not routed to job.*');
      const data = presenter.job(run.job);
      const [started, succeeded] = got;
      assert.deepEqual(Object.keys(succeeded!.body), ['id', 'accountId', 'type', 'timestamp', 'data']);
      assert.deepEqual(succeeded!.body, { id: succeeded!.body.id, accountId: 'acc_rabbit', type: 'job.succeeded', timestamp: new Date(run.succeededAt).toISOString(), data: JSON.parse(JSON.stringify(data)) });
      assert.equal(started!.body.type, 'job.started');
      assert.equal(started!.body.timestamp, new Date(run.startedAt).toISOString());
      assert.equal(started!.body.data.id, run.id);
      assert.match(started!.body.id, /^evt_/);
      assert.notEqual(started!.body.id, succeeded!.body.id);
      for (const g of got) {
        assert.equal(g.props.deliveryMode, 2, 'persistent');
        assert.equal(g.props.messageId, g.body.id);
        assert.equal(g.props.type, g.body.type);
        assert.equal(g.props.contentType, 'application/json');
        assert.equal(g.props.headers?.['account-id'], 'acc_rabbit');
      }
      assert.deepEqual(await relay.tick(), { published: 0, gone: 0, failed: 0 }, 'nothing left');
    });

    it('loses nothing when RabbitMQ is unreachable at publish time: the rows wait with a backoff and go once it is back', async () => {
      const relay = await TcpRelay.open(hostPort(AMQP_URL, 5672));
      closers.push(() => relay.down());
      const publisher = await RabbitmqEventPublisher.connect({ url: relay.via(AMQP_URL), exchange, timeoutMs: 300 });
      closers.push(() => publisher.close());
      const events = relayFor(publisher);
      got.length = 0;
      await relay.down();
      const run = await runJob('acc_rabbit_down');
      const pass = await events.tick();
      assert.deepEqual(pass, { published: 0, gone: 0, failed: 3 });
      const waiting = await unsent();
      assert.equal(waiting.length, 3, 'every event kept');
      for (const row of waiting) {
        assert.equal(Number(row.attempts), 1);
        assert.equal(Number(row.available_at), now + 1000, 'offered again after 1 s');
        assert.match(row.last_error ?? '', /RabbitMQ/);
      }
      assert.deepEqual(await events.tick(), { published: 0, gone: 0, failed: 0 }, 'not before the backoff');

      await relay.up();
      await waitFor(async () => {
        now += 61_000;
        return (await events.tick()).published === 3;
      }, { timeoutMs: 30_000, intervalMs: 100, what: 'the events published once RabbitMQ is back' });
      assert.deepEqual(await unsent(), []);
      await waitFor(async () => got.length >= 2, { what: 'the events at the consumer' });
      assert.deepEqual(got.map((g) => [g.key, g.body.accountId, g.body.data.id]), [['job.started', 'acc_rabbit_down', run.id], ['job.succeeded', 'acc_rabbit_down', run.id]]);
    });
  });

  describe('Redis stream', () => {
    let redis: Redis;
    const key = `mf-test:${randomBytes(4).toString('hex')}:events`;
    /** Every entry of the stream after `from`, as the docs' consumer reads them (XREAD). */
    const read = async (from = '0') => {
      const res = (await redis.xread('COUNT', 1000, 'STREAMS', key, from)) as Array<[string, Array<[string, string[]]>]> | null;
      return (res?.[0]?.[1] ?? []).map(([entry, fields]) => {
        const f: Record<string, string> = {};
        for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
        return { entry, id: f.id, type: f.type, accountId: f.accountId, body: JSON.parse(f.event!) };
      });
    };

    before(async () => {
      redis = new Redis(REDIS_URL);
      closers.push(async () => {
        await redis.del(key, `${key}:cap`);
        redis.disconnect();
      });
    });

    it('appends every event to the stream with its id, type and account, the body as JSON', async () => {
      const stream = await RedisEventStream.connect({ redisUrl: REDIS_URL, key, maxLen: 1000 });
      closers.push(() => stream.close());
      const run = await runJob('acc_redis');
      assert.deepEqual(await relayFor(stream).tick(), { published: 3, gone: 0, failed: 0 });
      const entries = await read();
      assert.deepEqual(entries.map((e) => [e.type, e.accountId]), [['upload.ready', 'acc_redis'], ['job.started', 'acc_redis'], ['job.succeeded', 'acc_redis']]);
      for (const e of entries) assert.equal(e.id, e.body.id);
      const last = entries[2]!;
      assert.deepEqual(last.body, { id: last.id, accountId: 'acc_redis', type: 'job.succeeded', timestamp: new Date(run.succeededAt).toISOString(), data: JSON.parse(JSON.stringify(presenter.job(run.job))) });
      assert.equal(entries[0]!.body.data.id, run.upload);
    });

    it('keeps the stream near its cap (MAXLEN ~)', async () => {
      const capped = await RedisEventStream.connect({ redisUrl: REDIS_URL, key: `${key}:cap`, maxLen: 100 });
      closers.push(() => capped.close());
      for (let i = 0; i < 1000; i++) await capped.publish({ id: `evt_${i}`, type: 'job.progress', accountId: 'acc_cap', at: now, body: '{}' });
      const len = await redis.xlen(`${key}:cap`);
      assert.ok(len >= 100 && len < 1000, `XLEN ${len}: trimmed, never below the cap`);
    });

    it('loses nothing when Redis is unreachable at publish time, and marks an event whose subject is gone without publishing it', async () => {
      const relay = await TcpRelay.open(hostPort(REDIS_URL, 6379));
      closers.push(() => relay.down());
      const stream = await RedisEventStream.connect({ redisUrl: relay.via(REDIS_URL), key, maxLen: 1000, timeoutMs: 300 });
      closers.push(() => stream.close());
      const events = relayFor(stream);
      const lastSeen = (await read()).slice(-1)[0]!.entry;
      await relay.down();
      const run = await runJob('acc_redis_down');
      assert.deepEqual(await events.tick(), { published: 0, gone: 0, failed: 3 });
      assert.equal((await unsent()).length, 3);
      assert.deepEqual(await read(lastSeen), [], 'nothing reached the stream');

      await relay.up();
      await waitFor(async () => {
        now += 61_000;
        return (await events.tick()).published === 3;
      }, { timeoutMs: 30_000, intervalMs: 100, what: 'the events published once Redis is back' });
      assert.deepEqual(await unsent(), []);
      assert.deepEqual((await read(lastSeen)).map((e) => [e.type, e.body.data.id]), [['upload.ready', run.upload], ['job.started', run.id], ['job.succeeded', run.id]]);

      // A job removed before its event went out: nothing to present, the row is marked.
      const gone = await runJob('acc_redis_gone');
      await db.kysely.deleteFrom('jobs').where('id', '=', gone.id).execute();
      const tail = (await read()).slice(-1)[0]!.entry;
      assert.deepEqual(await events.tick(), { published: 1, gone: 2, failed: 0 });
      assert.deepEqual((await read(tail)).map((e) => e.type), ['upload.ready']);
      assert.deepEqual(await unsent(), []);
    });
  });
});
