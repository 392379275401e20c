import { mkdir } from 'node:fs/promises';
import { FileStore } from '@tus/file-store';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { FsBlobStore } from '../adapters/fs/fs.blob-store.js';
import { MemoryEventBus } from '../adapters/memory/memory.event-bus.js';
import { DbJobQueue } from '../adapters/db-queue/db.job-queue.js';
import { sqliteCapabilities } from '../adapters/sql/dialect.js';
import { openSqliteDatabase } from '../adapters/sqlite/sqlite.database.js';
import { SqliteInUseError } from '../adapters/sqlite/sqlite-owner.js';
import { systemClock } from '../adapters/system-clock.js';
import type { Worker } from '../worker/worker.js';
import { buildApi, createMediaRunner, listen, startRetentionSweeper, startWorker, StartupError, type Backends, type FfmpegInfo } from './compose.js';
import type { RetentionSweeper } from '../services/retention-sweeper.js';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import { createTracer } from './tracing.js';
import { createMetrics } from './observability.js';

export { StartupError } from './compose.js';

export interface Platform {
  app: FastifyInstance;
  worker: Worker | null;
  /** The retention sweeper, beside the worker (null when the worker is off). */
  sweeper: RetentionSweeper | null;
  /** The job database and event bus it built (tests read a job's stored timestamps through them). */
  jobs: Pick<Backends, 'db' | 'events'>;
  url: string;
  adminKey: { key: string; created: boolean; file: string | null };
  ffmpeg: FfmpegInfo;
  logger: Logger;
  close(): Promise<void>;
}

/** The db queue's backstop poll in the embedded platform (see startEmbedded). */
const EMBEDDED_QUEUE_POLL_MS = 5000;

/**
 * The embedded platform: SQLite + local folder + in-database queue + in-process events,
 * API and worker in one process. This is the only place that builds adapters for it.
 */
export async function startEmbedded(config: Config, opts: { logger?: Logger; listen?: boolean; preferNpmFfmpeg?: boolean } = {}): Promise<Platform> {
  const tracer = await createTracer(config.tracing, 'embedded');
  const logger = opts.logger ?? createLogger(config.logLevel, () => tracer.activeIds());
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const { runner, ffmpeg } = await createMediaRunner(config, opts.preferNpmFfmpeg);

  const db = await openSqliteDatabase(join(config.dataDir, 'mediaforge.db'), { emails: config.email.smtpUrl !== null }).catch((err: unknown) => {
    throw err instanceof SqliteInUseError ? new StartupError(err.message) : err;
  });
  const blobs = new FsBlobStore(join(config.dataDir, 'storage'));
  await blobs.sweepPartials();
  const workerId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  // One process writes every message, so an enqueue wakes the consumer at once and a delayed
  // one is slept until (its due time): the poll is only a backstop. Idle, it was 4 queries a
  // second of the wasm SQLite, a share of a core (docs/benchmarks.md).
  const queue = new DbJobQueue(db.kysely, { queue: 'jobs', owner: workerId, clock: systemClock, caps: sqliteCapabilities, leaseMs: config.worker.leaseMs, pollMs: EMBEDDED_QUEUE_POLL_MS });
  const events = new MemoryEventBus();
  const backends: Backends = {
    db,
    queue,
    blobs,
    events,
    // Partial tus uploads wait in their own folder; finished, they move into storage/.
    tus: { datastore: new FileStore({ directory: join(config.dataDir, 'tus'), expirationPeriodInMilliseconds: config.limits.tusExpiryMs }) },
    describe: { database: 'sqlite', queue: 'db', storage: 'fs', events: 'memory' },
    close: async () => {
      await queue.close();
      await events.close();
      await db.close();
    },
  };

  const apiPorts: number[] = config.port ? [config.port] : [];
  // One registry for the API and the worker of this process: GET /metrics shows both.
  const metrics = createMetrics(config, db);
  let worker: Worker | null = null;
  const { app, adminKey } = await buildApi(config, backends, { logger, runner, apiPorts, metrics, tracer, draining: () => worker?.draining ?? false });
  // Webhook payloads carry the same links the API's answers do.
  const linkBase = () => app.linkBase ?? (config.publicUrl ?? `http://${config.host}:${apiPorts[apiPorts.length - 1] ?? config.port}`).replace(/\/+$/, '');
  const started = config.worker.enabled ? await startWorker(config, backends, { logger, runner, id: workerId, apiPorts, linkBase, metrics, tracer }) : null;
  worker = started?.worker ?? null;
  const sweeper = config.worker.enabled ? startRetentionSweeper(config, backends, { logger, id: workerId }) : null;

  let url = `http://${config.host}:${config.port}`;
  if (opts.listen !== false) url = await listen(app, config, apiPorts);
  else await app.ready();

  let closing: Promise<void> | null = null;
  return {
    app,
    worker,
    sweeper,
    jobs: { db, events },
    url,
    adminKey,
    ffmpeg,
    logger,
    close: () =>
      (closing ??= (async () => {
        await started?.webhooks.stop();
        await started?.emails?.stop();
        await worker?.stop();
        await sweeper?.stop();
        await app.close();
        await backends.close();
        await tracer.shutdown().catch((err) => logger.warn({ err }, 'sending the last traces failed'));
      })()),
  };
}
