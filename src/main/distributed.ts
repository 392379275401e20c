import { mkdir } from 'node:fs/promises';
import type { Route } from '../domain/routes.js';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { BullmqJobQueue } from '../adapters/bullmq/bullmq.job-queue.js';
import { DbJobQueue } from '../adapters/db-queue/db.job-queue.js';
import { FsBlobStore } from '../adapters/fs/fs.blob-store.js';
import { PgEventBus } from '../adapters/postgres/pg.event-bus.js';
import { PgNotify, pgQueueWaker } from '../adapters/postgres/pg-notify.js';
import { RabbitmqEventBus } from '../adapters/rabbitmq/rabbitmq.event-bus.js';
import { RabbitmqJobQueue } from '../adapters/rabbitmq/rabbitmq.job-queue.js';
import { RedisEventBus } from '../adapters/redis/redis.event-bus.js';
import { openRateLimitRedis } from '../adapters/redis/rate-limit.redis.js';
import { migratePostgres, openPostgresDatabase, type PostgresHandle } from '../adapters/postgres/postgres.database.js';
import { S3BlobStore } from '../adapters/s3/s3.blob-store.js';
import { postgresCapabilities } from '../adapters/sql/dialect.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import { systemClock } from '../adapters/system-clock.js';
import type { EventBus } from '../ports/events.port.js';
import type { JobQueue } from '../ports/queue.port.js';
import type { Worker } from '../worker/worker.js';
import { openTusBackend } from './tus.js';
import { buildApi, createMediaRunner, listen, startRetentionSweeper, startWorker, StartupError, type Backends, type FfmpegInfo } from './compose.js';
import type { Config, DistributedConfig } from './config.js';
import { createLogger } from './logger.js';
import { createTracer } from './tracing.js';
import type { Tracer } from '../ports/tracer.port.js';
import { createMetrics, readinessOf, startMetricsServer } from './observability.js';
import { openEventPublisher } from './broker-events.js';
import { configuredLinkBase } from './webhooks.js';

/**
 * The distributed composition root: `mediaforge api` and `mediaforge worker` as separate
 * processes, any number of each, sharing PostgreSQL, a queue (db rows, BullMQ or RabbitMQ),
 * object storage and a cross-process event channel. Only this module picks those adapters.
 */

