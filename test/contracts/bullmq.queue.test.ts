import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { BullmqJobQueue } from '../../src/adapters/bullmq/bullmq.job-queue.js';
import { waitFor } from '../helpers/temp.js';
import { startCrashChild } from './queue-crash.helpers.js';
import { runQueueContract } from './queue.contract.js';

const REDIS_URL = process.env.MEDIAFORGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const leaseMs = 1000;
const unique = () => randomBytes(5).toString('hex');

runQueueContract(
  'bullmq on redis',
  async () => {
    const queueName = `q_${unique()}`;
    const prefix = `mftest_${unique()}`;
    const a = await BullmqJobQueue.connect({ redisUrl: REDIS_URL, queueName, prefix, lockDurationMs: leaseMs });
    const b = await BullmqJobQueue.connect({ redisUrl: REDIS_URL, queueName, prefix, lockDurationMs: leaseMs });
    return {
      a,
      b,
      // a's Redis connections drop: no more acks or lock renewals; b's stalled checker takes over.
      crashA: () => a.abandonConsumers(),
      cleanup: async () => {
        await a.close();
        await b.close();
        const admin = await BullmqJobQueue.connect({ redisUrl: REDIS_URL, queueName, prefix });
        await admin.obliterate();
        await admin.close();
      },
    };
  },
  { leaseMs },
);

describe('bullmq on redis: a SIGKILLed worker process', () => {
  const queueName = `q_${unique()}`;
  const prefix = `mftest_${unique()}`;
  let q: BullmqJobQueue;
  after(async () => {
    await q?.obliterate().catch(() => undefined);
    await q?.close();
  });

  it('its message goes to another worker through the stalled-job check, and is removed once handled', async () => {
    const child = startCrashChild(['bullmq', REDIS_URL, queueName, prefix, String(leaseMs)]);
    try {
      await child.ready;
      q = await BullmqJobQueue.connect({ redisUrl: REDIS_URL, queueName, prefix, lockDurationMs: leaseMs });
      await q.enqueue({ jobId: 'job_killed', route: 'frames' });
      await waitFor(async () => child.taken().includes('job_killed'), { what: 'the child takes the message', timeoutMs: 20_000 });
    } finally {
      await child.kill();
    }
    const seen: string[] = [];
    const c = q.consume(async (m) => void seen.push(m.jobId), { concurrency: 1 });
    await waitFor(async () => seen.includes('job_killed'), { what: 'redelivery after SIGKILL', timeoutMs: leaseMs * 4 + 5000 });
    await c.close();
    assert.deepEqual(seen, ['job_killed']);
    await waitFor(async () => (await q.depth()) === 0, { what: 'queue drained' });
  });

  it('keeps consuming after Redis drops its connections (they reconnect by themselves)', async () => {
    const name = `q_${unique()}`;
    const pfx = `mftest_${unique()}`;
    const rq = await BullmqJobQueue.connect({ redisUrl: REDIS_URL, queueName: name, prefix: pfx, lockDurationMs: leaseMs });
    const seen: string[] = [];
    const c = rq.consume(async (m) => void seen.push(m.jobId), { concurrency: 1 });
    await rq.enqueue({ jobId: 'job_before', route: 'frames' });
    await waitFor(async () => seen.includes('job_before'), { what: 'first delivery' });
    // Server-side kill of this queue's own worker and producer connections, as a Redis restart does.
    const { Redis } = await import('ioredis');
    const admin = new Redis(REDIS_URL);
    const list = (await admin.client('LIST')) as string;
    const ids = list
      .split('\n')
      .filter((l) => l.includes(`name=mediaforge:worker:${name}`) || l.includes(`name=mediaforge:producer:${name}`))
      .map((l) => /id=(\d+)/.exec(l)![1]);
    assert.ok(ids.length >= 2, `found our connections: ${ids.length}`);
    for (const id of ids) await admin.client('KILL', 'ID', id);
    await admin.quit();
    await rq.enqueue({ jobId: 'job_after', route: 'frames' });
    await waitFor(async () => seen.includes('job_after'), { what: 'delivery after reconnect', timeoutMs: 15_000 });
    await c.close();
    await rq.obliterate();
    await rq.close();
  });

  it('refuses to start against a Redis that is not there, naming it', async () => {
    await assert.rejects(
      BullmqJobQueue.connect({ redisUrl: 'redis://127.0.0.1:1', queueName: 'nope', connectTimeoutMs: 1500 }),
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/,
    );
  });
});
