import { nextAttemptAt } from '../domain/webhook-schedule.js';
import type { EmailNotifyMessage } from '../domain/outbox.js';
import { SYSTEM_PRINCIPAL } from '../domain/principal.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import { PermanentMailError, type Mailer, type MailMessage } from '../ports/mailer.port.js';
import type { OutboxEntry } from '../ports/outbox.port.js';
import { jobMessage, webhookMessage, type JobView } from './email-messages.js';
import type { EventPresenter } from './event-payload.js';
import { RelayLoop } from './relay-loop.js';

export interface EmailRelayOptions {
  /** This relay's name on its leases. */
  owner: string;
  /** How often it looks for rows. Default 500 ms; `poke` passes at once. */
  pollMs?: number;
  /** While passes find nothing, the poll slows down to this (relay-loop.ts IdleBackoff); default `pollMs`. */
  idlePollMaxMs?: number;
  /** Messages sent per pass, one at a time. Default 20. */
  batch?: number;
  /** How long one message's row is held: longer than the SMTP timeouts of one send. Default 2 min. */
  leaseMs?: number;
}

type Logger = { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };

/** What one pass did (tests and logs). */
export interface EmailPass {
  sent: number;
  /** Offered again later, on the retry schedule. */
  retrying: number;
  /** Given up on: a permanent refusal, the schedule used up, nobody to tell any more. */
  failed: number;
}

/**
 * Sends the outbox's `email.notify` rows (src/domain/outbox.ts) through the mailer, in the
 * worker processes. The rows were written in the transaction of what they tell (a job's end,
 * a webhook delivery out of attempts, an endpoint disabled), so a crash loses none. Each row is
 * leased as every outbox row is (one conditional UPDATE, the mark fenced by the lease), and a
 * refused send is offered again on the webhooks' retry schedule
 * (MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE, src/domain/webhook-schedule.ts), counted by the row's
 * attempts; an SMTP 5xx, or the schedule used up, ends it with the error kept on the row. At
 * least once: a relay that dies between the server's acceptance and the mark lets the lease
 * run out, and the message is sent again with the same Message-ID.
 */
export class EmailRelay {
  private readonly loop: RelayLoop;
  private readonly random: () => number;

  constructor(
    private readonly deps: {
      db: Pick<Database, 'outbox' | 'jobs' | 'accounts'>;
      mailer: Mailer;
      clock: Clock;
      presenter: Pick<EventPresenter, 'job'>;
      schedule: readonly number[];
      /** The API's base, for the "GET …/v1/jobs/{id}" line. */
      apiBase: () => string;
      linkTtlSeconds: number;
      random?: () => number;
      logger?: Logger;
    },
    private readonly opts: EmailRelayOptions,
  ) {
    this.random = deps.random ?? Math.random;
    this.loop = new RelayLoop(async () => {
      const pass = await this.tick();
      return pass.sent + pass.failed + pass.retrying > 0;
    }, { pollMs: opts.pollMs ?? 500, idleMaxMs: opts.idlePollMaxMs, name: 'e-mail relay', logger: deps.logger });
  }

  start(): void {
    this.loop.start();
  }

  /** A job of this process ended: its e-mail may be waiting. */
  poke(): void {
    this.loop.poke();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.deps.mailer.close();
  }

  /** Up to `batch` due rows, oldest first, one claim and one send at a time (a slow server holds one row's lease, not a batch's). */
  async tick(): Promise<EmailPass> {
    const pass: EmailPass = { sent: 0, retrying: 0, failed: 0 };
    for (let i = 0; i < (this.opts.batch ?? 20); i++) {
      const rows = await this.deps.db.outbox.claimDue({ owner: this.opts.owner, now: this.deps.clock.now(), leaseMs: this.opts.leaseMs ?? 120_000, kinds: ['email.notify'], limit: 1, freshAfterMs: 0 });
      if (!rows.length) break;
      // Every row it returns is leased to this relay (on PostgreSQL the claim's IN (… LIMIT 1)
      // subquery may be run more than once and lease more than one): send them all.
      for (const row of rows) pass[await this.sendRow(row)]++;
    }
    return pass;
  }

  private async sendRow(row: OutboxEntry): Promise<keyof EmailPass> {
    const { db, clock } = this.deps;
    const m = row.message as EmailNotifyMessage;
    const where = { row: row.id, topic: m.topic, subject: m.subjectId, attempt: row.attempts };
    let message: MailMessage | string;
    try {
      message = await this.compose(row.id, m);
    } catch (err) {
      message = `could not be composed: ${(err as Error).message}`;
    }
    if (typeof message === 'string') {
      await db.outbox.complete([row.id], this.opts.owner, clock.now(), message);
      this.deps.logger?.warn(where, `e-mail notification not sent: ${message}`);
      return 'failed';
    }
    try {
      await this.deps.mailer.send(message);
    } catch (err) {
      const error = (err as Error).message;
      const next = err instanceof PermanentMailError ? null : nextAttemptAt(row.attempts, this.deps.schedule, clock.now(), this.random());
      if (next === null) {
        await db.outbox.complete([row.id], this.opts.owner, clock.now(), `failed for good after ${row.attempts} attempt(s): ${error}`);
        this.deps.logger?.warn({ ...where, err: error }, 'e-mail notification failed for good');
        return 'failed';
      }
      await db.outbox.release([row.id], this.opts.owner, { availableAt: next, error });
      return 'retrying';
    }
    // A failed mark only lets the lease run out: the message goes once more, with its Message-ID.
    await db.outbox.complete([row.id], this.opts.owner, clock.now()).catch(() => undefined);
    return 'sent';
  }

  /** The message of a row, or why there is none to send (the job is gone, nobody to tell any more). */
  private async compose(rowId: number, m: EmailNotifyMessage): Promise<MailMessage | string> {
    const messageId = `<notify-${rowId}.${m.subjectId}@mediaforge>`;
    if (m.topic === 'job.succeeded' || m.topic === 'job.failed') {
      const job = await this.deps.db.jobs.get(SYSTEM_PRINCIPAL, m.subjectId);
      if (!job) return `the job ${m.subjectId} no longer exists`;
      const to = job.notifyEmail ?? (await this.deps.db.accounts.get(job.accountId))?.notifyEmail;
      if (!to) return `neither the job ${m.subjectId} nor its account has a notify address any more`;
      const view = this.deps.presenter.job(job) as JobView;
      return { to, messageId, ...jobMessage(view, { linkTtlSeconds: this.deps.linkTtlSeconds, apiBase: this.deps.apiBase() }) };
    }
    if (!m.accountId || !m.webhook) return 'the row names no account';
    const to = (await this.deps.db.accounts.get(m.accountId))?.notifyEmail;
    if (!to) return `the account ${m.accountId} has no notify address any more`;
    return { to, messageId, ...webhookMessage({ ...m, webhook: m.webhook }) };
  }
}
