import { redactUrl } from '../redact-url.js';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { ConsumeOptions, JobQueue, QueueConsumer, QueueMessage } from '../../ports/queue.port.js';

export interface BullmqQueueOptions {
  redisUrl: string;
  queueName: string;
  /** Redis key prefix (BullMQ's default is `bull`); lets several deployments share one Redis. */
  prefix?: string;
  /**
   * How long a delivered message stays locked to its consumer. BullMQ renews the lock every
   * half of this while the handler runs, so long jobs are fine; it only bounds how long a
   * dead consumer's message waits before the stalled checker gives it to another consumer.
   */
  lockDurationMs?: number;
  /** Period of BullMQ's stalled-job check; default: the lock duration. */
  stalledIntervalMs?: number;
  /** How long `enqueue` waits for Redis while it reconnects before it fails; default 10 s. */
  enqueueTimeoutMs?: number;
  /** How long `connect` waits for Redis at start; default 10 s. */
  connectTimeoutMs?: number;
  /** Connection errors and other background failures (they are retried; this is for logging). */
  onError?: (err: Error) => void;
}

type Payload = QueueMessage;

/**
 * Failed handlers are retried by BullMQ with exponential backoff (1 s, 2 s, 4 s … 10
 * times, about 17 minutes in all). Job state lives in the database, so a handler fails only
 * on infrastructure trouble (database unreachable, worker shutting down); after that the
 * message lands in BullMQ's failed set and the database's lease sweeper is the safety net.
 */
const RETRY_ATTEMPTS = 10;
const RETRY_BASE_MS = 1000;

/** Bounded history (BullMQ's production guide): enough to inspect, never unbounded memory. */
const KEEP_COMPLETED = { count: 1000, age: 24 * 3600 };
const KEEP_FAILED = { count: 5000, age: 7 * 24 * 3600 };

const reconnectDelay = (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 5000);

/** Message queue on Redis through BullMQ: its delays, stalled-job recovery and retries. */
export class BullmqJobQueue implements JobQueue {
  private readonly consumers = new Set<{ worker: Worker<Payload>; connection: Redis; close: () => Promise<void> }>();

  private constructor(
    private readonly opts: BullmqQueueOptions,
    private readonly queue: Queue<Payload>,
    private readonly connection: Redis,
  ) {}

  static async connect(opts: BullmqQueueOptions): Promise<BullmqJobQueue> {
    // Producer connection. The offline queue stays on so a Redis restart of a few seconds
    // does not fail API requests, but `enqueue` bounds the wait (enqueueTimeoutMs) so a
    // request never hangs on a Redis that is gone. maxRetriesPerRequest bounds a command's
    // retries across reconnects, as the production guide advises for producers.
    const connection = new Redis(opts.redisUrl, {
      maxRetriesPerRequest: 20,
      enableOfflineQueue: true,
      retryStrategy: reconnectDelay,
      connectionName: `mediaforge:producer:${opts.queueName}`,
    });
    let lastError: Error | null = null;
    connection.on('error', (err) => {
      lastError = err;
      opts.onError?.(err);
    });
    const queue = new Queue<Payload>(opts.queueName, {
      connection,
      prefix: opts.prefix,
      defaultJobOptions: {
        attempts: RETRY_ATTEMPTS,
        backoff: { type: 'exponential', delay: RETRY_BASE_MS },
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      },
    });
    queue.on('error', (err) => opts.onError?.(err));
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        queue.waitUntilReady(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(lastError ?? new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      connection.disconnect();
      await queue.close().catch(() => undefined);
      throw new Error(`cannot reach Redis at ${redactUrl(opts.redisUrl)} for queue "${opts.queueName}": ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    return new BullmqJobQueue(opts, queue, connection);
  }

  async enqueue(message: QueueMessage, opts?: { delayMs?: number }): Promise<void> {
    const timeoutMs = this.opts.enqueueTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    // No custom BullMQ job id: the database job id is not unique per message (a job is
    // enqueued again on retry), and BullMQ would silently drop a second add with a kept id.
    const add = this.queue.add('job', { jobId: message.jobId }, { delay: Math.max(0, opts?.delayMs ?? 0) });
    try {
      await Promise.race([
        add,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`Redis did not accept the message for job ${message.jobId} within ${timeoutMs} ms; check that Redis at ${redactUrl(this.opts.redisUrl)} is up`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    // If the timeout won, the add may still land later: a duplicate message is harmless,
    // because the worker's fenced claim in the database decides whether there is work.
    add.catch(() => undefined);
  }

  consume(handler: (message: QueueMessage) => Promise<void>, opts: ConsumeOptions): QueueConsumer {
    const lockDuration = this.opts.lockDurationMs ?? 30_000;
    // Workers block on Redis: maxRetriesPerRequest must be null (BullMQ insists), and they
    // reconnect forever with backoff so a Redis restart only pauses them.
    const connection = new Redis(this.opts.redisUrl, {
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      retryStrategy: reconnectDelay,
      connectionName: `mediaforge:worker:${this.opts.queueName}`,
    });
    connection.on('error', (err) => this.opts.onError?.(err));
    const worker = new Worker<Payload>(
      this.opts.queueName,
      async (job: Job<Payload>) => {
        await handler({ jobId: job.data.jobId });
      },
      {
        connection,
        prefix: this.opts.prefix,
        concurrency: opts.concurrency,
        lockDuration,
        stalledInterval: this.opts.stalledIntervalMs ?? lockDuration,
        // A consumer killed mid-job is BullMQ's "stalled" case; allow a few before BullMQ
        // gives up on the message (the database's own attempt limit is the real bound).
        maxStalledCount: 3,
        // Short idle blocking so close() returns promptly.
        drainDelay: 1,
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      },
    );
    worker.on('error', (err) => this.opts.onError?.(err));
    const entry = {
      worker,
      connection,
      close: async () => {
        this.consumers.delete(entry);
        await worker.close();
        await connection.quit().catch(() => connection.disconnect());
      },
    };
    this.consumers.add(entry);
    return { close: entry.close };
  }

  /**
   * Drops every consumer's Redis connections at once, without finishing, acking or
   * renewing anything: what a SIGKILLed worker process leaves behind. Its messages come
   * back through BullMQ's stalled checker once their locks run out. For fault tests.
   */
  async abandonConsumers(): Promise<void> {
    const all = [...this.consumers];
    this.consumers.clear();
    await Promise.all(
      all.map(async (c) => {
        await c.worker.close(true).catch(() => undefined);
        c.connection.disconnect();
      }),
    );
  }

  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  /** Removes every key of this queue from Redis (tests and `mediaforge` teardown only). */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close()));
    await this.queue.close();
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
