import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { FfmpegMediaRunner } from '../adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { buildHttpApp } from '../http/app.js';
import type { RateLimitSettings } from '../http/rate-limit.js';
import { systemClock } from '../adapters/system-clock.js';
import type { Capabilities } from '../ports/media-runner.port.js';
import { QuotasService } from '../services/quotas.service.js';
import { AccountsService } from '../services/accounts.service.js';
import { AuthService } from '../services/auth.service.js';
import { AccessTokens } from '../services/access-tokens.js';
import { LoginService } from '../services/login.service.js';
import { UsersService } from '../services/users.service.js';
import { Argon2Hasher } from '../adapters/argon2/argon2.hasher.js';
import { DirectUploadsService, type DirectUploadsOptions } from '../services/direct-uploads.service.js';
import { FilesService } from '../services/files.service.js';
import { DirectDownloadsService, type DirectDownloadsOptions } from '../services/direct-downloads.service.js';
import { JobsService } from '../services/jobs.service.js';
import { LinkSigner } from '../services/links.js';
import { UploadsService } from '../services/uploads.service.js';
import { UploadCompletion } from '../services/upload-completion.js';
import { s3IngestService } from './ingest.js';
import { PresetsService } from '../services/presets.service.js';
import { RetentionService } from '../services/retention.service.js';
import { DeletionService } from '../services/deletion.service.js';
import type { Config } from './config.js';
import { resolveFfmpegBinaries, type BinarySource } from './ffmpeg-binaries.js';
import { ensureAdminKey, ensureSigningSecret } from './secrets.js';
import { webhooksService } from './webhooks.js';
import { urlPolicy } from './compose.worker.js';
import type { Tracer } from '../ports/tracer.port.js';
import { observedDatabase, readinessOf } from './observability.js';
import { tusHttp } from './tus.js';
import type { Metrics } from '../ports/metrics.port.js';

/**
 * Shared construction for every composition root (embedded, api, worker): given the
 * adapters a root chose, build the services, the HTTP app and/or the worker. Choosing
 * adapters stays in the roots; this module never reads configuration sources.
 */
export type { Backends } from './backends.js';
import type { Backends } from './backends.js';

export { StartupError } from './startup-error.js';
export { createPageImporter, startRetentionSweeper, startWorker, urlPolicy } from './compose.worker.js';
import { StartupError } from './startup-error.js';

export type FfmpegInfo = BinarySource & { caps: Capabilities };

export async function createMediaRunner(config: Config, preferNpm?: boolean): Promise<{ runner: FfmpegMediaRunner; ffmpeg: FfmpegInfo }> {
  const binaries = resolveFfmpegBinaries(
    { FFMPEG_PATH: config.ffmpegPath ?? undefined, FFPROBE_PATH: config.ffprobePath ?? undefined, PATH: process.env.PATH },
    { preferNpm },
  );
  if (!binaries) {
    throw new StartupError('ffmpeg not found: install it (Debian/Ubuntu: apt-get install ffmpeg), set FFMPEG_PATH and FFPROBE_PATH, or reinstall so the optional @ffmpeg-installer packages are present');
  }
  const runner = await FfmpegMediaRunner.create(binaries);
  return { runner, ffmpeg: { ...binaries, caps: runner.caps } };
}

export interface ApiPart {
  app: FastifyInstance;
  adminKey: { key: string; created: boolean; file: string | null; revoked: boolean };
}

/** Several API processes may start together: a lost race to insert the admin key's hash is retried once. */
async function ensureAdminKeyShared(auth: AuthService, config: Config) {
  try {
    return await ensureAdminKey(auth, config.dataDir, config.apiKey);
  } catch {
    return ensureAdminKey(auth, config.dataDir, config.apiKey);
  }
}

