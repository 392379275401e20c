import type { ExpressionBuilder, Kysely } from 'kysely';
import type { JobWrite } from '../../domain/job-lifecycle.js';
import type { OutputState } from '../../domain/job.js';
import type { Fence } from '../../ports/db.port.js';
import type { Tables } from './schema.js';

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
