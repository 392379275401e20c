import type { ConfirmChannel } from 'amqplib';
import type { EventPublisher, PublishedEvent } from '../../ports/event-publisher.port.js';
import { redactUrl } from '../redact-url.js';
import { AmqpLink } from './amqp-link.js';

export interface RabbitmqEventPublisherOptions {
  url: string;
  /** The durable topic exchange; default `mediaforge.events`. */
  exchange?: string;
  /** How long a publish waits for a connection and then for the broker's confirm; default 10 s. */
  timeoutMs?: number;
  onError?: (err: Error) => void;
}

/**
 * Every event on a durable RabbitMQ topic exchange, routed by its type (`job.succeeded`,
 * `upload.ready` …), for other services to bind their own queues to. Messages are
 * persistent and published on a confirm channel: `publish` resolves only once the broker
 * confirmed the message, so the outbox row is marked sent only then. Its own connection (a
 * broker blocking publishers under memory pressure must not stall the job queue's).
 * A message that no queue is bound for is dropped by the broker (and still confirmed):
 * consumers bind durable queues to keep what arrives while they are away.
 */
export class RabbitmqEventPublisher implements EventPublisher {
  private channel: Promise<ConfirmChannel> | null = null;

  private constructor(
    private readonly link: AmqpLink,
    private readonly exchange: string,
    private readonly timeoutMs: number,
    private readonly onError: (err: Error) => void,
  ) {}

  static async connect(opts: RabbitmqEventPublisherOptions): Promise<RabbitmqEventPublisher> {
    const onError = opts.onError ?? (() => undefined);
    let link: AmqpLink;
    try {
      link = await AmqpLink.open(opts.url, 'mediaforge:event-publisher', onError);
    } catch (err) {
      throw new Error(`cannot reach RabbitMQ at ${redactUrl(opts.url)} to publish events: ${(err as Error).message}`);
    }
    const p = new RabbitmqEventPublisher(link, opts.exchange ?? 'mediaforge.events', opts.timeoutMs ?? 10_000, onError);
    try {
      // Declared now, so a name taken by an exchange of another type stops the start.
      await p.confirmChannel();
    } catch (err) {
      await link.close();
      throw new Error(`cannot declare the events exchange "${p.exchange}": ${(err as Error).message}`);
    }
    return p;
  }

  get destination(): string {
    return `rabbitmq topic exchange ${this.exchange}`;
  }

  /** The confirm channel, opened (and the exchange declared) on the live connection; again after it closed. */
  private confirmChannel(): Promise<ConfirmChannel> {
    this.channel ??= (async () => {
      const model = await this.link.current(this.timeoutMs);
      const ch = await model.createConfirmChannel();
      ch.on('error', this.onError);
      ch.on('close', () => (this.channel = null));
      await ch.assertExchange(this.exchange, 'topic', { durable: true });
      return ch;
    })().catch((err: unknown) => {
      this.channel = null;
      throw err;
    });
    return this.channel;
  }

  async publish(event: PublishedEvent): Promise<void> {
    const ch = await this.confirmChannel();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`RabbitMQ did not confirm event ${event.id} within ${this.timeoutMs} ms`)), this.timeoutMs);
      const options = {
        persistent: true,
        contentType: 'application/json',
        messageId: event.id,
        type: event.type,
        timestamp: Math.floor(event.at / 1000),
        appId: 'mediaforge',
        headers: { 'account-id': event.accountId },
      };
      const answered = (err: unknown) => {
        clearTimeout(timer);
        if (err) reject(new Error(`RabbitMQ did not take event ${event.id}: ${(err as Error).message ?? String(err)}`));
        else resolve();
      };
      try {
        // A channel closed meanwhile throws here; one that closes before the confirm answers every callback with an error.
        ch.publish(this.exchange, event.type, Buffer.from(event.body), options, answered);
      } catch (err) {
        answered(err ?? new Error('publish failed'));
      }
    });
  }

  async close(): Promise<void> {
    await this.link.close();
  }
}
