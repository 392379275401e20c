import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Route } from '../../domain/routes.js';
import type { QueueMessage } from '../../ports/queue.port.js';
import type { AmqpLink } from './amqp-link.js';
import { retryDelay } from './rabbitmq.topology.js';

export const FAILURES_HEADER = 'x-mediaforge-failures';

/** On the wire: the route is the queue the message sits in. */
/** The message body; `traceparent`: the enqueue's W3C trace context, when traced (handed back as it came). */
export type Body = { jobId: string; traceparent?: string };

/** What a consumer needs from its queue: names, confirmed publishing, the shared consumer connection. */
export interface ConsumerContext {
  routeQueue(route: Route): string;
  deadLetterExchange: string;
  publish(queue: string, body: Body, headers?: Record<string, unknown>, exchange?: string): Promise<void>;
  publishDelayed(queue: string, body: Body, delayMs: number, headers?: Record<string, unknown>): Promise<void>;
  link(): Promise<AmqpLink>;
}

export interface ConsumerSettings {
  routes: Route[];
  /** Handlers running at once in this process, over all its routes. */
  budget: number;
  ackDeadlineMs: number;
  maxFailures: number;
  onError: (err: Error) => void;
}

/**
 * One process's consumer of some route queues (see RabbitmqJobQueue for the guarantees):
 * a concurrency budget shared over the routes, per-consumer prefetch of the free slots,
 * cancel at full budget and re-subscribe when a slot frees, early ack at the ack deadline,
 * failures republished with backoff or dead-lettered, re-subscription after reconnects.
 */
export function startRabbitmqConsumer(ctx: ConsumerContext, settings: ConsumerSettings, handler: (message: QueueMessage) => Promise<void>): { close(): Promise<void> } {
  const { routes, budget, ackDeadlineMs, maxFailures, onError } = settings;
  const running = new Set<Promise<void>>();
  let stopping = false;
  let channel: Channel | null = null;
  /** Consumer tags of the current channel's route subscriptions; empty while paused. */
  let tags: string[] = [];
  let removeSetup: (() => void) | null = null;
  let active = 0;
  // Subscribing and cancelling run one at a time, in order.
  let flow: Promise<void> = Promise.resolve();
  const serial = (fn: () => Promise<void>) => {
    flow = flow.then(fn).catch((err) => onError(err as Error));
    return flow;
  };

  // One route (a `--types` pool of one type): the consumer's own prefetch keeps deliveries
  // within the budget, since every running handler holds an unacked message; so it stays
  // subscribed at full budget instead of cancelling and re-subscribing per message. Only a
  // message acked early (the ack deadline) frees broker credit while its handler still
  // runs: then the prefetch is lowered by re-subscribing.
  const single = routes.length === 1;
  let earlyAcked = 0;
  const startConsuming = (ch: Channel) =>
    serial(async () => {
      if (stopping || channel !== ch || tags.length > 0 || active >= budget) return;
      // Per-consumer prefetch (quorum queues have no channel-wide one): the free slots.
      await ch.prefetch(single ? budget - earlyAcked : budget - active);
      for (const route of routes) {
        const { consumerTag } = await ch.consume(ctx.routeQueue(route), onMessage(ch, route), { noAck: false });
        tags.push(consumerTag);
      }
    });
  const stopConsuming = (ch: Channel) =>
    serial(async () => {
      const current = tags;
      tags = [];
      for (const tag of current) await ch.cancel(tag).catch(() => undefined);
    });

  const settle = (ch: Channel, msg: ConsumeMessage, how: 'ack' | 'dead' | 'requeue') => {
    try {
      if (how === 'ack') ch.ack(msg);
      else ch.nack(msg, false, how === 'requeue');
    } catch {
      // Channel gone: the broker redelivers the message; the database fences the duplicate.
    }
  };

  const onMessage = (ch: Channel, route: Route) => (msg: ConsumeMessage | null) => {
    if (!msg) return; // the broker canceled the consumer (queue deleted); the link's setup resubscribes
    const queue = ctx.routeQueue(route);
    let body: Body;
    try {
      body = JSON.parse(msg.content.toString('utf8')) as Body;
      if (typeof body?.jobId !== 'string') throw new Error('no jobId');
    } catch {
      // Not ours to interpret: dead-letter it instead of redelivering it forever.
      settle(ch, msg, 'dead');
      return;
    }
    if (active >= budget || stopping) {
      // Sent before our cancel landed: hand it back for a process with room (or for us later).
      const back = ctx.publish(queue, body, msg.properties.headers ?? {}).then(
        () => settle(ch, msg, 'ack'),
        (err) => {
          onError(err as Error);
          settle(ch, msg, 'requeue');
        },
      );
      running.add(back);
      void back.finally(() => running.delete(back));
      return;
    }
    active++;
    if (active >= budget && !single) void stopConsuming(ch);
    let settled = false;
    let ackedEarly = false;
    const ack = () => {
      if (settled) return;
      settled = true;
      settle(ch, msg, 'ack');
    };
    const early = setTimeout(() => {
      if (settled) return;
      ack();
      ackedEarly = true;
      earlyAcked++;
      // The broker may now send one more than the free slots: re-subscribe with less credit.
      void stopConsuming(ch);
      void startConsuming(ch);
    }, ackDeadlineMs);
    early.unref();
    const work = (async () => {
      try {
        await handler({ jobId: body.jobId, route, ...(typeof body.traceparent === 'string' ? { traceparent: body.traceparent } : {}) });
        ack();
      } catch (err) {
        onError(err as Error);
        const failures = Number(msg.properties.headers?.[FAILURES_HEADER] ?? 0) + 1;
        try {
          if (failures >= maxFailures) await ctx.publish(queue, body, { [FAILURES_HEADER]: failures }, ctx.deadLetterExchange);
          else await ctx.publishDelayed(queue, body, retryDelay(failures), { [FAILURES_HEADER]: failures });
          ack();
        } catch (publishErr) {
          // Could not hand it on: give it back to the broker unacked-style, so it is not lost.
          onError(publishErr as Error);
          if (!settled) {
            settled = true;
            settle(ch, msg, 'requeue');
          }
        }
      } finally {
        clearTimeout(early);
        if (ackedEarly) earlyAcked--;
        active--;
        if (active < budget) void startConsuming(ch);
      }
    })();
    running.add(work);
    void work.finally(() => running.delete(work));
  };

  const subscribe = async (model: ChannelModel) => {
    if (stopping) return;
    const ch = await model.createChannel();
    ch.on('error', onError);
    channel = ch;
    tags = [];
    await startConsuming(ch);
    if (stopping) {
      // close() ran while this subscription was being set up.
      await ch.close().catch(() => undefined);
    }
  };

  const ready = (async () => {
    removeSetup = await (await ctx.link()).addSetup(subscribe);
  })();
  ready.catch(onError);

  return {
    close: async () => {
      stopping = true;
      // While the broker is away at start, do not wait for it: subscribe() sees `stopping`.
      await Promise.race([ready.catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
      removeSetup?.();
      if (channel) await stopConsuming(channel);
      await Promise.allSettled([...running]);
      await channel?.close().catch(() => undefined);
    },
  };
}
