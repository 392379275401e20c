import { sql, type Kysely, type SelectQueryBuilder, type UpdateQueryBuilder, type UpdateResult } from 'kysely';
import { newId } from '../../domain/ids.js';
import { JOB_EMAIL_TOPICS, type EmailTopic } from '../../domain/notify.js';
import type { OutboxKind, OutboxMessage, WebhookEventMessage } from '../../domain/outbox.js';
import { markWritten, outboxColumns, type OutboxWriteOptions } from './outbox.repository.js';
import type { JobsTable, Tables } from './schema.js';

/**
 * The statement is built on an untyped view of the schema: Kysely's types know the tables,
 * not the CTE names `u` and `i` selected from below (the result is typed again at the end).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Untyped = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type UntypedSelect = SelectQueryBuilder<any, any, any>;

/** A job's UPDATE before its RETURNING: one decision, one claim, one progress write. */
export type JobUpdate = UpdateQueryBuilder<Tables, 'jobs', 'jobs', UpdateResult>;

/**
 * On PostgreSQL, a job's write and its outbox rows as ONE statement: a data-modifying CTE
 * (`WITH u AS (UPDATE jobs … RETURNING …), i AS (INSERT INTO outbox SELECT … FROM u …
 * UNION ALL … RETURNING kind) SELECT … FROM u`). The rows are written only when the UPDATE
 * matched (they select from its RETURNING), each under the same condition as the
 * transaction path (outbox.repository.ts insertOutbox: a webhook row only for an account
 * with a subscribed endpoint, an e-mail row only with an address), and one INSERT keeps
 * their order. What it saves is the BEGIN and COMMIT and a round trip per row: 2–4
 * statements of a claim, a settle or an output-ready write.
 *
 * Only for what it can express: every message about the job written, and no broker copy
 * (its payload carries the account id read from the row); `null` otherwise, and the caller
 * takes the transaction path.
 */
export async function updateWithOutbox(
  db: Kysely<Tables>,
  jobId: string,
  update: JobUpdate,
  messages: readonly OutboxMessage[],
  at: number,
  writes: OutboxWriteOptions,
): Promise<{ row: JobsTable } | false | null> {
  if (!writes.oneStatement || db.isTransaction || writes.brokerEvents) return null;
  if (!messages.every((m) => (m.kind === 'queue.dispatch' && m.jobId === jobId) || (m.kind === 'webhook.event' && m.subject === 'job' && m.id === jobId))) return null;
  const any = db as unknown as Untyped;
  const selects: UntypedSelect[] = [];
  for (const m of messages) {
    if (m.kind === 'queue.dispatch') {
      selects.push(any.selectFrom('u').select(outboxColumns(m, at, jobId)));
      continue;
    }
    const event: WebhookEventMessage = { ...(m as WebhookEventMessage), eventId: (m as WebhookEventMessage).eventId ?? newId('evt', m.at) };
    selects.push(subscribed(any, event, at));
    if (writes.emails && JOB_EMAIL_TOPICS.includes(event.type as EmailTopic)) selects.push(addressed(any, event, at));
  }
  const union = selects.reduce((all, s) => all.unionAll(s));
  const result = await any
    .with('u', () => update.returningAll())
    .with('i', (qc) => qc.insertInto('outbox').columns(['kind', 'job_id', 'payload', 'available_at', 'attempts', 'created_at']).expression(union).returning('kind'))
    .selectFrom('u')
    .selectAll('u')
    .select(sql<string[] | null>`(select array_agg(i.kind) from i)`.as('__wrote'))
    .executeTakeFirst();
  if (!result) return false;
  const { __wrote: wrote, ...row } = result as JobsTable & { __wrote: string[] | null };
  for (const kind of new Set(wrote ?? [])) markWritten(writes, kind as OutboxKind, jobId);
  return { row: row as JobsTable };
}

/** The webhook row, when the job's account has an enabled endpoint subscribing to the type. */
function subscribed(db: Untyped, m: WebhookEventMessage, at: number) {
  return db
    .selectFrom('u')
    .select(outboxColumns(m, at))
    .where((w) =>
      w.exists(
        w
          .selectFrom('webhook_endpoints')
          .select('webhook_endpoints.id')
          .whereRef('webhook_endpoints.account_id', '=', 'u.account_id')
          .where('webhook_endpoints.disabled_at', 'is', null)
          .where('webhook_endpoints.events', 'like', `%${JSON.stringify(m.type)}%`),
      ),
    );
}

/** The e-mail row of a job's end, when the job or its account has a notify address. */
function addressed(db: Untyped, m: WebhookEventMessage, at: number) {
  return db
    .selectFrom('u')
    .leftJoin('accounts', 'accounts.id', 'u.account_id')
    .select(outboxColumns({ kind: 'email.notify', topic: m.type as EmailTopic, subjectId: m.id, at: m.at }, at))
    .where((w) => w.or([w('u.notify_email', 'is not', null), w('accounts.notify_email', 'is not', null)]));
}
