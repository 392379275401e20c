import type { ConfirmChannel } from 'amqplib';
import type { ConsumeOptions, JobQueue, QueueConsumer, QueueMessage } from '../../ports/queue.port.js';
import { consumedRoutes, ROUTES, type Route } from '../../domain/routes.js';
import { AmqpLink } from './amqp-link.js';
import { startRabbitmqConsumer, type Body } from './rabbitmq.consumer.js';
import { redactUrl } from '../redact-url.js';
import { declareDelayQueue, declareTopology, delayBucket, delayQueueName, topologyNames, type TopologyNames } from './rabbitmq.topology.js';

export { delayBucket } from './rabbitmq.topology.js';

export interface RabbitmqQueueOptions {
  url: string;
  /** Base name: each route has its quorum queue `<queueName>.<route>`. */
  queueName: string;
  /** Default prefetch when `consume` is not told a concurrency (it always is, by the worker). */
  prefetch?: number;
  /** Broker redeliveries (consumer died, connection lost) before a message is dead-lettered; default 10. */
  deliveryLimit?: number;
  /** Handler failures before a message is dead-lettered; default 10 (retried 1 s, 2 s, 4 s … 5 min apart). */
  maxFailures?: number;
  /**
   * How long a handler may hold its message unacknowledged; default 25 minutes. See the
   * class comment: RabbitMQ's consumer_timeout (30 minutes by default) closes the channel of
   * a consumer that holds a delivery longer, which would redeliver a two-hour transcode
   * while it is still running.
   */
  ackDeadlineMs?: number;
  /** How long `enqueue` waits for a reconnect before it fails; default 10 s. */
  enqueueTimeoutMs?: number;
  onError?: (err: Error) => void;
}


/**
 * Jobs queue on RabbitMQ.
 *
 * - One durable quorum queue per route (`<queueName>.<route>`); a consumer subscribes to the
 *   routes it takes. Its concurrency is a budget for the whole process, not per route:
 *   quorum queues do not support channel-wide (global) prefetch, so each route consumer
 *   gets a per-consumer prefetch of the free slots, and while every slot is busy all route
 *   consumers are cancelled (re-subscribed when a slot frees). A message the broker had
 *   already sent when the budget ran out is handed back: republished (confirmed) to its
 *   route queue, then acked; it counts neither as a failure nor as a delivery.
 * - Every publish is persistent and waits for the broker's confirm,
 *   so `enqueue` resolving means the broker has the message.
 * - Manual acks, prefetch = the consumer's concurrency.
 * - Poison messages: the quorum queue's `x-delivery-limit` dead-letters a message that keeps
 *   coming back because its consumer dies, and a handler that keeps failing sends it to the
 *   same dead-letter exchange after `maxFailures`. Both land in `<queue>.dead`.
 * - Delays (delayed enqueue and retry backoff) without plugins: a quorum queue per delay
 *   value with that message TTL, dead-lettering back into the main queue (at-least-once
 *   dead-lettering, so a delayed message is not lost on a broker failover).
 * - consumer_timeout: the broker closes the channel of a consumer that holds a delivery
 *   past 30 minutes (by default), which would hand a two-hour transcode to a second worker
 *   while the first still runs. A per-queue `x-consumer-timeout` only exists from RabbitMQ
 *   3.12 on, and raising the server-wide setting is an operator's change we cannot count on.
 *   So a handler still running at `ackDeadlineMs` (25 min) has its message acked early; from
 *   then on the database lease is what protects the job: if that worker dies, its lease
 *   runs out and the worker sweeper re-enqueues the job. Short jobs (most of them) keep
 *   the broker's own redelivery on consumer death.
 * - Publishers and consumers use separate connections (RabbitMQ blocks publishing
 *   connections under memory pressure; that must not stall acks).
 */
