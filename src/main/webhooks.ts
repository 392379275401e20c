import type { Tracer } from '../ports/tracer.port.js';
import type { Logger } from 'pino';
import { GuardedWebhookTransport } from '../adapters/http-fetch/webhook.transport.js';
import { systemClock } from '../adapters/system-clock.js';
import { WEBHOOK_PURPOSE, type UrlPolicy } from '../domain/url-policy.js';
import { presentJob, presentUpload } from '../http/presenters.js';
import { LinkSigner } from '../services/links.js';
import type { EventPresenter } from '../services/event-payload.js';
import { WebhookSecretBox } from '../services/webhook-secrets.js';
import { WebhookSender } from '../services/webhook-sender.js';
import { WebhooksService } from '../services/webhooks.service.js';
import type { Database } from '../ports/db.port.js';
import type { Config } from './config.js';

/**
 * The webhook parts (docs/notifications.md): the transport under the webhook URL policy, the
 * secret box keyed by the signing secret, the API's service and the worker processes' sender.
 * `importPolicy` is the URL-import policy of this process (its self-target rules); webhooks
 * take its rules with their own allowlist.
 */
export function webhookTransport(config: Config, importPolicy: UrlPolicy): GuardedWebhookTransport {
  return new GuardedWebhookTransport({ ...importPolicy, allowlist: config.webhooks.allowlist, purpose: WEBHOOK_PURPOSE });
}

export function webhooksService(config: Config, b: { db: Database }, signingSecret: string, importPolicy: UrlPolicy): WebhooksService {
  return new WebhooksService({
    db: b.db,
    clock: systemClock,
    transport: webhookTransport(config, importPolicy),
    box: new WebhookSecretBox(signingSecret),
    schedule: config.webhooks.retrySchedule,
  });
}

/**
 * Starts the sender of a worker process. `linkBase` gives the base of the download links in
 * the payloads (the API's public URL); the payload is presented as the API presents it.
 */
export function startWebhookSender(
  config: Config,
  b: { db: Database },
  opts: { logger: Logger; id: string; signingSecret: string; importPolicy: UrlPolicy; linkBase: () => string; tracer?: Tracer; idlePollMaxMs?: number },
): WebhookSender {
  const sender = new WebhookSender(
    {
      db: b.db,
      transport: webhookTransport(config, opts.importPolicy),
      clock: systemClock,
      box: new WebhookSecretBox(opts.signingSecret),
      presenter: eventPresenter(config, opts.signingSecret, opts.linkBase),
      schedule: config.webhooks.retrySchedule,
      logger: opts.logger,
      tracer: opts.tracer,
    },
    { owner: opts.id, disableAfterMs: config.webhooks.disableAfterMs, idlePollMaxMs: opts.idlePollMaxMs },
  );
  sender.start();
  return sender;
}

/** An event's `data` as the API presents the resource, download links signed at each call (webhook deliveries and broker events). */
export function eventPresenter(config: Config, signingSecret: string, linkBase: () => string): EventPresenter {
  const signer = new LinkSigner(signingSecret, config.linkTtlSeconds);
  return {
    job: (job) => presentJob(job, { baseUrl: linkBase(), signer, now: systemClock.now(), costs: config.costs }),
    upload: presentUpload,
  };
}

/** The links' base where no API listens in this process: the public URL, else HOST:PORT (said once at start). */
export function configuredLinkBase(config: Config, logger: Logger): () => string {
  const base = (config.publicUrl ?? `http://${config.host}:${config.port}`).replace(/\/+$/, '');
  if (!config.publicUrl) logger.warn(`MEDIAFORGE_PUBLIC_URL is not set: download links in webhook payloads start with ${base}; set it to the address clients use`);
  return () => base;
}
