import type { Logger } from 'pino';
import { SmtpMailer } from '../adapters/smtp/smtp.mailer.js';
import { systemClock } from '../adapters/system-clock.js';
import type { Database } from '../ports/db.port.js';
import { EmailRelay } from '../services/email-relay.js';
import type { EventPresenter } from '../services/event-payload.js';
import type { Config } from './config.js';

/**
 * The e-mail relay of a worker process (docs/notifications.md#e-mail), when MEDIAFORGE_SMTP_URL
 * is set; null without it (no `email.notify` rows are written then either).
 */
export function startEmailRelay(config: Config, b: { db: Database }, opts: { logger: Logger; id: string; presenter: EventPresenter; linkBase: () => string; idlePollMaxMs?: number }): EmailRelay | null {
  if (!config.email.smtpUrl) return null;
  const mailer = new SmtpMailer(config.email.smtpUrl, config.email.from);
  const relay = new EmailRelay(
    { db: b.db, mailer, clock: systemClock, presenter: opts.presenter, schedule: config.webhooks.retrySchedule, apiBase: opts.linkBase, linkTtlSeconds: config.linkTtlSeconds, logger: opts.logger },
    { owner: opts.id, idlePollMaxMs: opts.idlePollMaxMs },
  );
  relay.start();
  opts.logger.info({ smtp: mailer.destination, from: config.email.from }, 'e-mail notifications on');
  return relay;
}
