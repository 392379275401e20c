import type { Channel } from 'amqplib';

/** Names and limits of one job queue's RabbitMQ objects. */
export interface TopologyNames {
  queue: string;
  deadLetterExchange: string;
  deadQueue: string;
  deliveryLimit: number;
}

export const topologyNames = (queue: string, deliveryLimit: number): TopologyNames => ({
  queue,
  deadLetterExchange: `${queue}.dlx`,
  deadQueue: `${queue}.dead`,
  deliveryLimit,
});

/**
 * Round delays up to a coarse grid: one TTL queue per distinct delay, and retry backoffs
 * only ever use a handful of values, so few queues exist at a time.
 */
export function delayBucket(ms: number): number {
  if (ms <= 0) return 0;
  if (ms <= 10_000) return Math.ceil(ms / 100) * 100;
  if (ms <= 600_000) return Math.ceil(ms / 1000) * 1000;
  return Math.ceil(ms / 60_000) * 60_000;
}

export const retryDelay = (failures: number) => Math.min(1000 * 2 ** (failures - 1), 300_000);

/**
 * The main quorum queue (delivery limit, dead-lettering to `<queue>.dlx`) and the dead-letter
 * queue. Every process declares the same arguments: RabbitMQ refuses a redeclaration with
 * different ones (PRECONDITION_FAILED), so deliveryLimit must match across processes.
 */
export async function declareTopology(ch: Channel, n: TopologyNames): Promise<void> {
  await ch.assertExchange(n.deadLetterExchange, 'direct', { durable: true });
  await ch.assertQueue(n.deadQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(n.deadQueue, n.deadLetterExchange, n.queue);
  await ch.assertQueue(n.queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': n.deliveryLimit,
      'x-dead-letter-exchange': n.deadLetterExchange,
      'x-dead-letter-routing-key': n.queue,
    },
  });
}

export const delayQueueName = (queue: string, bucket: number) => `${queue}.delay.${bucket}`;

/**
 * A quorum queue whose messages expire after `bucket` ms and dead-letter (at-least-once)
 * back into the main queue. Declared before every publish: x-expires counts from the last
 * declare and is longer than the TTL, so the queue outlives every message published into it.
 */
export async function declareDelayQueue(ch: Channel, queue: string, bucket: number): Promise<string> {
  const name = delayQueueName(queue, bucket);
  await ch.assertQueue(name, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-message-ttl': bucket,
      'x-expires': bucket + 60_000,
      'x-overflow': 'reject-publish',
      'x-dead-letter-strategy': 'at-least-once',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': queue,
    },
  });
  return name;
}
