import type { ExpressionBuilder, Kysely } from 'kysely';
import { claimMessages, type Fence, type JobWrite } from '../../domain/job-lifecycle.js';
import type { JobRecord, OutputState } from '../../domain/job.js';
import type { OutboxMessage } from '../../domain/outbox.js';
import { updateWithOutbox, type JobUpdate } from './one-statement.js';
import { insertOutbox, WEBHOOK_ROWS_ONLY, type OutboxWriteOptions } from './outbox.repository.js';
import { toJob } from './rows.js';
import type { Tables } from './schema.js';

/**
 * The writes of the job repository (job.repository.ts): a decision's columns, the fenced
 * UPDATE, the claim. Each write that carries outbox messages adds them in its own transaction
 * (the caller's when it has one), only when the write applied.
 */

/** Runs `fn` in a transaction: the caller's, when `db` is bound to one. */
export function atomically<T>(db: Kysely<Tables>, fn: (db: Kysely<Tables>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

/**
 * Applies one UPDATE (`update` returns the rows it changed) and, only when it changed exactly
 * one row, adds `messages` to the outbox in the same transaction. Without messages it stays
 * one plain UPDATE.
 */
export async function applyWithMessages(
  db: Kysely<Tables>,
  messages: readonly OutboxMessage[] | undefined,
  at: number,
  update: (db: Kysely<Tables>) => Promise<bigint>,
  writes: OutboxWriteOptions = WEBHOOK_ROWS_ONLY,
): Promise<boolean> {
  if (!messages?.length) return Number(await update(db)) === 1;
  return atomically(db, async (trx) => {
    if (Number(await update(trx)) !== 1) return false;
    await insertOutbox(trx, messages, at, writes);
    return true;
  });
}

/**
 * A job's UPDATE and its messages: on PostgreSQL one statement where it can (one-statement.ts),
 * else the UPDATE and the rows in a transaction (applyWithMessages).
 */
export async function applyJobWrite(
  db: Kysely<Tables>,
  jobId: string,
  messages: readonly OutboxMessage[] | undefined,
  at: number,
  update: (db: Kysely<Tables>) => JobUpdate,
  writes: OutboxWriteOptions = WEBHOOK_ROWS_ONLY,
): Promise<boolean> {
  if (messages?.length) {
    const one = await updateWithOutbox(db, jobId, update(db), messages, at, writes);
    if (one !== null) return one !== false;
  }
  return applyWithMessages(db, messages, at, async (trx) => (await update(trx).executeTakeFirst()).numUpdatedRows, writes);
}

/** The outputs, and the bytes their stored files take (the account's storage use sums it; removed outputs take none). */
export function outputColumns(outputs: OutputState[]) {
  const stored = outputs.filter((o) => o.status !== 'expired' && o.status !== 'deleted');
  return { outputs: JSON.stringify(outputs), output_bytes: stored.reduce((n, o) => n + o.files.reduce((m, f) => m + f.size, 0), 0) };
}

/**
 * The columns of a lifecycle decision (src/domain/job-lifecycle.ts). Absent fields stay as
 * they are; every decision leaves `running`, so the lease is released.
 */
export function columns(w: JobWrite) {
  return (eb: ExpressionBuilder<Tables, 'jobs'>) => {
    const set: Record<string, unknown> = { status: w.status, stage: w.stage, lease_owner: null, lease_expires_at: null, updated_at: w.at };
    if (w.progress !== undefined) set.progress = w.progress;
    if (w.error !== undefined) set.error = w.error ? JSON.stringify(w.error) : null;
    if (w.warnings !== undefined) set.warnings = w.warnings.length ? JSON.stringify(w.warnings) : null;
    if (w.outputs !== undefined) Object.assign(set, outputColumns(w.outputs));
    if (w.runAfter !== undefined) set.run_after = w.runAfter;
    if (w.startedAt !== undefined) set.started_at = w.startedAt;
    if (w.finishedAt !== undefined) set.finished_at = w.finishedAt;
    // A fresh start (retry by the user) makes new outputs: they are stored again until their own expiry.
    if (w.finishedAt === null) set.outputs_removed_at = null;
    if (w.usage !== undefined) set.usage = JSON.stringify(w.usage);
    if (w.attempts === 'refund') set.attempts = eb('attempts', '-', 1);
    if (w.attempts === 'reset') set.attempts = 0;
    return set;
  };
}

/** The UPDATE of one decision about the running attempt `fence`: a stale attempt's matches no row. */
export const fencedUpdate = (db: Kysely<Tables>, fence: Fence, write: JobWrite) =>
  db.updateTable('jobs').set(columns(write)).where('id', '=', fence.id).where('attempts', '=', fence.attempt).where('status', '=', 'running');

/**
 * One conditional UPDATE is the whole claim: two workers racing for the same job cannot both
 * match, because the first one's write changes the condition. `queued`: due and waiting (the
 * attempt starts: its `job.started` event goes to the outbox in the claim's transaction);
 * `expired`: running with a lease that ran out (its worker is gone; nothing new starts).
 */
export async function claimById(
  db: Kysely<Tables>,
  id: string,
  owner: string,
  now: number,
  leaseMs: number,
  which: 'queued' | 'expired',
  writes: OutboxWriteOptions = WEBHOOK_ROWS_ONLY,
): Promise<JobRecord | null> {
  const query = (trx: Kysely<Tables>) =>
    trx
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running',
        attempts: eb('attempts', '+', 1),
        lease_owner: owner,
        lease_expires_at: now + leaseMs,
        started_at: eb.fn.coalesce('started_at', eb.val(now)),
        updated_at: now,
      }))
      .where('id', '=', id)
      .where((eb) =>
        which === 'queued' ? eb.and([eb('status', '=', 'queued'), eb('run_after', '<=', now)]) : eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<', now)]),
      )
      .where((eb) => eb('attempts', '<', eb.ref('max_attempts')));
  const update = (trx: Kysely<Tables>) => query(trx).returningAll().executeTakeFirst();
  if (which === 'expired') {
    const row = await update(db);
    return row ? toJob(row) : null;
  }
  const one = await updateWithOutbox(db, id, query(db), claimMessages(id, now), now, writes);
  if (one !== null) return one ? toJob(one.row) : null;
  return atomically(db, async (trx) => {
    const row = await update(trx);
    if (!row) return null;
    await insertOutbox(trx, claimMessages(row.id, now), now, writes);
    return toJob(row);
  });
}
