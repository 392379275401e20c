import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { JobEvent } from '../../src/ports/events.port.js';
import { RedisEventBus } from '../../src/adapters/redis/redis.event-bus.js';
import { waitFor } from '../helpers/temp.js';
import { runEventBusContract } from './event-bus.contract.js';

const ev = (jobId: string, progress: number): JobEvent => ({ jobId, type: 'progress', status: 'running', progress, stage: 'x', at: Date.now() });

const REDIS_URL = process.env.MEDIAFORGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

runEventBusContract('redis pub/sub (separate connections)', async () => {
  const channelPrefix = `mftest_${randomBytes(5).toString('hex')}`;
  const pub = await RedisEventBus.connect({ redisUrl: REDIS_URL, channelPrefix });
  const sub = await RedisEventBus.connect({ redisUrl: REDIS_URL, channelPrefix });
  return { pub, sub, cleanup: async () => void (await Promise.all([pub.close(), sub.close()])) };
});

describe('redis event bus: connection loss', () => {
  it('subscribes again after Redis drops the subscriber connection', async () => {
    const channelPrefix = `mftest_${randomBytes(5).toString('hex')}`;
    const pub = await RedisEventBus.connect({ redisUrl: REDIS_URL, channelPrefix });
    const clientName = `${channelPrefix}-client`;
    const sub = await RedisEventBus.connect({ redisUrl: REDIS_URL, channelPrefix, clientName });
    try {
      const got: number[] = [];
      const off = sub.subscribe('job_r1', (e) => void got.push(e.progress));
      await new Promise((r) => setTimeout(r, 50));
      await pub.publish(ev('job_r1', 1));
      await waitFor(async () => got.length === 1, { what: 'first event' });
      // Kill this test's own subscriber connection (found by its client name), server side.
      const admin = new Redis(REDIS_URL);
      const list = (await admin.client('LIST')) as string;
      const mine = list
        .split('\n')
        .filter((l) => l.includes(`name=${clientName}:events:sub `))
        .map((l) => /id=(\d+)/.exec(l)![1]);
      assert.equal(mine.length, 1);
      await admin.client('KILL', 'ID', mine[0]);
      await waitFor(async () => Number(((await admin.pubsub('NUMSUB', `${channelPrefix}:job:job_r1`)) as Array<string | number>)[1]) === 1, {
        what: 'resubscribed',
        timeoutMs: 10_000,
      });
      await admin.quit();
      await pub.publish(ev('job_r1', 2));
      await waitFor(async () => got.length === 2, { what: 'event after reconnect', timeoutMs: 10_000 });
      off();
    } finally {
      await Promise.all([pub.close(), sub.close()]);
    }
  });
});
