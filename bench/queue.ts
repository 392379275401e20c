/**
 * Queue benchmark: enqueue-to-start latency (p50, p99) and no-op throughput of every
 * JobQueue adapter, each beside the bare library doing the same work in the same run:
 *
 *   db-queue on SQLite       (no underlying queue library: absolute figures only)
 *   db-queue on PostgreSQL   vs a bare `pg` SKIP LOCKED + LISTEN/NOTIFY loop
 *   BullMQ adapter           vs a bare BullMQ Queue + Worker
 *   RabbitMQ adapter         vs a bare amqplib confirm-publisher + prefetch consumer
 *
 * The BullMQ and RabbitMQ adapters are measured twice: consuming every route (as
 * `mediaforge start` and a worker without --types do: one queue per route, one
 * concurrency budget for the process) and consuming one route (a `--types frames` pool).
 * Throughput of short REAL jobs with 1 vs 2 worker processes: bench/queue-scaling.ts.
 *
 *   npx tsx bench/queue.ts                       # 200 latency samples, 2000 throughput messages
 *   npx tsx bench/queue.ts --samples 50 --messages 500 --only bullmq,rabbitmq
 *
 * Options (argv or env BENCH_*): --samples (latency messages, sent one at a time to an
 * idle consumer), --messages (throughput: enqueued first, then drained), --concurrency
 * (consumer concurrency for throughput, default 8), --only (comma list of
 * sqlite,postgres,bullmq,rabbitmq,bullmq-1,rabbitmq-1), --rounds (default 3: baseline and adapter alternate
 * which goes first each round, so neither always pays the warm-up; medians are reported). Services: MEDIAFORGE_TEST_PG_URL, MEDIAFORGE_TEST_REDIS_URL,
 * MEDIAFORGE_TEST_AMQP_URL (defaults: the local ones). Every run uses fresh schema / queue
 * names / key prefixes and removes them at the end.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import amqp from 'amqplib';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { BullmqJobQueue } from '../src/adapters/bullmq/bullmq.job-queue.js';
import { DbJobQueue } from '../src/adapters/db-queue/db.job-queue.js';
import { PgNotify, pgQueueWaker } from '../src/adapters/postgres/pg-notify.js';
import { openPostgresDatabase } from '../src/adapters/postgres/postgres.database.js';
import { RabbitmqJobQueue } from '../src/adapters/rabbitmq/rabbitmq.job-queue.js';
import { postgresCapabilities, sqliteCapabilities } from '../src/adapters/sql/dialect.js';
import { openSqliteDatabase } from '../src/adapters/sqlite/sqlite.database.js';
import type { Route } from '../src/domain/routes.js';
import type { JobQueue } from '../src/ports/queue.port.js';
import { median, onCleanup, Options, runMain, table, tempDir } from './lib.js';

const opts = new Options();
const PG_URL = process.env.MEDIAFORGE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.MEDIAFORGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const AMQP_URL = process.env.MEDIAFORGE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const unique = () => `mfbench_${randomBytes(4).toString('hex')}`;

/** What every contender (adapter or bare library) offers the measuring code. */
interface Contender {
  enqueue(jobId: string): Promise<void>;
  /** Starts consuming; `onStart` is called at handler entry; the handler then resolves at once. */
  consume(onStart: (jobId: string) => void, concurrency: number): Promise<{ close(): Promise<void> }>;
  close(): Promise<void>;
}

