import { EventEmitter } from 'node:events';
import type { Channel } from 'amqplib';
import type { EventBus, JobEvent } from '../../ports/events.port.js';
import { AmqpLink } from './amqp-link.js';

export interface RabbitmqEventBusOptions {
  url: string;
  /** Fanout exchange name; default `mediaforge.events`. */
  exchange?: string;
  onError?: (err: Error) => void;
}

/**
 * Live job events across processes over a RabbitMQ fanout exchange: each process has its
 * own exclusive, auto-deleted queue bound to it and filters by job locally. Events are
 * transient (not persisted, no confirms): they are progress notices, and the database
 * holds the state. The link re-declares the queue and consumer after a reconnect.
 */
export class RabbitmqEventBus implements EventBus {
  private readonly local = new EventEmitter();
  private pubChannel: Channel | null = null;

  private constructor(
    private readonly link: AmqpLink,
    private readonly exchange: string,
  ) {
    this.local.setMaxListeners(0);
  }

  static async connect(opts: RabbitmqEventBusOptions): Promise<RabbitmqEventBus> {
    const exchange = opts.exchange ?? 'mediaforge.events';
    const onError = opts.onError ?? (() => undefined);
    const link = await AmqpLink.open(opts.url, 'mediaforge:events', onError);
    const bus = new RabbitmqEventBus(link, exchange);
    try {
      await link.addSetup(async (model) => {
        bus.pubChannel = null;
        const ch = await model.createChannel();
        ch.on('error', onError);
        await ch.assertExchange(exchange, 'fanout', { durable: false });
        const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
        await ch.bindQueue(queue, exchange, '');
        await ch.consume(
          queue,
          (msg) => {
            if (!msg) return;
            try {
              const e = JSON.parse(msg.content.toString('utf8')) as JobEvent;
              if (typeof e?.jobId !== 'string') return;
              bus.local.emit(`job:${e.jobId}`, e);
              bus.local.emit('all', e);
            } catch {
              /* not ours */
            }
          },
          { noAck: true },
        );
        bus.pubChannel = ch;
      });
    } catch (err) {
      await link.close();
      throw err;
    }
    return bus;
  }

  async publish(event: JobEvent): Promise<void> {
    const ch = this.pubChannel;
    if (!ch) throw new Error('RabbitMQ event channel is reconnecting; event not sent');
    ch.publish(this.exchange, '', Buffer.from(JSON.stringify(event)), { contentType: 'application/json' });
  }

  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void {
    const key = jobId === '*' ? 'all' : `job:${jobId}`;
    this.local.on(key, listener);
    return () => void this.local.off(key, listener);
  }

  async close(): Promise<void> {
    this.local.removeAllListeners();
    await this.link.close();
  }
}
