import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { newId } from '../../domain/ids.js';
import { JOB_EMAIL_TOPICS, type EmailTopic } from '../../domain/notify.js';
import { brokerCopy, outboxJobId, type EmailNotifyMessage, type OutboxKind, type OutboxMessage, type WebhookEventMessage } from '../../domain/outbox.js';
import type { OutboxEntry, OutboxLease, OutboxRecord, OutboxRepository } from '../../ports/outbox.port.js';
import type { DialectCapabilities } from './dialect.js';
import type { OutboxTable, Tables } from './schema.js';

/**
 * What the SQL database writes for events, chosen when it is built (main: the broker setting
 * of the deployment). `brokerEvents`: every event also gets a `broker.event` row, whatever
 * the account subscribes to; without it, only the webhook rows below.
 */
export interface OutboxWriteOptions {
  brokerEvents: boolean;
  /** `email.notify` rows for a job's end, when the job or its account has a notify address (src/domain/notify.ts). */
  emails?: boolean;
  /**
   * `kind:subject` of the rows this process wrote that no relay has asked about yet
   * (`takeWritten`), shared by the repositories of one database and their transactions.
   */
  written?: Set<string>;
  /** PostgreSQL: a job's write and its rows go as one statement where they can (one-statement.ts). */
  oneStatement?: boolean;
}

export const WEBHOOK_ROWS_ONLY: OutboxWriteOptions = Object.freeze({ brokerEvents: false, emails: false });

/**
 * Writes messages as outbox rows through `db`, which is the caller's transaction when it has
 * one. A webhook event is written only when its subject's account has an enabled endpoint
 * that subscribes to its type, checked in the same statement (INSERT … SELECT … WHERE
 * EXISTS): an account without webhooks pays one indexed lookup, not a row for the fan-out to
 * take, read and mark sent. An endpoint created after the check gets the events that follow.
 * With `brokerEvents` every event also gets its broker row, with the same event id.
 */
export async function insertOutbox(db: Kysely<Tables>, messages: readonly OutboxMessage[], at: number, opts: OutboxWriteOptions = WEBHOOK_ROWS_ONLY): Promise<void> {
  const plain = messages.filter((m) => m.kind !== 'webhook.event');
  const mark = (kind: OutboxKind, subject: string, wrote: boolean) => wrote && markWritten(opts, kind, subject);
  if (plain.length) await db.insertInto('outbox').values(plain.map((m) => outboxRow(m, at))).execute();
  for (const m of plain) if (m.kind === 'email.notify') mark(m.kind, m.subjectId, true);
  for (const m of messages) {
    if (m.kind !== 'webhook.event') continue;
    const event = { ...m, eventId: m.eventId ?? newId('evt', m.at) };
    mark('webhook.event', m.id, await insertIfSubscribed(db, event, at));
    if (opts.brokerEvents) mark('broker.event', m.id, await insertBrokerCopy(db, event, at));
    if (opts.emails && event.subject === 'job' && JOB_EMAIL_TOPICS.includes(event.type as EmailTopic)) mark('email.notify', m.id, await insertJobEmail(db, event, at));
  }
}

const WRITTEN_CAP = 10_000;
const writtenKey = (kind: OutboxKind, subject: string) => `${kind}:${subject}`;

/** Remembers that this process wrote a row of `kind` about `subject` (OutboxRepository.takeWritten). */
export function markWritten(opts: OutboxWriteOptions, kind: OutboxKind, subject: string): void {
  if (!opts.written) return;
  // Subjects no status change asks about (uploads) must not pile up: forgetting costs a poll's wait.
  if (opts.written.size >= WRITTEN_CAP) opts.written.clear();
  opts.written.add(writtenKey(kind, subject));
}

/** Rows an INSERT … SELECT wrote. */
const inserted = (r: { numInsertedOrUpdatedRows?: bigint }) => Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;

/**
 * The e-mail row of a job's end, when the job or its account has a notify address, checked in
 * the same statement (as the webhook row's subscription): jobs nobody asked to be told of
 * add no row. The address itself is read when the e-mail is sent.
 */
async function insertJobEmail(db: Kysely<Tables>, m: WebhookEventMessage, at: number): Promise<boolean> {
  const message: EmailNotifyMessage = { kind: 'email.notify', topic: m.type as EmailTopic, subjectId: m.id, at: m.at };
  const [r] = await db
    .insertInto('outbox')
    .columns(['kind', 'job_id', 'payload', 'available_at', 'attempts', 'created_at'])
    .expression((eb) =>
      eb
        .selectFrom('jobs')
        .leftJoin('accounts', 'accounts.id', 'jobs.account_id')
        .select(outboxColumns(message, at))
        .where('jobs.id', '=', m.id)
        .where((w) => w.or([w('jobs.notify_email', 'is not', null), w('accounts.notify_email', 'is not', null)])),
    )
    .execute();
  return inserted(r);
}

