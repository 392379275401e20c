import { redactUrl } from '../redact-url.js';
import { Queue, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { ConsumeOptions, JobQueue, QueueConsumer, QueueMessage } from '../../ports/queue.port.js';
import { consumedRoutes, ROUTES, type Route } from '../../domain/routes.js';

export interface BullmqQueueOptions {
  redisUrl: string;
  /** Base name: each route has its own BullMQ queue `<queueName>-<route>`. */
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

/** What a BullMQ job carries; the route is the queue it sits in. */
type Payload = { jobId: string; /** The enqueue's W3C trace context, when traced. */ traceparent?: string };

/** The BullMQ queue of one route. Routes are a closed list, so this never holds user text. */
export const routeQueueName = (base: string, route: Route) => `${base}-${route}`;

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

/**
 * Message queue on Redis through BullMQ: its delays, stalled-job recovery and retries.
 *
 * One BullMQ queue per route (`<queueName>-<route>`, created on first use), so a worker
 * taking some output types only listens on their queues. BullMQ's concurrency is per
 * Worker, and a consumer runs one Worker per route; the consumer's concurrency is a budget
 * for the whole process: a shared counter admits at most `concurrency` handlers at once,
 * every route Worker is paused (no new fetches) while the budget is spent, and a job that a
 * Worker had already fetched when the budget ran out goes straight back to its queue's wait
 * list (not an attempt, not a failure) for any process with room.
 */
export class BullmqJobQueue implements JobQueue {
  private readonly consumers = new Set<{ workers: Array<Worker<Payload>>; connection: Redis; close: () => Promise<void> }>();
  private readonly queues = new Map<Route, Queue<Payload>>();

  private constructor(
    private readonly opts: BullmqQueueOptions,
    private readonly connection: Redis,
  ) {}

  /** The producer-side queue of a route, created on first use (it shares the producer connection). */
  private queueFor(route: Route): Queue<Payload> {
    let queue = this.queues.get(route);
    if (!queue) {
      queue = new Queue<Payload>(routeQueueName(this.opts.queueName, route), {
        connection: this.connection,
        prefix: this.opts.prefix,
        defaultJobOptions: {
          attempts: RETRY_ATTEMPTS,
          backoff: { type: 'exponential', delay: RETRY_BASE_MS },
          removeOnComplete: KEEP_COMPLETED,
          removeOnFail: KEEP_FAILED,
        },
      });
      queue.on('error', (err) => this.opts.onError?.(err));
      this.queues.set(route, queue);
    }
    return queue;
  }

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
    const q = new BullmqJobQueue(opts, connection);
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        // Every route queue shares this connection: one ready check covers them all.
        q.queueFor(ROUTES[0]).waitUntilReady(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(lastError ?? new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      connection.disconnect();
      await Promise.all([...q.queues.values()].map((queue) => queue.close().catch(() => undefined)));
      throw new Error(`cannot reach Redis at ${redactUrl(opts.redisUrl)} for queue "${opts.queueName}": ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    return q;
  }

  async enqueue(message: QueueMessage, opts?: { delayMs?: number }): Promise<void> {
    const timeoutMs = this.opts.enqueueTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    // No custom BullMQ job id: the database job id is not unique per message (a job is
    // enqueued again on retry), and BullMQ would silently drop a second add with a kept id.
    const payload: Payload = { jobId: message.jobId, ...(message.traceparent ? { traceparent: message.traceparent } : {}) };
    const add = this.queueFor(message.route).add('job', payload, { delay: Math.max(0, opts?.delayMs ?? 0) });
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
    const routes = consumedRoutes(opts.routes);
    const budget = Math.max(1, opts.concurrency);
    const lockDuration = this.opts.lockDurationMs ?? 30_000;
    // Workers block on Redis: maxRetriesPerRequest must be null (BullMQ insists), and they
    // reconnect forever with backoff so a Redis restart only pauses them. The route Workers
    // share this connection for commands; BullMQ gives each its own blocking connection.
    const connection = new Redis(this.opts.redisUrl, {
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      retryStrategy: reconnectDelay,
      connectionName: `mediaforge:worker:${this.opts.queueName}`,
    });
    connection.on('error', (err) => this.opts.onError?.(err));
    let active = 0;
    let closing = false;
    const workers: Array<Worker<Payload>> = [];
    // Pause/resume calls settle in order, so a resume never overtakes the pause before it.
    let gate = Promise.resolve();
    let paused = false;
    const setPaused = (value: boolean) => {
      if (paused === value || closing) return;
      paused = value;
      gate = gate
        .then(() => Promise.all(workers.map((w) => (value ? w.pause(true) : w.resume()))))
        .then(() => undefined, (err) => this.opts.onError?.(err as Error));
    };
    // With one route, that Worker's own concurrency is the budget: no pausing needed. With
    // several, each Worker could take `budget` jobs, so all pause while the budget is spent.
    const shared = routes.length > 1;
    for (const route of routes) {
      const worker: Worker<Payload> = new Worker<Payload>(
        routeQueueName(this.opts.queueName, route),
        async (job: Job<Payload>, token?: string) => {
          if (active >= budget) {
            // Fetched while the budget was spent (the pause had not landed yet): back to the
            // head of the wait list, for this process once it has room or for another one.
            await job.moveToWait(token);
            throw new WaitingError();
          }
          active++;
          if (active >= budget && shared) setPaused(true);
          try {
            await handler({ jobId: job.data.jobId, route, ...(typeof job.data.traceparent === 'string' ? { traceparent: job.data.traceparent } : {}) });
          } finally {
            active--;
            if (active < budget && shared) setPaused(false);
          }
        },
        {
          connection,
          prefix: this.opts.prefix,
          concurrency: budget,
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
      workers.push(worker);
    }
    const entry = {
      workers,
      connection,
      close: async () => {
        closing = true;
        this.consumers.delete(entry);
        await gate;
        await Promise.all(workers.map((w) => w.close()));
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
        await Promise.all(c.workers.map((w) => w.close(true).catch(() => undefined)));
        c.connection.disconnect();
      }),
    );
  }

  async depth(): Promise<number> {
    return Object.values(await this.depthByRoute()).reduce((a, b) => a + b, 0);
  }

  async depthByRoute(): Promise<Record<Route, number>> {
    const counts = await Promise.all(
      ROUTES.map(async (route) => {
        const c = await this.queueFor(route).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
        return [route, Object.values(c).reduce((a, b) => a + b, 0)] as const;
      }),
    );
    return Object.fromEntries(counts) as Record<Route, number>;
  }

  /** Removes every key of every route queue from Redis (tests and `mediaforge` teardown only). */
  async obliterate(): Promise<void> {
    for (const route of ROUTES) await this.queueFor(route).obliterate({ force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
