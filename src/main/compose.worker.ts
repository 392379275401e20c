import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Route } from '../domain/routes.js';
import { effectivePort, hostKey, type UrlPolicy } from '../domain/url-policy.js';
import { GuardedHttpFetcher } from '../adapters/http-fetch/guarded-http.fetcher.js';
import { findYtdlp, ytdlpVersion, YtdlpImporter } from '../adapters/ytdlp/ytdlp.importer.js';
import type { FfmpegMediaRunner } from '../adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { systemClock } from '../adapters/system-clock.js';
import type { EventBus } from '../ports/events.port.js';
import type { Metrics } from '../ports/metrics.port.js';
import type { Tracer } from '../ports/tracer.port.js';
import type { BrokerEventRelay } from '../services/broker-event-relay.js';
import type { EmailRelay } from '../services/email-relay.js';
import { RetentionSweeper } from '../services/retention-sweeper.js';
import type { WebhookSender } from '../services/webhook-sender.js';
import { Worker } from '../worker/worker.js';
import type { Backends } from './backends.js';
import type { Config } from './config.js';
import { startBrokerEventRelay } from './broker-events.js';
import { startEmailRelay } from './emails.js';
import { observedDatabase } from './observability.js';
import { ensureSigningSecret } from './secrets.js';
import { StartupError } from './startup-error.js';
import { eventPresenter, startWebhookSender } from './webhooks.js';

/**
 * A worker's webhook and e-mail relays poll every 250/500 ms after a pass that found work and
 * slow down to this while they find none (IdleBackoff). The worker's own status changes poke
 * them at once, so what waits for the poll is what other parts wrote (the API side's cancel,
 * upload.ready, replay: other processes in distributed mode) and retries falling due. At the
 * plain period every idle worker ran two statements per pass, 8 a second (docs/benchmarks.md#queues).
 */
const RELAY_IDLE_MAX_MS = 1000;

/**
 * The worker side of the composition (compose.ts builds the API side): a worker process's
 * loop with its relays, the retention sweeper, yt-dlp, and what URLs may reach.
 */

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
  opts: {
    logger: Logger; runner: FfmpegMediaRunner; id: string; concurrency?: number; routes?: Route[]; apiPorts?: readonly number[]; linkBase: () => string; metrics?: Metrics | null; tracer?: Tracer;
  },
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
  webhooks = startWebhookSender(config, { db }, { logger: opts.logger, id: opts.id, signingSecret, importPolicy: policy, linkBase: opts.linkBase, tracer: opts.tracer, idlePollMaxMs: RELAY_IDLE_MAX_MS });
  const publisher = b.eventPublisher;
  if (publisher) broker = startBrokerEventRelay({ db: b.db, eventPublisher: publisher }, { logger: opts.logger, id: opts.id, presenter: eventPresenter(config, signingSecret, opts.linkBase) });
  emails = startEmailRelay(config, b, { logger: opts.logger, id: opts.id, presenter: eventPresenter(config, signingSecret, opts.linkBase), linkBase: opts.linkBase, idlePollMaxMs: RELAY_IDLE_MAX_MS });
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