/** An e-mail to an account (its webhooks failing), written only when the account has a notify address; in the caller's transaction. */
export async function insertAccountEmail(db: Kysely<Tables>, accountId: string, message: EmailNotifyMessage, at: number): Promise<void> {
  await db
    .insertInto('outbox')
    .columns(['kind', 'job_id', 'payload', 'available_at', 'attempts', 'created_at'])
    .expression((eb) => eb.selectFrom('accounts').select(outboxColumns(message, at)).where('accounts.id', '=', accountId).where('accounts.notify_email', 'is not', null))
    .execute();
}

/**
 * The columns of one outbox row as a SELECT list, for INSERT … SELECT (`jobId`: a dispatch's
 * `job_id`). Typed casts: PostgreSQL would take untyped parameters in a SELECT list as text.
 */
export function outboxColumns(m: OutboxMessage, at: number, jobId: string | null = null) {
  const bigint = (v: number) => sql<number>`cast(${v} as bigint)`;
  return [
    sql<string>`cast(${m.kind} as text)`.as('kind'),
    sql<string | null>`cast(${jobId} as text)`.as('job_id'),
    sql<string>`cast(${JSON.stringify(m)} as text)`.as('payload'),
    bigint(at).as('available_at'),
    sql<number>`cast(0 as integer)`.as('attempts'),
    bigint(at).as('created_at'),
  ];
}

const outboxRow = (m: OutboxMessage, at: number) => ({
  kind: m.kind, job_id: outboxJobId(m), payload: JSON.stringify(m), available_at: at,
  lease_owner: null, lease_until: null, attempts: 0, sent_at: null, created_at: at, last_error: null,
});

/** The broker row of an event, for its subject's account; none when the subject does not exist (as for the webhook row). */
async function insertBrokerCopy(db: Kysely<Tables>, m: WebhookEventMessage & { eventId: string }, at: number): Promise<boolean> {
  const owner = await db.selectFrom(m.subject === 'job' ? 'jobs' : 'uploads').select('account_id').where('id', '=', m.id).executeTakeFirst();
  if (owner) await db.insertInto('outbox').values(outboxRow(brokerCopy(m, owner.account_id), at)).execute();
  return owner !== undefined;
}

async function insertIfSubscribed(db: Kysely<Tables>, m: WebhookEventMessage, at: number): Promise<boolean> {
  const subject = m.subject === 'job' ? 'jobs' : 'uploads';
  const [r] = await db
    .insertInto('outbox')
    .columns(['kind', 'job_id', 'payload', 'available_at', 'attempts', 'created_at'])
    .expression((eb) =>
      eb
        .selectFrom(subject)
        .select(outboxColumns(m, at))
        .where(`${subject}.id`, '=', m.id)
        .where((w) =>
          w.exists(
            w
              .selectFrom('webhook_endpoints')
              .select('webhook_endpoints.id')
              .whereRef('webhook_endpoints.account_id', '=', `${subject}.account_id`)
              .where('webhook_endpoints.disabled_at', 'is', null)
              .where('webhook_endpoints.events', 'like', `%${JSON.stringify(m.type)}%`),
          ),
        ),
    )
    .execute();
  return inserted(r);
}

const toEntry = (row: Pick<OutboxTable, 'payload' | 'attempts'> & { id: number }): OutboxEntry => ({
  id: Number(row.id),
  message: JSON.parse(row.payload) as OutboxMessage,
  attempts: Number(row.attempts),
});

const num = (v: number | null) => (v === null ? null : Number(v));

/**
 * The outbox on SQLite and PostgreSQL. A claim is one UPDATE … RETURNING that leases the
 * rows it picks; on PostgreSQL the pick is `FOR UPDATE SKIP LOCKED`, so relays in many
 * processes pass over each other's rows instead of waiting, and the outer WHERE repeats the
 * lease condition so a row taken meanwhile is not taken twice. SQLite runs one statement
 * at a time, which makes the same UPDATE atomic there.
 */
export class SqlOutboxRepository implements OutboxRepository {
  constructor(private readonly db: Kysely<Tables>, private readonly caps: DialectCapabilities, private readonly writes: OutboxWriteOptions = WEBHOOK_ROWS_ONLY) {}

  add(messages: OutboxMessage[], at: number): Promise<void> {
    return insertOutbox(this.db, messages, at, this.writes);
  }

  takeWritten(kind: OutboxKind, subjectId: string): boolean {
    return this.writes.written?.delete(writtenKey(kind, subjectId)) ?? false;
  }

