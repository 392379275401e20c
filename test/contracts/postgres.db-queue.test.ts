import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DbJobQueue } from '../../src/adapters/db-queue/db.job-queue.js';
import { PgNotify, pgQueueWaker } from '../../src/adapters/postgres/pg-notify.js';
import { openPostgresDatabase, type PostgresHandle } from '../../src/adapters/postgres/postgres.database.js';
import { postgresCapabilities } from '../../src/adapters/sql/dialect.js';
import type { Clock } from '../../src/ports/clock.port.js';
import { waitFor } from '../helpers/temp.js';
import { dropSchema, freshSchema, PG_URL } from './postgres.schema.js';
import { runQueueContract } from './queue.contract.js';

const leaseMs = 600;

runQueueContract(
  'db-queue on postgres (SKIP LOCKED, LISTEN/NOTIFY)',
  async () => {
    const schema = freshSchema();
    // Two pools and two notification connections: the two handles are as separate as two processes.
    const dbA = await openPostgresDatabase(PG_URL, { schema, poolSize: 3 });
    const dbB = await openPostgresDatabase(PG_URL, { schema, poolSize: 3 });
    const nA = await PgNotify.connect(PG_URL);
    const nB = await PgNotify.connect(PG_URL);
    // a's clock stops at "crash": its lease renewals then write a lease that has already run out.
    let crashed = false;
    const clockA: Clock = { now: () => (crashed ? 0 : Date.now()) };
    const common = { queue: `q_${schema}`, caps: postgresCapabilities, leaseMs, pollMs: 1000 };
    const a = new DbJobQueue(dbA.kysely, { ...common, owner: 'worker-a', clock: clockA, waker: pgQueueWaker(nA) });
    const b = new DbJobQueue(dbB.kysely, { ...common, owner: 'worker-b', clock: { now: () => Date.now() }, waker: pgQueueWaker(nB) });
    return {
      a,
      b,
      crashA: async () => {
        crashed = true;
      },
      cleanup: async () => {
        void a.close();
        await b.close();
        await Promise.all([nA.close(), nB.close()]);
        await dbB.close();
        // a's stuck handler may still hold a pooled connection's promise; destroying the pool ends it.
        await dbA.close();
        await dropSchema(schema);
      },
    };
  },
  { leaseMs },
);

describe('db-queue on postgres: cross-process wake-ups', () => {
  const schema = freshSchema();
  let dbA: PostgresHandle;
  let dbB: PostgresHandle;
  let nA: PgNotify;
  let nB: PgNotify;
  before(async () => {
    dbA = await openPostgresDatabase(PG_URL, { schema, poolSize: 2 });
    dbB = await openPostgresDatabase(PG_URL, { schema, poolSize: 2 });
    nA = await PgNotify.connect(PG_URL);
    nB = await PgNotify.connect(PG_URL);
  });
  after(async () => {
    await Promise.all([nA.close(), nB.close(), dbA.close(), dbB.close()]);
    await dropSchema(schema);
  });

  it('wakes a consumer in another process by NOTIFY, long before its fallback poll', async () => {
    const queue = 'wake_test';
    const clock = { now: () => Date.now() };
    // The consumer polls only once a minute: a delivery within seconds can only come from NOTIFY.
    const producer = new DbJobQueue(dbA.kysely, { queue, owner: 'api', clock, caps: postgresCapabilities, pollMs: 60_000, waker: pgQueueWaker(nA) });
    const consumerQ = new DbJobQueue(dbB.kysely, { queue, owner: 'worker', clock, caps: postgresCapabilities, pollMs: 60_000, waker: pgQueueWaker(nB) });
    const seen: Array<{ id: string; at: number }> = [];
    const c = consumerQ.consume(async (m) => void seen.push({ id: m.jobId, at: Date.now() }), { concurrency: 1 });
    await new Promise((r) => setTimeout(r, 300)); // let it go idle on an empty queue
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      await producer.enqueue({ jobId: `job_w${i}`, route: 'frames' });
      await waitFor(async () => seen.some((s) => s.id === `job_w${i}`), { what: `delivery ${i}`, timeoutMs: 5000 });
      latencies.push(seen.find((s) => s.id === `job_w${i}`)!.at - t0);
    }
    await c.close();
    await producer.close();
    await consumerQ.close();
    assert.ok(Math.max(...latencies) < 5000, `latencies ${latencies.join(',')}`);
  });

  it('listens again after its connection is cut and wakes its listeners to look for missed work', async () => {
    let calls = 0;
    const stop = await nB.listen('mf_reconnect_test', () => void calls++);
    await nA.notify('mf_reconnect_test', 'x');
    await waitFor(async () => calls === 1, { what: 'first notification' });
    // Kill nB's server session, as a PostgreSQL restart or failover would.
    await dbA.pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE 'LISTEN%mf_reconnect_test%'",
    );
    await waitFor(async () => calls >= 2, { what: 'wake-up after reconnect', timeoutMs: 10_000 });
    const before = calls;
    await nA.notify('mf_reconnect_test', 'y');
    await waitFor(async () => calls > before, { what: 'notification after reconnect', timeoutMs: 10_000 });
    stop();
  });
});