export function processId(role: string): string {
  return `${hostname()}:${role}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

function requirePostgres(d: DistributedConfig): Extract<DistributedConfig['database'], { kind: 'postgres' }> {
  if (d.database.kind !== 'postgres') {
    throw new StartupError(
      'mediaforge api and worker run as separate processes and need a shared database: set MEDIAFORGE_DATABASE_URL=postgres://user:password@host:5432/db (for one machine and one process, use `mediaforge start`)',
    );
  }
  return d.database;
}

export function openBlobStore(d: DistributedConfig): { blobs: BlobStore; s3: S3BlobStore | null } {
  if (d.storage.kind === 's3') {
    const s3 = new S3BlobStore({
      bucket: d.storage.bucket,
      region: d.storage.region,
      endpoint: d.storage.endpoint ?? undefined,
      forcePathStyle: d.storage.forcePathStyle,
      partSizeBytes: d.storage.partSizeBytes,
      publicEndpoint: d.storage.publicEndpoint ?? undefined,
    });
    return { blobs: s3, s3 };
  }
  const fs = new FsBlobStore(d.storage.root);
  // Partial files a crashed process left; a day old at least, so no live upload is touched.
  void fs.sweepPartials({ olderThanMs: 24 * 3600_000 }).catch(() => undefined);
  return { blobs: fs, s3: null };
}

/** Opens every backend the configuration names; what was opened is closed again if a later one fails. `publishEvents`: a worker, which publishes the broker's events. */
export async function openBackends(d: DistributedConfig, opts: { owner: string; leaseMs: number; logger: Logger; publishEvents?: boolean; emails?: boolean }): Promise<Backends & { db: PostgresHandle }> {
  const pgConf = requirePostgres(d);
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch((err) => opts.logger.warn({ err }, 'closing a backend failed'));
  };
  try {
    // With events on the broker, every process writes each event's broker row (the API's too).
    const db = await openPostgresDatabase(pgConf.url, { schema: pgConf.schema, poolSize: pgConf.poolSize, brokerEvents: d.eventsBroker !== null, emails: opts.emails });
    closers.push(() => db.close());
    const { blobs, s3 } = openBlobStore(d);
    if (s3) closers.push(async () => s3.destroy());

    let queue: JobQueue;
    let events: EventBus;
    const describe: Record<string, string> = { database: `postgres (schema ${pgConf.schema})`, storage: d.storage.kind === 's3' ? `s3 (bucket ${d.storage.bucket})` : `fs (${d.storage.root})` };
    // Live events follow the backends: the broker that carries the queue also carries the
    // events; with the db queue, PostgreSQL LISTEN/NOTIFY does.
    const onError = (what: string) => (err: Error) => opts.logger.warn({ err }, `${what} connection error`);
    if (d.queue.kind === 'bullmq') {
      const q = await BullmqJobQueue.connect({ redisUrl: d.queue.redisUrl, queueName: d.queueName, prefix: d.queue.prefix, onError: onError('redis') });
      closers.push(() => q.close());
      queue = q;
      const e = await RedisEventBus.connect({ redisUrl: d.queue.redisUrl, channelPrefix: `${d.queue.prefix}:${d.queueName}:events`, onError: onError('redis') });
      closers.push(() => e.close());
      events = e;
      describe.queue = `bullmq (queues ${d.queueName}-<route>)`;
      describe.events = 'redis pub/sub';
    } else if (d.queue.kind === 'rabbitmq') {
      const q = await RabbitmqJobQueue.connect({ url: d.queue.amqpUrl, queueName: d.queueName, onError: onError('rabbitmq') });
      closers.push(() => q.close());
      queue = q;
      const e = await RabbitmqEventBus.connect({ url: d.queue.amqpUrl, exchange: `${d.queueName}.events`, onError: onError('rabbitmq') });
      closers.push(() => e.close());
      events = e;
      describe.queue = `rabbitmq (quorum queues ${d.queueName}.<route>)`;
      describe.events = `rabbitmq fanout exchange ${d.queueName}.events`;
    } else {
      const notify = await PgNotify.connect(pgConf.url);
      closers.push(() => notify.close());
      const q = new DbJobQueue(db.kysely, { queue: d.queueName, owner: opts.owner, clock: systemClock, caps: postgresCapabilities, leaseMs: opts.leaseMs, waker: pgQueueWaker(notify) });
      closers.push(() => q.close());
      queue = q;
      const channel = `mf_events_${d.queueName.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
      const e = await PgEventBus.connect({ url: pgConf.url, channel });
      closers.push(() => e.close());
      events = e;
      describe.queue = `db on postgres (queue ${d.queueName}, woken by LISTEN/NOTIFY)`;
      describe.events = `postgres LISTEN/NOTIFY (channel ${channel})`;
    }

    const eventPublisher = opts.publishEvents ? await openEventPublisher(d, opts.logger) : null;
    if (eventPublisher) closers.push(() => eventPublisher.close());
    if (d.eventsBroker) describe.eventsBroker = eventPublisher?.destination ?? 'written to the outbox for the workers to publish';

    return { db, queue, blobs, events, eventPublisher: eventPublisher ?? undefined, signer: s3 ?? undefined, bucketObjects: s3 ?? undefined, describe, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

export interface ApiProcess {
  app: FastifyInstance;
  url: string;
  adminKey: { key: string; created: boolean; file: string | null };
  describe: Record<string, string>;
  logger: Logger;
  close(): Promise<void>;
}

export async function startApiProcess(config: Config, d: DistributedConfig, opts: { logger?: Logger; listen?: boolean; tracer?: Tracer } = {}): Promise<ApiProcess> {
  const tracer = opts.tracer ?? (await createTracer(config.tracing, 'api'));
  const logger = opts.logger ?? createLogger(config.logLevel, () => tracer.activeIds());
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  if (!config.signingSecret) {
    logger.warn(`MEDIAFORGE_SIGNING_SECRET is not set: links are signed with ${config.dataDir}/signing.key, so every API process must share that folder or links from one will not open on another`);
  }
  const backends = await openBackends(d, { owner: processId('api'), leaseMs: config.worker.leaseMs, logger, emails: config.email.smtpUrl !== null });
  let limiterRedis: Redis | null = null;
  let tus: Awaited<ReturnType<typeof openTusBackend>> | null = null;
  try {
    tus = await openTusBackend(config, d);
    const directDownloads = d.storage.kind === 's3' && d.storage.downloads === 'redirect' ? { ttlSeconds: d.storage.downloadTtlSeconds } : undefined;
    limiterRedis = await openRateLimiter(config, d, logger);
    const rateLimitShared = limiterRedis && d.redis ? { redis: limiterRedis, keyPrefix: `${d.redis.prefix}:${d.queueName}:ratelimit:` } : undefined;
    const metrics = createMetrics(config, backends.db);
    const { app, adminKey } = await buildApi(config, { ...backends, tus: tus.backend }, { logger, runner: null, directUploads: d.directUploads, directDownloads, rateLimitShared, metrics, tracer });
    let url = `http://${config.host}:${config.port}`;
    if (opts.listen !== false) url = await listen(app, config);
    else await app.ready();
    let closing: Promise<void> | null = null;
    return {
      app,
      url,
      adminKey,
      describe: backends.describe,
      logger,
      close: () =>
        (closing ??= (async () => {
          await app.close();
          limiterRedis?.disconnect();
          await tus?.close();
          await backends.close();
          // The last spans (this shutdown's requests too) are sent before the process exits.
          await tracer.shutdown().catch((err) => logger.warn({ err }, 'sending the last traces failed'));
        })()),
    };
  } catch (err) {
    limiterRedis?.disconnect();
    await tus?.close().catch(() => undefined);
    await backends.close();
    await tracer.shutdown().catch(() => undefined);
    throw err;
  }
}

/**
 * The rate limiter's Redis (REDIS_URL), whatever the queue: one budget for every API
 * process. Without it each process counts alone, which a warning says at start.
 */
async function openRateLimiter(config: Config, d: DistributedConfig, logger: Logger): Promise<Redis | null> {
  const perMinute = config.rateLimit.perMinute;
  if (perMinute === 0) return null;
  if (!d.redis) {
    logger.warn(
      `rate limit: REDIS_URL is not set, so each API process counts its own budget of ${perMinute} requests a minute per key: with N API processes a key can make N × ${perMinute}; set REDIS_URL to share one budget (docs/rate-limits.md)`,
    );
    return null;
  }
  return openRateLimitRedis(d.redis.url, {
    onUnreachable: (err) => logger.warn({ err: err.message }, 'rate limit: Redis is not reachable at start; each API process counts in its own memory until it is (docs/rate-limits.md)'),
    onError: (err) => logger.debug({ err: err.message }, 'rate limit: Redis connection error'),
  });
}

export interface WorkerProcess {
  worker: Worker;
  id: string;
  ffmpeg: FfmpegInfo;
  describe: Record<string, string>;
  /** The metrics server's address (MEDIAFORGE_METRICS_PORT), or null. */
  metricsUrl: string | null;
  close(): Promise<void>;
}

export async function startWorkerProcess(
  config: Config,
  d: DistributedConfig,
  opts: { logger?: Logger; tracer?: Tracer; concurrency?: number; /** Overrides MEDIAFORGE_WORKER_TYPES; absent and unset: every route. */ routes?: Route[] } = {},
): Promise<WorkerProcess> {
  const tracer = opts.tracer ?? (await createTracer(config.tracing, 'worker'));
  const logger = opts.logger ?? createLogger(config.logLevel, () => tracer.activeIds());
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const { runner, ffmpeg } = await createMediaRunner(config);
  if (!config.signingSecret) {
    logger.warn(`MEDIAFORGE_SIGNING_SECRET is not set: webhook secrets and the links in webhook payloads use ${config.dataDir}/signing.key, which must be the API processes' own (set the same MEDIAFORGE_SIGNING_SECRET everywhere)`);
  }
  const id = processId('worker');
  const backends = await openBackends(d, { owner: id, leaseMs: config.worker.leaseMs, logger, publishEvents: true, emails: config.email.smtpUrl !== null });
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> = null;
  try {
    const metrics = createMetrics(config, backends.db);
    // Listening first: a port in use stops the start before any job is claimed.
    let started: Worker | null = null;
    metricsServer = await startMetricsServer(config, { metrics, token: config.metrics.token, ready: readinessOf(backends, () => started?.draining ?? false) }, logger);
    const { worker, webhooks, broker, emails } = await startWorker(config, backends, {
      logger, runner, id, concurrency: opts.concurrency, routes: opts.routes ?? d.workerTypes ?? undefined, linkBase: configuredLinkBase(config, logger), metrics, tracer,
    });
    started = worker;
    const sweeper = startRetentionSweeper(config, backends, { logger, id });
    let closing: Promise<void> | null = null;
    return {
      worker,
      id,
      ffmpeg,
      describe: backends.describe,
      metricsUrl: metricsServer?.url ?? null,
      close: () =>
        (closing ??= (async () => {
          await webhooks.stop();
          await broker?.stop();
          await emails?.stop();
          // /readyz answers 503 (draining) while the running jobs finish.
          await worker.stop();
          await sweeper.stop();
          await metricsServer?.close();
          await backends.close();
          await tracer.shutdown().catch((err) => logger.warn({ err }, 'sending the last traces failed'));
        })()),
    };
  } catch (err) {
    await metricsServer?.close();
    await backends.close();
    await tracer.shutdown().catch(() => undefined);
    throw err;
  }
}

/** `mediaforge migrate`: applies pending migrations (under PostgreSQL's advisory lock) and names them. */
export async function migrateDatabase(d: DistributedConfig): Promise<string[]> {
  const pgConf = requirePostgres(d);
  return migratePostgres(pgConf.url, { schema: pgConf.schema });
}