  async claimDue(lease: OutboxLease & { kinds: readonly OutboxKind[]; limit: number; freshAfterMs: number }): Promise<OutboxEntry[]> {
    const { now } = lease;
    return this.lease(lease, (q) =>
      q
        .where('kind', 'in', [...lease.kinds])
        .where((eb) => eb.or([
          eb.and([eb('attempts', '=', 0), eb('available_at', '<=', now - lease.freshAfterMs)]),
          eb.and([eb('attempts', '>', 0), eb('available_at', '<=', now)]),
        ]))
        .orderBy('available_at')
        .orderBy('id')
        .limit(lease.limit),
    );
  }

  claimForJob(jobId: string, lease: OutboxLease): Promise<OutboxEntry[]> {
    return this.lease(lease, (q) => q.where('job_id', '=', jobId).orderBy('id'));
  }

  private async lease(
    lease: OutboxLease,
    pick: (q: ReturnType<SqlOutboxRepository['unsentFree']>) => ReturnType<SqlOutboxRepository['unsentFree']>,
  ): Promise<OutboxEntry[]> {
    const { now } = lease;
    const set = (eb: ExpressionBuilder<Tables, 'outbox'>) => ({ lease_owner: lease.owner, lease_until: now + lease.leaseMs, attempts: eb('attempts', '+', 1) });
    const free = (eb: ExpressionBuilder<Tables, 'outbox'>) => eb.and([eb('outbox.sent_at', 'is', null), eb.or([eb('outbox.lease_until', 'is', null), eb('outbox.lease_until', '<', now)])]);
    if (this.caps.skipLocked) {
      // The pick in a MATERIALIZED CTE: as `id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`,
      // PostgreSQL may evaluate the subquery again (a recheck after a concurrent update) and
      // lease more than `n` rows; a CTE is evaluated once.
      const rows = await this.db
        .with((cte) => cte('picked').materialized(), () => pick(this.unsentFree(this.db, now)).forUpdate().skipLocked())
        .updateTable('outbox')
        .set(set)
        .from('picked')
        .whereRef('outbox.id', '=', 'picked.id')
        .where(free)
        .returning(['outbox.id', 'outbox.payload', 'outbox.attempts'])
        .execute();
      return rows.map(toEntry).sort((a, b) => a.id - b.id);
    }
    const rows = await this.db
      .updateTable('outbox')
      .set(set)
      .where('id', 'in', pick(this.unsentFree(this.db, now)))
      .where(free)
      .returning(['id', 'payload', 'attempts'])
      .execute();
    return rows.map(toEntry).sort((a, b) => a.id - b.id);
  }

  private unsentFree(db: Kysely<Tables>, now: number) {
    return db
      .selectFrom('outbox')
      .select('id')
      .where('sent_at', 'is', null)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]));
  }

  async complete(ids: number[], owner: string, now: number, error?: string): Promise<number> {
    if (!ids.length) return 0;
    const res = await this.db
      .updateTable('outbox')
      .set({ sent_at: now, lease_owner: null, lease_until: null, ...(error !== undefined ? { last_error: error.slice(0, 2000) } : {}) })
      .where('id', 'in', ids)
      .where('lease_owner', '=', owner)
      .where('sent_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  async release(ids: number[], owner: string, retry: { availableAt: number; error: string } | null): Promise<void> {
    if (!ids.length) return;
    await this.db
      .updateTable('outbox')
      .set({ lease_owner: null, lease_until: null, ...(retry ? { available_at: retry.availableAt, last_error: retry.error.slice(0, 2000) } : {}) })
      .where('id', 'in', ids)
      .where('lease_owner', '=', owner)
      .where('sent_at', 'is', null)
      .execute();
  }

  async prune(sentBefore: number, limit: number): Promise<number> {
    // DELETE … LIMIT is not portable; the subquery is.
    const res = await this.db
      .deleteFrom('outbox')
      .where('id', 'in', (eb) => eb.selectFrom('outbox').select('id').where('sent_at', 'is not', null).where('sent_at', '<', sentBefore).limit(limit))
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async forJob(jobId: string): Promise<OutboxRecord[]> {
    const rows = await this.db.selectFrom('outbox').selectAll().where('job_id', '=', jobId).orderBy('id').execute();
    return rows.map((row) => ({
      ...toEntry(row as typeof row & { id: number }),
      availableAt: Number(row.available_at),
      leaseOwner: row.lease_owner,
      leaseUntil: num(row.lease_until),
      sentAt: num(row.sent_at),
      lastError: row.last_error,
      createdAt: Number(row.created_at),
    }));
  }

  async backlog(): Promise<number> {
    const row = await this.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('sent_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
