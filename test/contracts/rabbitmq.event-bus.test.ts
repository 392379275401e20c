import { randomBytes } from 'node:crypto';
import { RabbitmqEventBus } from '../../src/adapters/rabbitmq/rabbitmq.event-bus.js';
import { runEventBusContract } from './event-bus.contract.js';

const AMQP_URL = process.env.MEDIAFORGE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

runEventBusContract('rabbitmq fanout (separate connections)', async () => {
  const exchange = `mftest_${randomBytes(5).toString('hex')}.events`;
  const pub = await RabbitmqEventBus.connect({ url: AMQP_URL, exchange });
  const sub = await RabbitmqEventBus.connect({ url: AMQP_URL, exchange });
  return {
    pub,
    sub,
    cleanup: async () => {
      await Promise.all([pub.close(), sub.close()]);
      // The exchange is not auto-deleted; remove it so reruns leave nothing behind.
      const amqp = await import('amqplib');
      const conn = await amqp.connect(AMQP_URL);
      const ch = await conn.createChannel();
      await ch.deleteExchange(exchange);
      await conn.close();
    },
  };
});
