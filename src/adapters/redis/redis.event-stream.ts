import { Redis } from 'ioredis';
import type { EventPublisher, PublishedEvent } from '../../ports/event-publisher.port.js';
import { redactUrl } from '../redact-url.js';

export interface RedisEventStreamOptions {
  redisUrl: string;
  /** The stream's key; default `mediaforge:events`. */
  key?: string;
  /** The stream is trimmed to about this many entries (XADD MAXLEN ~); default 100000. */
  maxLen?: number;
  /** How long a publish waits for Redis's answer; default 10 s. */
  timeoutMs?: number;
  onError?: (err: Error) => void;
}

const reconnectDelay = (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 5000);

/**
 * Every event on a capped Redis stream: one XADD per event with the fields `id`, `type`,
 * `accountId` and `event` (the JSON body), trimmed to about `maxLen` entries (`MAXLEN ~`,
 * which trims whole macro nodes: cheap, never below the cap). `publish` resolves once Redis
 * answered the XADD. While Redis is away a publish fails at once (no offline queue) and the
 * outbox offers the event again later; the connection comes back by itself.
 */
export class RedisEventStream implements EventPublisher {
  private constructor(
    private readonly client: Redis,
    private readonly key: string,
    private readonly maxLen: number,
  ) {}

  static async connect(opts: RedisEventStreamOptions): Promise<RedisEventStream> {
    const client = new Redis(opts.redisUrl, {
      lazyConnect: true,
      retryStrategy: reconnectDelay,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      commandTimeout: opts.timeoutMs ?? 10_000,
      connectionName: 'mediaforge:events:stream',
    });
    client.on('error', (err) => opts.onError?.(err));
    try {
      await client.connect();
    } catch (err) {
      client.disconnect();
      throw new Error(`cannot reach Redis at ${redactUrl(opts.redisUrl)} to publish events: ${(err as Error).message}`);
    }
    return new RedisEventStream(client, opts.key ?? 'mediaforge:events', opts.maxLen ?? 100_000);
  }

  get destination(): string {
    return `redis stream ${this.key} (MAXLEN ~ ${this.maxLen})`;
  }

  async publish(event: PublishedEvent): Promise<void> {
    try {
      await this.client.xadd(this.key, 'MAXLEN', '~', this.maxLen, '*', 'id', event.id, 'type', event.type, 'accountId', event.accountId, 'event', event.body);
    } catch (err) {
      throw new Error(`Redis did not take event ${event.id}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
