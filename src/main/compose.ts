import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Route } from '../domain/routes.js';
import { GuardedHttpFetcher } from '../adapters/http-fetch/guarded-http.fetcher.js';
import { effectivePort, hostKey, type UrlPolicy } from '../domain/url-policy.js';
import { findYtdlp, ytdlpVersion, YtdlpImporter } from '../adapters/ytdlp/ytdlp.importer.js';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { FfmpegMediaRunner } from '../adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { buildHttpApp } from '../http/app.js';
import type { RateLimitSettings } from '../http/rate-limit.js';
import type { BlobStore, DownloadUrlSigner } from '../ports/blob-store.port.js';
import { systemClock } from '../adapters/system-clock.js';
import type { Database } from '../ports/db.port.js';
import type { DirectUploadSigner } from '../ports/direct-upload.port.js';
import type { EventPublisher } from '../ports/event-publisher.port.js';
import type { EventBus } from '../ports/events.port.js';
import type { Capabilities } from '../ports/media-runner.port.js';
import type { JobQueue } from '../ports/queue.port.js';
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
import type { BucketObjectReader } from '../ports/bucket-objects.port.js';
import { s3IngestService } from './ingest.js';
import { PresetsService } from '../services/presets.service.js';
import { RetentionService } from '../services/retention.service.js';
import { DeletionService } from '../services/deletion.service.js';
import { RetentionSweeper } from '../services/retention-sweeper.js';
import { Worker } from '../worker/worker.js';
import type { BrokerEventRelay } from '../services/broker-event-relay.js';
import type { WebhookSender } from '../services/webhook-sender.js';
import type { Config } from './config.js';
import { resolveFfmpegBinaries, type BinarySource } from './ffmpeg-binaries.js';
import { ensureAdminKey, ensureSigningSecret } from './secrets.js';
import { startBrokerEventRelay } from './broker-events.js';
import { eventPresenter, startWebhookSender, webhooksService } from './webhooks.js';
import { startEmailRelay } from './emails.js';
import type { EmailRelay } from '../services/email-relay.js';
import { observedDatabase, readinessOf } from './observability.js';
import { tusHttp, type TusBackend } from './tus.js';
import type { Metrics } from '../ports/metrics.port.js';
import type { Tracer } from '../ports/tracer.port.js';

/**
 * Shared construction for every composition root (embedded, api, worker): given the
 * adapters a root chose, build the services, the HTTP app and/or the worker. Choosing
 * adapters stays in the roots; this module never reads configuration sources.
 */
export interface Backends {
  db: Database;
  queue: JobQueue;
  blobs: BlobStore;
  events: EventBus;
  /** A worker process's publisher of every event on the broker (docs/notifications.md#events-on-the-broker); absent: none. */
  eventPublisher?: EventPublisher;
  /** Present when the blob store can sign URLs (S3): enables presigned direct uploads and downloads. */
  signer?: DirectUploadSigner & DownloadUrlSigner;
  /** Present with S3 storage: reads the objects bucket events name (POST /v1/ingest/s3-events). */
  bucketObjects?: BucketObjectReader;
  /** The tus data store (and its locker across processes): resumable uploads at /v1/uploads/tus; absent: none. */
  tus?: TusBackend;
  /** One line per backend for the health endpoint and `doctor`. */
  describe: Record<string, string>;
  /** Closes the adapters (queue, events, blobs, database), in that order. */
  close(): Promise<void>;
}

export { StartupError } from './startup-error.js';
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

/**
 * yt-dlp for URLs that answer with a web page or a stream: found on PATH unless
 * MEDIAFORGE_YTDLP names it or is `off`. Absent is fine (those URLs then fail with
 * url_needs_ytdlp); a configured path that does not work stops the start.
 */
export async function createPageImporter(config: Config, policy: UrlPolicy, logger?: Logger): Promise<YtdlpImporter | null> {
  const setting = config.urlImport.ytdlp;
  if (setting === 'off') return null;
  const cmd = await findYtdlp(setting);
  const version = cmd ? await ytdlpVersion(cmd).catch(() => null) : null;
  if (!cmd || !version) {
    if (setting) throw new StartupError(`MEDIAFORGE_YTDLP=${setting}: no working yt-dlp there (Debian/Ubuntu: apt-get install yt-dlp), or set MEDIAFORGE_YTDLP=off`);
    logger?.info('yt-dlp not found: URLs of web pages and streams will fail with url_needs_ytdlp (Debian/Ubuntu: apt-get install yt-dlp)');
    return null;
  }
  return new YtdlpImporter(cmd, `yt-dlp ${version} (${cmd.path})`, { ...policy, socketTimeoutMs: 30_000 });
}

/**
 * A worker process's loop, its webhook sender and, when the backends have an event
 * publisher, the relay of events to the broker. `linkBase` is the base of the download links
 * in event payloads.
 */