interface Figures {
  p50: number;
  p99: number;
  perSecond: number;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

async function measure(make: () => Promise<Contender>, samples: number, messages: number, concurrency: number): Promise<Figures> {
  const c = await make();
  try {
    // Latency: one message at a time to an idle consumer, so each one measures a wake-up.
    const started = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    const latConsumer = await c.consume((id) => {
      started.set(id, performance.now());
      waiters.get(id)?.();
    }, 1);
    const lat: number[] = [];
    for (let i = 0; i < samples + 5; i++) {
      const id = `lat_${i}`;
      const seen = new Promise<void>((r) => waiters.set(id, r));
      await new Promise((r) => setTimeout(r, 20)); // let the consumer go idle
      const t0 = performance.now();
      await c.enqueue(id);
      await seen;
      if (i >= 5) lat.push(started.get(id)! - t0); // the first few warm up connections
    }
    await latConsumer.close();
    lat.sort((a, b) => a - b);

    // Throughput: fill the queue, then time draining it with a no-op handler.
    const batch = 50;
    for (let i = 0; i < messages; i += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, messages - i) }, (_, k) => c.enqueue(`tp_${i + k}`)));
    }
    let done = 0;
    let finish!: () => void;
    const all = new Promise<void>((r) => (finish = r));
    const t0 = performance.now();
    const tp = await c.consume((id) => {
      if (id.startsWith('tp_') && ++done === messages) finish();
    }, concurrency);
    await all;
    const seconds = (performance.now() - t0) / 1000;
    await tp.close();
    return { p50: pct(lat, 50), p99: pct(lat, 99), perSecond: messages / seconds };
  } finally {
    await c.close();
  }
}

// ---------------------------------------------------------------------------------------
// Adapters

/**
 * Messages travel on the `frames` route. The consumer takes every route (as `mediaforge
 * start` and a worker without --types do) unless `routes` names some (a `--types` pool).
 */
function adapter(queue: JobQueue, extraClose: () => Promise<void> = async () => undefined, consumerQueue: JobQueue = queue, routes?: Route[]): Contender {
  return {
    enqueue: (jobId) => queue.enqueue({ jobId, route: 'frames' }),
    consume: async (onStart, concurrency) => consumerQueue.consume(async (m) => onStart(m.jobId), { concurrency, routes }),
    close: async () => {
      await queue.close();
      if (consumerQueue !== queue) await consumerQueue.close();
      await extraClose();
    },
  };
}

async function sqliteAdapter(): Promise<Contender> {
  const dir = await tempDir('mf-bench-queue-');
  const db = await openSqliteDatabase(join(dir, 'bench.db'));
  const q = new DbJobQueue(db.kysely, { queue: 'bench', owner: 'bench', clock: { now: () => Date.now() }, caps: sqliteCapabilities });
  return adapter(q, () => db.close());
}

async function postgresAdapter(): Promise<Contender> {
  const schema = unique();
  // Producer and consumer on separate pools and notification connections, as an API and a worker would be.
  const dbP = await openPostgresDatabase(PG_URL, { schema, poolSize: 4 });
  const dbC = await openPostgresDatabase(PG_URL, { schema, poolSize: 4 });
  const nP = await PgNotify.connect(PG_URL);
  const nC = await PgNotify.connect(PG_URL);
  const clock = { now: () => Date.now() };
  const common = { queue: 'bench', clock, caps: postgresCapabilities, pollMs: 2000 };
  const producer = new DbJobQueue(dbP.kysely, { ...common, owner: 'api', waker: pgQueueWaker(nP) });
  const consumer = new DbJobQueue(dbC.kysely, { ...common, owner: 'worker', waker: pgQueueWaker(nC) });
  return adapter(
    producer,
    async () => {
      await Promise.all([nP.close(), nC.close(), dbP.close(), dbC.close()]);
      await dropSchema(schema);
    },
    consumer,
  );
}

async function bullmqAdapter(routes?: Route[]): Promise<Contender> {
  const queueName = unique();
  const prefix = unique();
  const producer = await BullmqJobQueue.connect({ redisUrl: REDIS_URL, queueName, prefix });
  const consumer = await BullmqJobQueue.connect({ redisUrl: REDIS_URL, queueName, prefix });
  return adapter(
    producer,
    async () => {
      const admin = await BullmqJobQueue.connect({ redisUrl: REDIS_URL, queueName, prefix });
      await admin.obliterate();
      await admin.close();
    },
    consumer,
    routes,
  );
}