export class RabbitmqJobQueue implements JobQueue {
  private publisher: ConfirmChannel | null = null;
  private consumerLink: Promise<AmqpLink> | null = null;
  /** Delay queues this handle published to (their names), for depth(). */
  private readonly usedDelays = new Set<string>();
  private closed = false;
  private readonly consumers = new Set<{ close: () => Promise<void> }>();
  private readonly names: TopologyNames;

  private constructor(
    private readonly opts: RabbitmqQueueOptions,
    private readonly pubLink: AmqpLink,
  ) {
    this.names = topologyNames(opts.queueName, opts.deliveryLimit ?? 10);
  }

  static async connect(opts: RabbitmqQueueOptions): Promise<RabbitmqJobQueue> {
    const onError = opts.onError ?? (() => undefined);
    let link: AmqpLink;
    try {
      link = await AmqpLink.open(opts.url, `mediaforge:publisher:${opts.queueName}`, onError);
    } catch (err) {
      throw new Error(`cannot reach RabbitMQ at ${redactUrl(opts.url)} for queue "${opts.queueName}": ${(err as Error).message}`);
    }
    const q = new RabbitmqJobQueue(opts, link);
    try {
      await link.addSetup(async (model) => {
        q.publisher = null;
        const ch = await model.createConfirmChannel();
        ch.on('error', onError);
        ch.on('close', () => {
          if (q.publisher === ch) q.publisher = null;
        });
        await declareTopology(ch, q.names);
        q.publisher = ch;
      });
    } catch (err) {
      await link.close();
      throw err;
    }
    return q;
  }

  get queueName(): string {
    return this.opts.queueName;
  }