export async function startWorker(
  config: Config,
  b: Backends,
  opts: { logger: Logger; runner: FfmpegMediaRunner; id: string; concurrency?: number; routes?: Route[]; apiPorts?: readonly number[]; linkBase: () => string; metrics?: Metrics | null; tracer?: Tracer },
): Promise<{ worker: Worker; webhooks: WebhookSender; broker: BrokerEventRelay | null; emails: EmailRelay | null }> {
  const db = observedDatabase(b.db, opts.metrics ?? null);
  const policy = urlPolicy(config, opts.apiPorts ?? [config.port]);
  // A status change this worker publishes has written its events in the same transaction:
  // the relays of the kinds it wrote (only those) pass at once instead of at their next poll.
  let webhooks: WebhookSender | null = null;
  let broker: BrokerEventRelay | null = null;
  let emails: EmailRelay | null = null;
  const events: EventBus = {
    publish: async (event) => {
      await b.events.publish(event);
      if (event.type !== 'status') return;
      if (b.db.outbox.takeWritten('webhook.event', event.jobId)) webhooks?.poke();
      if (b.db.outbox.takeWritten('broker.event', event.jobId)) broker?.poke();
      if (b.db.outbox.takeWritten('email.notify', event.jobId)) emails?.poke();
    },
    subscribe: (jobId, listener) => b.events.subscribe(jobId, listener),
    close: () => b.events.close(),
  };
  const worker = new Worker(
    {
      db, queue: b.queue, blobs: b.blobs, runner: opts.runner, events, clock: systemClock, logger: opts.logger, metrics: opts.metrics ?? undefined, tracer: opts.tracer,
      fetcher: new GuardedHttpFetcher({ ...policy, maxRedirects: config.urlImport.maxRedirects, connectTimeoutMs: 30_000 }),
      pageImporter: await createPageImporter(config, policy, opts.logger),
    },
    {
      id: opts.id,
      concurrency: opts.concurrency ?? config.worker.concurrency,
      routes: opts.routes,
      leaseMs: config.worker.leaseMs,
      heartbeatMs: config.worker.heartbeatMs,
      stallTimeoutMs: config.worker.stallTimeoutMs,
      retryBaseMs: config.worker.retryBaseMs,
      probeTimeoutMs: config.worker.probeTimeoutMs,
      progressIntervalMs: config.worker.progressIntervalMs,
      shutdownGraceMs: config.worker.shutdownGraceMs,
      tmpRoot: join(config.dataDir, 'tmp'),
      quotas: config.quotas,
      urlImport: { maxBytes: config.urlImport.maxBytes, timeoutMs: config.urlImport.timeoutMs },
      limits: { ...config.limits },
      encoding: { ...config.encoding },
    },
  );
  await worker.start();
  const signingSecret = await ensureSigningSecret(config.dataDir, config.signingSecret);
  webhooks = startWebhookSender(config, { db }, { logger: opts.logger, id: opts.id, signingSecret, importPolicy: policy, linkBase: opts.linkBase, tracer: opts.tracer });
  const publisher = b.eventPublisher;
  if (publisher) broker = startBrokerEventRelay({ db: b.db, eventPublisher: publisher }, { logger: opts.logger, id: opts.id, presenter: eventPresenter(config, signingSecret, opts.linkBase) });
  emails = startEmailRelay(config, b, { logger: opts.logger, id: opts.id, presenter: eventPresenter(config, signingSecret, opts.linkBase), linkBase: opts.linkBase });
  return { worker, webhooks, broker, emails };
}

/**
 * The retention sweeper (docs/lifecycle.md), beside every worker: each process tries every
 * MEDIAFORGE_RETENTION_SWEEP_SECONDS and the one holding the lease sweeps.
 */
export function startRetentionSweeper(config: Config, b: Pick<Backends, 'db' | 'blobs'>, opts: { logger: Logger; id: string }): RetentionSweeper {
  const sweeper = new RetentionSweeper({ db: b.db, blobs: b.blobs, clock: systemClock, logger: opts.logger }, { owner: opts.id, periodMs: config.retention.sweepMs });
  sweeper.start();
  return sweeper;
}

/**
 * What URL imports may reach: the operator's allowlist, and never this server's own API —
 * at its listen ports on any address of this machine, or at its public URL. `apiPorts` is
 * read at each check, so a port chosen at listen time (PORT=0) counts once it is pushed.
 */
export function urlPolicy(config: Config, apiPorts: readonly number[]): UrlPolicy {
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
  const origins = config.publicUrl ? [{ host: hostKey(new URL(config.publicUrl)), port: effectivePort(new URL(config.publicUrl)) }] : [];
  return { allowlist: config.urlImport.allowlist, self: { listenPorts: () => apiPorts, addresses, origins } };
}

/** listen() names the first address; show the loopback one people can click. Pushes the port it got to `apiPorts`. */
export async function listen(app: FastifyInstance, config: Config, apiPorts?: number[]): Promise<string> {
  const url = await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  if (apiPorts && address && typeof address === 'object') apiPorts.push(address.port);
  return url.replace('0.0.0.0', '127.0.0.1');
}
