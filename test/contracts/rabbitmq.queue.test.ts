import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { delayBucket, RabbitmqJobQueue } from '../../src/adapters/rabbitmq/rabbitmq.job-queue.js';
import { waitFor } from '../helpers/temp.js';
import { startCrashChild } from './queue-crash.helpers.js';
import { runQueueContract } from './queue.contract.js';

const AMQP_URL = process.env.MEDIAFORGE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const unique = () => `mftest_${randomBytes(5).toString('hex')}`;
/** Delays the contract and these tests use, so cleanup can delete their TTL queues. */
const DELAYS = [700, 1000, 2000, 4000, 300];

runQueueContract(
  'rabbitmq (quorum queue, confirms, TTL delay queues)',
  async () => {
    const queueName = unique();
    const a = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName });
    const b = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName });
    return {
      a,
      b,
      // Drops a's consumer connection without a close handshake: the broker requeues its unacked message.
      crashA: () => a.abandonConsumers(),
      cleanup: async () => {
        await a.close();
        await b.deleteAll(DELAYS);
        await b.close();
      },
    };
  },
  { leaseMs: 1000 },
);

describe('rabbitmq queue: beyond the contract', () => {
  const queues: RabbitmqJobQueue[] = [];
  after(async () => {
    for (const q of queues) {
      await q.deleteAll(DELAYS).catch(() => undefined);
      await q.close();
    }
  });

  it('redelivers the message of a SIGKILLed worker process to another worker', async () => {
    const queueName = unique();
    const q = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName });
    queues.push(q);
    const child = startCrashChild(['rabbitmq', AMQP_URL, queueName]);
    try {
      await child.ready;
      await q.enqueue({ jobId: 'job_killed', route: 'frames' });
      await waitFor(async () => child.taken().includes('job_killed'), { what: 'the child takes the message', timeoutMs: 20_000 });
    } finally {
      await child.kill();
    }
    const seen: string[] = [];
    const c = q.consume(async (m) => void seen.push(m.jobId), { concurrency: 1 });
    await waitFor(async () => seen.includes('job_killed'), { what: 'redelivery after SIGKILL', timeoutMs: 15_000 });
    await c.close();
    assert.deepEqual(seen, ['job_killed']);
  });

  it('dead-letters a message whose handler keeps failing, after maxFailures', async () => {
    const queueName = unique();
    const q = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName, maxFailures: 2 });
    queues.push(q);
    let calls = 0;
    const c = q.consume(
      async () => {
        calls++;
        throw new Error('poison');
      },
      { concurrency: 1 },
    );
    await q.enqueue({ jobId: 'job_poison', route: 'frames' });
    await waitFor(async () => (await q.deadLetterCount()) === 1, { what: 'dead-lettered', timeoutMs: 15_000 });
    await c.close();
    assert.equal(calls, 2);
    assert.equal(await q.depth(), 0);
  });

  it('dead-letters a message that is not a job message instead of redelivering it forever', async () => {
    const queueName = unique();
    const q = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName });
    queues.push(q);
    const seen: string[] = [];
    const c = q.consume(async (m) => void seen.push(m.jobId), { concurrency: 1 });
    // Publish garbage straight through amqplib, as a misconfigured producer would.
    const amqp = await import('amqplib');
    const conn = await amqp.connect(AMQP_URL);
    const ch = await conn.createConfirmChannel();
    ch.sendToQueue(`${queueName}.frames`, Buffer.from('not json'), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    await q.enqueue({ jobId: 'job_fine', route: 'frames' });
    await waitFor(async () => seen.includes('job_fine'), { what: 'the good message' });
    await waitFor(async () => (await q.deadLetterCount()) === 1, { what: 'garbage dead-lettered' });
    await c.close();
  });

  it('acks a long-running delivery at the ack deadline so consumer_timeout cannot redeliver it mid-job', async () => {
    const queueName = unique();
    const q = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName, ackDeadlineMs: 300 });
    queues.push(q);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const c = q.consume(
      async () => {
        started++;
        await gate;
      },
      { concurrency: 1 },
    );
    await q.enqueue({ jobId: 'job_long', route: 'frames' });
    await waitFor(async () => started === 1, { what: 'start' });
    // Acked while still running: a second consumer connection sees nothing to take.
    const other = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName });
    queues.push(other);
    const seen: string[] = [];
    const c2 = other.consume(async (m) => void seen.push(m.jobId), { concurrency: 1 });
    await new Promise((r) => setTimeout(r, 600));
    await q.abandonConsumers(); // the long job's worker dies after the early ack
    await new Promise((r) => setTimeout(r, 800));
    assert.deepEqual(seen, [], 'not redelivered: from the ack deadline on, the database lease guards the job');
    release();
    await c2.close();
    void c;
  });

  it('a one-route consumer keeps its budget through early acks: never more handlers than its concurrency, each message once', async () => {
    const queueName = unique();
    // Handlers outlive the ack deadline, so every message is acked early while still running.
    const q = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName, ackDeadlineMs: 150 });
    queues.push(q);
    let running = 0;
    let peak = 0;
    const seen: string[] = [];
    const c = q.consume(
      async (m) => {
        running++;
        peak = Math.max(peak, running);
        seen.push(m.jobId);
        await new Promise((r) => setTimeout(r, 500));
        running--;
      },
      { concurrency: 2, routes: ['frames'] },
    );
    const ids = Array.from({ length: 6 }, (_, i) => `job_budget_${i}`);
    for (const id of ids) await q.enqueue({ jobId: id, route: 'frames' });
    await waitFor(async () => seen.length === ids.length && running === 0, { what: 'all handled', timeoutMs: 20_000 });
    await c.close();
    assert.equal(peak, 2, 'never more than the concurrency at once');
    assert.deepEqual([...seen].sort(), [...ids].sort(), 'each message handled exactly once');
  });

  it('dead-letters a message whose consumers keep dying, at the delivery limit', async () => {
    const queueName = unique();
    const q = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName, deliveryLimit: 1 });
    queues.push(q);
    await q.enqueue({ jobId: 'job_crashy', route: 'frames' });
    for (let i = 0; i < 2; i++) {
      // Each consumer takes the message and dies with it (connection cut, no ack).
      const victim = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName, deliveryLimit: 1 });
      let taken = false;
      victim.consume(() => new Promise<void>(() => void (taken = true)), { concurrency: 1 });
      await waitFor(async () => taken, { what: `delivery ${i + 1}` });
      await victim.abandonConsumers();
      await victim.close();
    }
    await waitFor(async () => (await q.deadLetterCount()) === 1, { what: 'dead-lettered by the delivery limit', timeoutMs: 10_000 });
    assert.equal(await q.depth(), 0);
  });

  it('comes back after the broker closes its connections: consumers resubscribe, enqueue works again', async () => {
    const queueName = unique();
    const q = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName });
    queues.push(q);
    const seen: string[] = [];
    const c = q.consume(async (m) => void seen.push(m.jobId), { concurrency: 1 });
    await q.enqueue({ jobId: 'job_before', route: 'frames' });
    await waitFor(async () => seen.includes('job_before'), { what: 'first delivery' });
    // Server-side close of this test's own connections only (found by their connection names).
    const { execFileSync } = await import('node:child_process');
    const list = execFileSync('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties'], { encoding: 'utf8' });
    const pids = list
      .split('\n')
      .filter((line) => line.includes(`mediaforge:publisher:${queueName}`) || line.includes(`mediaforge:consumer:${queueName}`))
      .map((line) => line.split('\t')[0]);
    assert.equal(pids.length, 2, `found our two connections in:\n${list}`);
    for (const pid of pids) execFileSync('rabbitmqctl', ['-q', 'close_connection', pid, 'mediaforge reconnect test']);
    await waitFor(
      async () => {
        try {
          await q.enqueue({ jobId: 'job_after', route: 'frames' });
          return true;
        } catch {
          return false;
        }
      },
      { what: 'enqueue after reconnect', timeoutMs: 15_000, intervalMs: 200 },
    );
    await waitFor(async () => seen.includes('job_after'), { what: 'delivery after reconnect', timeoutMs: 15_000 });
    await c.close();
  });

  it('rounds delays up to a small set of TTL queues', () => {
    assert.equal(delayBucket(0), 0);
    assert.equal(delayBucket(1), 100);
    assert.equal(delayBucket(700), 700);
    assert.equal(delayBucket(10_001), 11_000);
    assert.equal(delayBucket(3_600_000 + 1), 3_660_000);
  });

  it('refuses to start against a broker that is not there, naming it', async () => {
    await assert.rejects(RabbitmqJobQueue.connect({ url: 'amqp://guest:secret@127.0.0.1:1', queueName: 'x' }), /cannot reach RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1/);
  });
});
