import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { EventBus, JobEvent } from '../../ports/events.port.js';

export interface RedisEventBusOptions {
  redisUrl: string;
  /** Namespaces the channels, e.g. `mediaforge`; events go to `<prefix>:job:<jobId>`. */
  channelPrefix: string;
  /** Redis client name prefix (CLIENT LIST shows `<name>:events:pub|sub`); default `mediaforge`. */
  clientName?: string;
  onError?: (err: Error) => void;
}

const reconnectDelay = (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 5000);

/**
 * Live job events across processes over Redis pub/sub: a worker publishes, every API
 * process with a subscriber for that job (or for '*') gets it. One channel per job keeps
 * an API process from receiving every event of the cluster; '*' uses a pattern subscription
 * only while someone listens to everything. Pub/sub is fire-and-forget: an event published
 * while a subscriber reconnects is missed, which is fine for progress (the database has
 * the state; SSE clients read it on connect).
 */
export class RedisEventBus implements EventBus {
  private readonly local = new EventEmitter();
  private readonly counts = new Map<string, number>();

  private constructor(
    private readonly opts: RedisEventBusOptions,
    private readonly pub: Redis,
    private readonly sub: Redis,
  ) {
    this.local.setMaxListeners(0);
    const prefix = `${opts.channelPrefix}:job:`;
    sub.on('message', (channel: string, text: string) => {
      if (!channel.startsWith(prefix)) return;
      const event = parse(text);
      if (event) this.local.emit(`job:${event.jobId}`, event);
    });
    sub.on('pmessage', (_pattern: string, _channel: string, text: string) => {
      const event = parse(text);
      if (event) this.local.emit('all', event);
    });
  }

  static async connect(opts: RedisEventBusOptions): Promise<RedisEventBus> {
    const common = { retryStrategy: reconnectDelay, lazyConnect: true } as const;
    // Publishing is best effort and must not hang a worker while Redis is away.
    const pub = new Redis(opts.redisUrl, { ...common, maxRetriesPerRequest: 2, connectionName: `${opts.clientName ?? 'mediaforge'}:events:pub` });
    // The subscriber re-subscribes by itself after a reconnect (ioredis autoResubscribe).
    const sub = new Redis(opts.redisUrl, { ...common, maxRetriesPerRequest: null, connectionName: `${opts.clientName ?? 'mediaforge'}:events:sub` });
    for (const c of [pub, sub]) c.on('error', (err) => opts.onError?.(err));
    try {
      await Promise.all([pub.connect(), sub.connect()]);
    } catch (err) {
      pub.disconnect();
      sub.disconnect();
      throw new Error(`cannot reach Redis for live events: ${(err as Error).message}`);
    }
    return new RedisEventBus(opts, pub, sub);
  }

  private channel(jobId: string): string {
    return `${this.opts.channelPrefix}:job:${jobId}`;
  }

  async publish(event: JobEvent): Promise<void> {
    await this.pub.publish(this.channel(event.jobId), JSON.stringify(event));
  }

  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void {
    const key = jobId === '*' ? 'all' : `job:${jobId}`;
    this.local.on(key, listener);
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    if (n === 1) {
      const p = jobId === '*' ? this.sub.psubscribe(`${this.opts.channelPrefix}:job:*`) : this.sub.subscribe(this.channel(jobId));
      p.catch((err: Error) => this.opts.onError?.(err));
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.local.off(key, listener);
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left > 0) {
        this.counts.set(key, left);
        return;
      }
      this.counts.delete(key);
      const p = jobId === '*' ? this.sub.punsubscribe(`${this.opts.channelPrefix}:job:*`) : this.sub.unsubscribe(this.channel(jobId));
      p.catch((err: Error) => this.opts.onError?.(err));
    };
  }

  async close(): Promise<void> {
    this.local.removeAllListeners();
    this.counts.clear();
    await Promise.all([this.pub.quit().catch(() => this.pub.disconnect()), this.sub.quit().catch(() => this.sub.disconnect())]);
  }
}

function parse(text: string): JobEvent | null {
  try {
    const e = JSON.parse(text) as JobEvent;
    return typeof e?.jobId === 'string' ? e : null;
  } catch {
    return null;
  }
}