  private async publisherChannel(): Promise<ConfirmChannel> {
    const timeoutMs = this.opts.enqueueTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    while (!this.publisher) {
      await this.pubLink.current(Math.max(1, deadline - Date.now()));
      if (this.publisher) break;
      if (Date.now() > deadline) throw new Error(`RabbitMQ publisher channel not ready after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.publisher;
  }

  /** Publishes and resolves once the broker confirmed it (publisher confirms). */
  private async publish(routingKey: string, body: Body, headers: Record<string, unknown> = {}, exchange = ''): Promise<void> {
    const ch = await this.publisherChannel();
    await new Promise<void>((resolve, reject) => {
      ch.publish(exchange, routingKey, Buffer.from(JSON.stringify(body)), { persistent: true, contentType: 'application/json', headers }, (err) =>
        err ? reject(new Error(`RabbitMQ did not confirm the message for job ${body.jobId}: ${err.message ?? err}`)) : resolve(),
      );
    });
  }

  private async publishDelayed(queue: string, body: Body, delayMs: number, headers: Record<string, unknown> = {}): Promise<void> {
    const bucket = delayBucket(delayMs);
    if (bucket === 0) return this.publish(queue, body, headers);
    const ch = await this.publisherChannel();
    const name = await declareDelayQueue(ch, queue, bucket);
    this.usedDelays.add(name);
    await this.publish(name, body, headers);
  }

  async enqueue(message: QueueMessage, opts?: { delayMs?: number }): Promise<void> {
    const body: Body = { jobId: message.jobId, ...(message.traceparent ? { traceparent: message.traceparent } : {}) };
    await this.publishDelayed(this.names.routeQueue(message.route), body, opts?.delayMs ?? 0);
  }

  consume(handler: (message: QueueMessage) => Promise<void>, opts: ConsumeOptions): QueueConsumer {
    const onError = this.opts.onError ?? (() => undefined);
    const consumer = startRabbitmqConsumer(
      {
        routeQueue: (route) => this.names.routeQueue(route),
        deadLetterExchange: this.names.deadLetterExchange,
        publish: (queue, body, headers, exchange) => this.publish(queue, body, headers, exchange),
        publishDelayed: (queue, body, delayMs, headers) => this.publishDelayed(queue, body, delayMs, headers),
        link: () => (this.consumerLink ??= this.openConsumerLink(onError)),
      },
      {
        routes: consumedRoutes(opts.routes),
        budget: Math.max(1, opts.concurrency || this.opts.prefetch || 1),
        ackDeadlineMs: this.opts.ackDeadlineMs ?? 25 * 60_000,
        maxFailures: this.opts.maxFailures ?? 10,
        onError,
      },
      handler,
    );
    const entry = {
      close: async () => {
        await consumer.close();
        this.consumers.delete(entry);
      },
    };
    this.consumers.add(entry);
    return entry;
  }

  /** The consumers' connection; retried with backoff while the broker is away at start. */
  private async openConsumerLink(onError: (err: Error) => void): Promise<AmqpLink> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await AmqpLink.open(this.opts.url, `mediaforge:consumer:${this.opts.queueName}`, onError);
      } catch (err) {
        if (this.closed) throw err;
        onError(err as Error);
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 5000)));
      }
    }
  }

  /**
   * Cuts the consumers' connection abruptly (no close handshake, no acks, no reconnect):
   * the broker sees a dead worker and redelivers its unacked messages. For fault tests.
   */
  async abandonConsumers(): Promise<void> {
    this.consumers.clear();
    const link = this.consumerLink;
    this.consumerLink = null;
    (await link?.catch(() => null))?.destroy();
  }

  /**
   * Ready messages in every route queue plus those waiting in the delay queues this handle
   * used. Messages delivered but not yet acked are not visible over AMQP (the management
   * API shows them; KEDA's RabbitMQ scaler reads that).
   */
  async depth(): Promise<number> {
    const byRoute = await this.depthByRoute();
    let total = Object.values(byRoute).reduce((a, b) => a + b, 0);
    for (const name of [...this.usedDelays]) {
      const n = await this.messageCount(name);
      if (n === null) this.usedDelays.delete(name); // expired (x-expires)
      else total += n;
    }
    return total;
  }

  /** Ready messages per route queue (delay queues not included). */
  async depthByRoute(): Promise<Record<Route, number>> {
    const out = {} as Record<Route, number>;
    for (const route of ROUTES) {
      const n = await this.messageCount(this.names.routeQueue(route));
      if (n === null) throw new Error(`RabbitMQ queue ${this.names.routeQueue(route)} does not exist`);
      out[route] = n;
    }
    return out;
  }

  /** A queue's ready messages, or null when it does not exist. */
  private async messageCount(name: string): Promise<number | null> {
    const model = await this.pubLink.current(this.opts.enqueueTimeoutMs ?? 10_000);
    // checkQueue on a missing queue closes the channel, so one throwaway channel each.
    const ch = await model.createChannel();
    ch.on('error', () => undefined);
    try {
      return (await ch.checkQueue(name)).messageCount;
    } catch {
      return null;
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  /** Deletes every route queue, the dead-letter queue and exchange, and the given delay queues of every route (tests). */
  async deleteAll(delays: number[] = []): Promise<void> {
    const model = await this.pubLink.current(10_000);
    const ch = await model.createChannel();
    ch.on('error', () => undefined);
    try {
      for (const route of ROUTES) {
        const queue = this.names.routeQueue(route);
        for (const d of delays) await ch.deleteQueue(delayQueueName(queue, delayBucket(d)));
        await ch.deleteQueue(queue);
      }
      await ch.deleteQueue(this.names.deadQueue);
      await ch.deleteExchange(this.names.deadLetterExchange);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  /** Messages parked in the dead-letter queue (poison messages), for operators and tests. */
  async deadLetterCount(): Promise<number> {
    const model = await this.pubLink.current(10_000);
    const ch = await model.createChannel();
    ch.on('error', () => undefined);
    try {
      return (await ch.checkQueue(this.names.deadQueue)).messageCount;
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
    await (await this.consumerLink?.catch(() => null))?.close();
    await this.pubLink.close();
  }
}
