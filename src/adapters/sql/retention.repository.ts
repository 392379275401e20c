import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { FINAL_STATUSES, type OutputState } from '../../domain/job.js';
import { readableOwner, type Principal } from '../../domain/principal.js';
import { removeOutputs } from '../../domain/retention.js';
import type { PendingDeletion, Removed, RetentionRepository } from '../../ports/lifecycle.port.js';
import type { Tables } from './schema.js';

const ACTIVE = ['queued', 'running'];
const STORED = ['ready', 'pending'];

/** A queued or running job on the upload of the outer query (`uploads`): its source is still needed. */
const activeJobOn = (eb: ExpressionBuilder<Tables, 'uploads'>) =>
  eb.exists(eb.selectFrom('jobs as a').select('a.id').whereRef('a.upload_id', '=', 'uploads.id').where('a.status', 'in', ACTIVE));

/** A finished job on the upload whose own `sourceSeconds` have run out at `now`. */
const finishedJobLimitsSource = (eb: ExpressionBuilder<Tables, 'uploads'>, now: number) =>
  eb.exists(
    eb
      .selectFrom('jobs as f')
      .select('f.id')
      .whereRef('f.upload_id', '=', 'uploads.id')
      .where('f.source_seconds', 'is not', null)
      .where('f.finished_at', 'is not', null)
      .where(sql<number>`f.finished_at + f.source_seconds * 1000`, '<=', now),
  );

/**
 * An upload whose source is due at `now` and may go: still stored, not in use, due by its own
 * expiry or a finished job's limit, and, when still pending, past its presigned URLs' life
 * (a client may still be sending it).
 */
const dueUpload = (eb: ExpressionBuilder<Tables, 'uploads'>, now: number) =>
  eb.and([
    eb('removed_at', 'is', null),
    eb('status', 'in', STORED),
    eb.or([eb('status', '=', 'ready'), eb('expires_at', '<=', now)]),
    eb.or([eb.and([eb('source_expires_at', 'is not', null), eb('source_expires_at', '<=', now)]), finishedJobLimitsSource(eb, now)]),
    eb.not(activeJobOn(eb)),
  ]);

/** A finished job whose outputs' time has run out at `now` and are still stored. */
const dueOutputs = (eb: ExpressionBuilder<Tables, 'jobs'>, now: number) =>
  eb.and([
    eb('status', 'in', [...FINAL_STATUSES]),
    eb('outputs_seconds', 'is not', null),
    eb('outputs_removed_at', 'is', null),
    eb('finished_at', 'is not', null),
    eb(sql<number>`finished_at + outputs_seconds * 1000`, '<=', now),
  ]);

async function queueDeletions(db: Kysely<Tables>, accountId: string, keys: readonly string[], now: number): Promise<PendingDeletion[]> {
  if (keys.length === 0) return [];
  const rows = await db
    .insertInto('storage_deletions')
    .values(keys.map((key) => ({ storage_key: key, account_id: accountId, created_at: now, available_at: now, attempts: 0, last_error: null })))
    .returning(['id', 'storage_key'])
    .execute();
  return rows.map((r) => ({ id: Number(r.id), key: r.storage_key }));
}

const parseOutputs = (text: string): OutputState[] => {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as OutputState[]) : [];
  } catch {
    return [];
  }
};

/**
 * Retention and deletion over the `uploads`, `jobs`, `storage_deletions` and `leases` tables
 * (0016). Each removal is one transaction: the guarded UPDATE of the row (which checks again
 * that it is due, or deletable, so a job submitted or retried in between wins), then the rows
 * of its keys in `storage_deletions`.
 */
