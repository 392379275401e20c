import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { FfmpegMediaRunner } from '../adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { FsBlobStore } from '../adapters/fs/fs.blob-store.js';
import { MemoryEventBus } from '../adapters/memory/memory.event-bus.js';
import { DbJobQueue } from '../adapters/db-queue/db.job-queue.js';
import { sqliteCapabilities } from '../adapters/sql/dialect.js';
import { openSqliteDatabase } from '../adapters/sqlite/sqlite.database.js';
import { buildHttpApp } from '../http/app.js';
import { systemClock } from '../ports/clock.port.js';
import type { Capabilities } from '../ports/media-runner.port.js';
import { AuthService } from '../services/auth.service.js';
import { JobsService } from '../services/jobs.service.js';
import { LinkSigner } from '../services/links.js';
import { UploadsService } from '../services/uploads.service.js';
import { Worker } from '../worker/worker.js';
import type { Config } from './config.js';
import { resolveFfmpegBinaries, type BinarySource } from './ffmpeg-binaries.js';
import { createLogger } from './logger.js';
import { ensureAdminKey, ensureSigningSecret } from './secrets.js';

export interface Platform {
  app: FastifyInstance;
  worker: Worker | null;
  url: string;
  adminKey: { key: string; created: boolean; file: string | null };
  ffmpeg: BinarySource & { caps: Capabilities };
  logger: Logger;
  close(): Promise<void>;
}

export class StartupError extends Error {}

/**
 * The embedded platform: SQLite + local folder + in-database queue + in-process events,
 * API and worker in one process. This is the only place that builds adapters for it.
 */
export async function startEmbedded(config: Config, opts: { logger?: Logger; listen?: boolean; preferNpmFfmpeg?: boolean } = {}): Promise<Platform> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const binaries = resolveFfmpegBinaries(
    { FFMPEG_PATH: config.ffmpegPath ?? undefined, FFPROBE_PATH: config.ffprobePath ?? undefined, PATH: process.env.PATH },
    { preferNpm: opts.preferNpmFfmpeg },
  );
  if (!binaries) {
    throw new StartupError('ffmpeg not found: install it (Debian/Ubuntu: apt-get install ffmpeg), set FFMPEG_PATH and FFPROBE_PATH, or reinstall so the optional @ffmpeg-installer packages are present');
  }
  const runner = await FfmpegMediaRunner.create(binaries);

  const db = await openSqliteDatabase(join(config.dataDir, 'mediaforge.db'));
  const blobs = new FsBlobStore(join(config.dataDir, 'storage'));
  await blobs.sweepPartials();
  const clock = systemClock;
  const workerId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const queue = new DbJobQueue(db.kysely, { queue: 'jobs', owner: workerId, clock, caps: sqliteCapabilities, leaseMs: config.worker.leaseMs });
  const events = new MemoryEventBus();

  const auth = new AuthService({ db, clock });
  const adminKey = await ensureAdminKey(auth, config.dataDir, config.apiKey);
  const signer = new LinkSigner(await ensureSigningSecret(config.dataDir, config.signingSecret), config.linkTtlSeconds);
  const jobs = new JobsService({ db, queue, events, clock, defaultMaxAttempts: config.worker.maxAttempts });
  const uploads = new UploadsService({ db, blobs, clock, maxUploadBytes: config.limits.maxUploadBytes });

  const app = await buildHttpApp({
    jobs,
    uploads,
    auth,
    blobs,
    events,
    signer,
    clock,
    logger,
    publicUrl: config.publicUrl,
    maxUploadBytes: config.limits.maxUploadBytes,
    health: async () => {
      const checks: Record<string, string> = {};
      try {
        await db.apiKeys.count();
        checks.database = 'ok';
      } catch (err) {
        checks.database = `error: ${(err as Error).message}`;
      }
      checks.queueDepth = String(await queue.depth().catch(() => -1));
      checks.ffmpeg = runner.caps.version;
      return { ok: checks.database === 'ok', checks };
    },
  });

  let worker: Worker | null = null;
  if (config.worker.enabled) {
    worker = new Worker(
      { db, queue, blobs, runner, events, clock, logger },
      {
        id: workerId,
        concurrency: config.worker.concurrency,
        leaseMs: config.worker.leaseMs,
        heartbeatMs: config.worker.heartbeatMs,
        stallTimeoutMs: config.worker.stallTimeoutMs,
        retryBaseMs: config.worker.retryBaseMs,
        probeTimeoutMs: config.worker.probeTimeoutMs,
        progressIntervalMs: config.worker.progressIntervalMs,
        shutdownGraceMs: config.worker.shutdownGraceMs,
        tmpRoot: join(config.dataDir, 'tmp'),
        limits: { ...config.limits },
      },
    );
    await worker.start();
  }

  let url = `http://${config.host}:${config.port}`;
  if (opts.listen !== false) {
    url = await app.listen({ port: config.port, host: config.host });
    // listen() names the first address; show the loopback one people can click.
    url = url.replace('0.0.0.0', '127.0.0.1');
  } else await app.ready();

  let closing: Promise<void> | null = null;
  return {
    app,
    worker,
    url,
    adminKey,
    ffmpeg: { ...binaries, caps: runner.caps },
    logger,
    close: () =>
      (closing ??= (async () => {
        await worker?.stop();
        await app.close();
        await queue.close();
        await events.close();
        await db.close();
      })()),
  };
}