export async function buildApi(
  config: Config,
  b: Backends,
  opts: {
    logger: Logger;
    runner: FfmpegMediaRunner | null;
    directUploads?: DirectUploadsOptions;
    directDownloads?: DirectDownloadsOptions;
    /** Rate-limit counters shared with the other API processes; absent: this process counts alone. */
    rateLimitShared?: RateLimitSettings['shared'];
    /** The ports this process's API listens on (pushed at listen), which webhook URLs may not target. */
    apiPorts?: readonly number[];
    /** The process's metrics (createMetrics): GET /metrics and what the API counts; null or absent: off. */
    metrics?: Metrics | null;
    /** True while this process's worker drains at shutdown (embedded): /readyz answers 503. */
    draining?: () => boolean;
    /** The process's tracer (createTracer); absent: none. */
    tracer?: Tracer;
  },
): Promise<ApiPart> {
  const { queue, blobs, events } = b;
  const db = observedDatabase(b.db, opts.metrics ?? null);
  const clock = systemClock;
  const signingSecret = await ensureSigningSecret(config.dataDir, config.signingSecret);
  const tokens = new AccessTokens(signingSecret);
  const auth = new AuthService({ db, clock, tokens });
  const adminKey = await ensureAdminKeyShared(auth, config);
  if (adminKey.revoked) {
    opts.logger.warn(`the configured admin key (${adminKey.file ?? 'MEDIAFORGE_API_KEY'}) was revoked and stays revoked; use another admin key, or set MEDIAFORGE_API_KEY to a new value to register a new bootstrap key`);
  }
  const signer = new LinkSigner(signingSecret, config.linkTtlSeconds);
  const login = new LoginService({ db, clock, hasher: new Argon2Hasher(), tokens, options: { registration: config.registration, failureDelayMs: 250 } });
  const users = new UsersService({ db, clock });
  const quotas = new QuotasService({ db, clock, defaults: config.quotas });
  const retention = new RetentionService({ db, defaults: config.retention });
  const presets = new PresetsService({ db, clock });
  const jobs = new JobsService({ db, queue, events, clock, defaultMaxAttempts: config.worker.maxAttempts, quotas, presets, retention, emailEnabled: config.email.smtpUrl !== null, tracer: opts.tracer });
  const accounts = new AccountsService({ db, clock, defaultQuotas: config.quotas, defaultRetention: config.retention, emailEnabled: config.email.smtpUrl !== null });
  const completion = new UploadCompletion({ db, jobs });
  const uploads = new UploadsService({ db, blobs, clock, maxUploadBytes: config.limits.maxUploadBytes, quotas, retention, completion });
  const directUploads = b.signer && opts.directUploads
    ? new DirectUploadsService({
        db,
        blobs,
        signer: b.signer,
        clock,
        maxUploadBytes: config.limits.maxUploadBytes,
        options: opts.directUploads,
        quotas,
        retention,
        jobs,
        completion,
      })
    : undefined;
  // Downloads redirect to presigned GETs only when storage can sign and the switch says so.
  const downloads = b.signer && opts.directDownloads ? new DirectDownloadsService({ signer: b.signer }, opts.directDownloads) : undefined;

  const s3Ingest = config.ingestS3 ? await s3IngestService(config.ingestS3, b, { db, uploads, jobs, presets, clock }) : undefined;
  const webhooks = webhooksService(config, b, signingSecret, urlPolicy(config, opts.apiPorts ?? [config.port]));

  const tus = b.tus ? tusHttp(config, b.tus, { db, blobs, signingSecret, quotas, retention, jobs, completion, logger: opts.logger }) : null;
  const app = await buildHttpApp({
    tus: tus?.tus,
    jobs,
    accounts,
    login,
    users,
    uploads,
    webhooks,
    presets,
    deletion: new DeletionService({ db, blobs, clock, retryMs: config.retention.sweepMs, logger: opts.logger }),
    directUploads,
    s3Ingest,
    files: new FilesService({ blobs, signer, clock, downloads, db }),
    auth,
    signer,
    clock,
    logger: opts.logger,
    publicUrl: config.publicUrl,
    consoleDir: config.consoleDir ?? undefined,
    maxUploadBytes: config.limits.maxUploadBytes,
    uploadIdleMs: config.limits.uploadIdleMs,
    maxConcurrentUploads: config.limits.maxConcurrentUploads,
    costs: config.costs,
    rateLimit: { perMinute: config.rateLimit.perMinute, shared: opts.rateLimitShared },
    trustProxy: config.trustProxy,
    observability: { metrics: opts.metrics ?? null, token: config.metrics.token, ready: readinessOf(b, opts.draining) },
    tracer: opts.tracer,
    health: async () => {
      const checks: Record<string, string> = {};
      try {
        await db.apiKeys.count();
        checks.database = 'ok';
      } catch (err) {
        checks.database = `error: ${(err as Error).message}`;
      }
      checks.queueDepth = String(await queue.depth().catch(() => -1));
      if (opts.runner) checks.ffmpeg = opts.runner.caps.version;
      return { ok: checks.database === 'ok', checks };
    },
  });
  if (tus) app.addHook('onClose', async () => tus.stop());
  return { app, adminKey };
}

/** listen() names the first address; show the loopback one people can click. Pushes the port it got to `apiPorts`. */
export async function listen(app: FastifyInstance, config: Config, apiPorts?: number[]): Promise<string> {
  const url = await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  if (apiPorts && address && typeof address === 'object') apiPorts.push(address.port);
  return url.replace('0.0.0.0', '127.0.0.1');
}