export class SqlRetentionRepository implements RetentionRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async takeLease(name: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    const res = await this.db
      .updateTable('leases')
      .set({ owner, lease_until: now + ttlMs })
      .where('name', '=', name)
      .where((eb) => eb.or([eb('owner', '=', owner), eb('lease_until', '<', now)]))
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) return true;
    // No row (a lease name the migration did not make): the first to insert holds it.
    const ins = await this.db
      .insertInto('leases')
      .values({ name, owner, lease_until: now + ttlMs })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return Number(ins.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.db.updateTable('leases').set({ owner: null, lease_until: 0 }).where('name', '=', name).where('owner', '=', owner).execute();
  }

  async dueUploads(now: number, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('uploads').select('id').where((eb) => dueUpload(eb, now)).orderBy('id').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  async dueJobOutputs(now: number, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('jobs').select('id').where((eb) => dueOutputs(eb, now)).orderBy('finished_at').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  expireUpload(id: string, now: number): Promise<Removed> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('uploads')
        .set({ status: 'expired', removed_at: now })
        .where('id', '=', id)
        .where((eb) => dueUpload(eb, now))
        .returning(['storage_key', 'account_id'])
        .executeTakeFirst();
      if (!row) return { status: 'already' };
      return { status: 'removed', deletions: await queueDeletions(trx, row.account_id, [row.storage_key], now) };
    });
  }

  expireJobOutputs(id: string, now: number): Promise<Removed> {
    return this.db.transaction().execute(async (trx) => {
      const job = await trx.selectFrom('jobs').select(['outputs', 'account_id', 'finished_at']).where('id', '=', id).where((eb) => dueOutputs(eb, now)).executeTakeFirst();
      if (!job) return { status: 'already' };
      const { outputs, keys } = removeOutputs(parseOutputs(job.outputs), 'expired');
      // The same finish only: a job retried (and finished again) since has outputs of its own.
      const res = await trx
        .updateTable('jobs')
        .set({ outputs: JSON.stringify(outputs), output_bytes: 0, outputs_removed_at: now })
        .where('id', '=', id)
        .where('finished_at', '=', job.finished_at)
        .where((eb) => dueOutputs(eb, now))
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return { status: 'already' };
      return { status: 'removed', deletions: await queueDeletions(trx, job.account_id, keys, now) };
    });
  }

  deleteJob(principal: Principal, id: string, now: number): Promise<Removed> {
    return this.db.transaction().execute(async (trx): Promise<Removed> => {
      const owner = readableOwner(principal);
      let q = trx.selectFrom('jobs').select(['status', 'outputs', 'account_id', 'deleted_at', 'outputs_removed_at']).where('id', '=', id);
      if (owner !== null) q = q.where('account_id', '=', owner);
      const job = await q.executeTakeFirst();
      if (!job) return { status: 'not_found' };
      if (job.deleted_at !== null) return { status: 'already' };
      if (ACTIVE.includes(job.status)) return { status: 'in_use', jobId: id };
      const { outputs, keys } = removeOutputs(parseOutputs(job.outputs), 'deleted');
      const res = await trx
        .updateTable('jobs')
        .set((eb) => ({ deleted_at: now, outputs: JSON.stringify(outputs), output_bytes: 0, outputs_removed_at: eb.fn.coalesce('outputs_removed_at', eb.val(now)), updated_at: now }))
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .where('status', 'in', [...FINAL_STATUSES])
        .executeTakeFirst();
      // Retried by another request in between: it is queued now.
      if (Number(res.numUpdatedRows) !== 1) return { status: 'in_use', jobId: id };
      // Outputs that had expired already had their keys queued.
      return { status: 'removed', deletions: job.outputs_removed_at === null ? await queueDeletions(trx, job.account_id, keys, now) : [] };
    });
  }

  deleteUpload(principal: Principal, id: string, now: number): Promise<Removed> {
    return this.db.transaction().execute(async (trx): Promise<Removed> => {
      const owner = readableOwner(principal);
      let q = trx.selectFrom('uploads').select(['status', 'storage_key', 'account_id']).where('id', '=', id);
      if (owner !== null) q = q.where('account_id', '=', owner);
      const upload = await q.executeTakeFirst();
      if (!upload) return { status: 'not_found' };
      if (upload.status === 'deleted') return { status: 'already' };
      const user = await trx.selectFrom('jobs').select('id').where('upload_id', '=', id).where('status', 'in', ACTIVE).orderBy('id').executeTakeFirst();
      if (user) return { status: 'in_use', jobId: user.id };
      const res = await trx
        .updateTable('uploads')
        .set((eb) => ({ status: 'deleted', removed_at: eb.fn.coalesce('removed_at', eb.val(now)) }))
        .where('id', '=', id)
        .where('status', '=', upload.status)
        .where((eb) => eb.not(activeJobOn(eb)))
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) {
        const raced = await trx.selectFrom('jobs').select('id').where('upload_id', '=', id).where('status', 'in', ACTIVE).executeTakeFirst();
        return raced ? { status: 'in_use', jobId: raced.id } : { status: 'already' };
      }
      // An expired source was queued for deletion when it expired.
      return { status: 'removed', deletions: upload.status === 'expired' ? [] : await queueDeletions(trx, upload.account_id, [upload.storage_key], now) };
    });
  }

  async pendingDeletions(now: number, limit: number): Promise<PendingDeletion[]> {
    const rows = await this.db.selectFrom('storage_deletions').select(['id', 'storage_key']).where('available_at', '<=', now).orderBy('id').limit(limit).execute();
    return rows.map((r) => ({ id: Number(r.id), key: r.storage_key }));
  }

  async deletionsDone(ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await this.db.deleteFrom('storage_deletions').where('id', 'in', [...ids]).execute();
  }

  async deletionsFailed(ids: readonly number[], error: string, retryAt: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('storage_deletions')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error.slice(0, 1000), available_at: retryAt }))
      .where('id', 'in', [...ids])
      .execute();
  }
}
