import type { Channel } from 'amqplib';
import { ROUTES, type Route } from '../../domain/routes.js';

/** Names and limits of one job queue's RabbitMQ objects. */
export interface TopologyNames {
  /** The base name; each route's quorum queue is `<base>.<route>`. */
  base: string;
  routeQueue(route: Route): string;
  deadLetterExchange: string;
  deadQueue: string;
  deliveryLimit: number;
}

/** The quorum queue of one route. Routes are a closed list, so this never holds user text. */
export const routeQueueName = (base: string, route: Route) => `${base}.${route}`;

export const topologyNames = (base: string, deliveryLimit: number): TopologyNames => ({
  base,
  routeQueue: (route) => routeQueueName(base, route),
  deadLetterExchange: `${base}.dlx`,
  deadQueue: `${base}.dead`,
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
 * One quorum queue per route (delivery limit, dead-lettering to `<base>.dlx` with the route
 * queue's name as routing key) and the one dead-letter queue `<base>.dead` they all share.
 * Every process declares all routes, whatever it consumes, so a publish never lands on a
 * queue that does not exist yet. Every process declares the same arguments: RabbitMQ refuses
 * a redeclaration with different ones (PRECONDITION_FAILED), so deliveryLimit must match
 * across processes.
 */
export async function declareTopology(ch: Channel, n: TopologyNames): Promise<void> {
  await ch.assertExchange(n.deadLetterExchange, 'direct', { durable: true });
  await ch.assertQueue(n.deadQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  for (const route of ROUTES) {
    const queue = n.routeQueue(route);
    await ch.bindQueue(n.deadQueue, n.deadLetterExchange, queue);
    await ch.assertQueue(queue, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-delivery-limit': n.deliveryLimit,
        'x-dead-letter-exchange': n.deadLetterExchange,
        'x-dead-letter-routing-key': queue,
      },
    });
  }
}

export const delayQueueName = (queue: string, bucket: number) => `${queue}.delay.${bucket}`;

/**
 * A quorum queue whose messages expire after `bucket` ms and dead-letter (at-least-once)
 * back into `queue` (a route queue, so a delayed message keeps its route). Declared before every publish: x-expires counts from the last
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