async function rabbitmqAdapter(routes?: Route[]): Promise<Contender> {
  const queueName = unique();
  const producer = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName });
  const consumer = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName });
  return adapter(
    producer,
    async () => {
      const admin = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName });
      await admin.deleteAll();
      await admin.close();
    },
    consumer,
    routes,
  );
}

// ---------------------------------------------------------------------------------------
// Bare libraries: the same work with nothing of mediaforge around it.

async function dropSchema(schema: string) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
}

/** A minimal SKIP LOCKED queue on `pg`: insert + NOTIFY; consumers DELETE … RETURNING. */
async function barePg(): Promise<Contender> {
  const schema = unique();
  const pool = new pg.Pool({ connectionString: PG_URL, max: 8 });
  await pool.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".q (id bigserial PRIMARY KEY, job_id text NOT NULL)`);
  const listener = new pg.Client({ connectionString: PG_URL });
  await listener.connect();
  await listener.query(`LISTEN "${schema}"`);
  return {
    enqueue: async (jobId) => {
      await pool.query(`WITH i AS (INSERT INTO "${schema}".q (job_id) VALUES ($1)) SELECT pg_notify($2, '')`, [jobId, schema]);
    },
    consume: async (onStart, concurrency) => {
      let stopping = false;
      let wake: (() => void) | null = null;
      const onNote = () => wake?.();
      listener.on('notification', onNote);
      const loops = Array.from({ length: concurrency }, async () => {
        while (!stopping) {
          const { rows } = await pool.query(
            `DELETE FROM "${schema}".q WHERE id = (SELECT id FROM "${schema}".q ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING job_id`,
          );
          if (rows.length) onStart(rows[0].job_id);
          else await new Promise<void>((r) => {
            const t = setTimeout(r, 2000);
            const prev = wake;
            wake = () => {
              clearTimeout(t);
              r();
              prev?.();
            };
          });
        }
      });
      return {
        close: async () => {
          stopping = true;
          wake?.();
          listener.off('notification', onNote);
          await Promise.all(loops);
        },
      };
    },
    close: async () => {
      await listener.end();
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

async function bareBullmq(): Promise<Contender> {
  const queueName = unique();
  const prefix = unique();
  const conn = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection: conn, prefix, defaultJobOptions: { removeOnComplete: true } });
  return {
    enqueue: async (jobId) => void (await queue.add('job', { jobId })),
    consume: async (onStart, concurrency) => {
      const wconn = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
      const worker = new Worker(queueName, async (job) => onStart(job.data.jobId), { connection: wconn, prefix, concurrency, drainDelay: 1 });
      await worker.waitUntilReady();
      return {
        close: async () => {
          await worker.close();
          await wconn.quit();
        },
      };
    },
    close: async () => {
      await queue.obliterate({ force: true });
      await queue.close();
      await conn.quit();
    },
  };
}

async function bareAmqplib(): Promise<Contender> {
  const queueName = unique();
  const pubConn = await amqp.connect(AMQP_URL);
  const pub = await pubConn.createConfirmChannel();
  await pub.assertQueue(queueName, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  return {
    enqueue: (jobId) =>
      new Promise<void>((resolve, reject) =>
        void pub.sendToQueue(queueName, Buffer.from(JSON.stringify({ jobId })), { persistent: true }, (err) => (err ? reject(err) : resolve())),
      ),
    consume: async (onStart, concurrency) => {
      const conn = await amqp.connect(AMQP_URL);
      const ch = await conn.createChannel();
      await ch.prefetch(concurrency);
      await ch.consume(queueName, (msg) => {
        if (!msg) return;
        onStart(JSON.parse(msg.content.toString()).jobId);
        ch.ack(msg);
      });
      return { close: () => conn.close() };
    },
    close: async () => {
      await pub.deleteQueue(queueName);
      await pubConn.close();
    },
  };
}

// ---------------------------------------------------------------------------------------

runMain(async () => {
  if (opts.help) {
    console.log('usage: npx tsx bench/queue.ts [--samples 200] [--messages 2000] [--concurrency 8] [--only sqlite,postgres,bullmq,rabbitmq,bullmq-1,rabbitmq-1]');
    return;
  }
  const samples = opts.number('samples', 200, 5);
  const messages = opts.number('messages', 2000, 10);
  const concurrency = opts.number('concurrency', 8, 1);
  const rounds = opts.number('rounds', 3, 1);
  const only = new Set((opts.raw('only') ?? 'sqlite,postgres,bullmq,rabbitmq,bullmq-1,rabbitmq-1').split(',').map((s) => s.trim()));
  onCleanup(() => undefined);

  const pairs: Array<{ name: string; ours: () => Promise<Contender>; bare?: { name: string; make: () => Promise<Contender> } }> = [];
  if (only.has('sqlite')) pairs.push({ name: 'db-queue on SQLite', ours: sqliteAdapter });
  if (only.has('postgres')) pairs.push({ name: 'db-queue on PostgreSQL', ours: postgresAdapter, bare: { name: 'bare pg SKIP LOCKED + NOTIFY', make: barePg } });
  if (only.has('bullmq')) pairs.push({ name: 'BullmqJobQueue', ours: () => bullmqAdapter(), bare: { name: 'bare BullMQ Queue + Worker', make: bareBullmq } });
  if (only.has('rabbitmq')) pairs.push({ name: 'RabbitmqJobQueue', ours: () => rabbitmqAdapter(), bare: { name: 'bare amqplib (quorum, confirms, prefetch)', make: bareAmqplib } });
  // A worker pool of one type (`--types frames`): one route, no budget shared across routes.
  if (only.has('bullmq-1')) pairs.push({ name: 'BullmqJobQueue, 1 route', ours: () => bullmqAdapter(['frames']), bare: { name: 'bare BullMQ Queue + Worker', make: bareBullmq } });
  if (only.has('rabbitmq-1')) pairs.push({ name: 'RabbitmqJobQueue, 1 route', ours: () => rabbitmqAdapter(['frames']), bare: { name: 'bare amqplib (quorum, confirms, prefetch)', make: bareAmqplib } });

  console.log(`queue bench: ${samples} latency samples, ${messages} no-op messages at concurrency ${concurrency}, ${rounds} rounds (medians)\n`);
  const rows: string[][] = [['queue', 'p50 ms', 'p99 ms', 'msgs/s', 'baseline', 'base p50', 'base p99', 'base msgs/s', 'p50 ×', 'msgs/s ×']];
  for (const p of pairs) {
    // Baseline and ours in the same run, on the same services, alternating which goes first.
    const oursRuns: Figures[] = [];
    const baseRuns: Figures[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? ['base', 'ours'] : ['ours', 'base'];
      for (const who of order) {
        if (who === 'ours') oursRuns.push(await measure(p.ours, samples, messages, concurrency));
        else if (p.bare) baseRuns.push(await measure(p.bare.make, samples, messages, concurrency));
      }
    }
    const med = (runs: Figures[]): Figures => ({
      p50: median(runs.map((x) => x.p50)),
      p99: median(runs.map((x) => x.p99)),
      perSecond: median(runs.map((x) => x.perSecond)),
    });
    const ours = med(oursRuns);
    const base = baseRuns.length ? med(baseRuns) : null;
    const f = (n: number) => n.toFixed(n < 10 ? 2 : 0);
    rows.push([
      p.name,
      f(ours.p50),
      f(ours.p99),
      f(ours.perSecond),
      p.bare?.name ?? '—',
      base ? f(base.p50) : '—',
      base ? f(base.p99) : '—',
      base ? f(base.perSecond) : '—',
      base ? (ours.p50 / base.p50).toFixed(2) : '—',
      base ? (ours.perSecond / base.perSecond).toFixed(2) : '—',
    ]);
    console.error(`done: ${p.name}`);
  }
  console.log(table(rows, ['l', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r']));
  console.log('\np50 × = our median latency / baseline median latency (lower is better);');
  console.log('msgs/s × = our throughput / baseline throughput (higher is better).');
});
