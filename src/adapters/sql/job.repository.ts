import type { Kysely } from 'kysely';
import type { JobError, JobRecord, JobStatus, OutputState } from '../../domain/job.js';
import type { Fence, JobPage, JobRepository, NewJob } from '../../ports/db.port.js';
import type { Tables } from './schema.js';
import { toJob } from './rows.js';

const pendingOutputs = (outputs: OutputState[]): OutputState[] =>
  outputs.map((o) => ({ spec: o.spec, status: 'pending', files: [] }));

export class SqlJobRepository implements JobRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async create(job: NewJob, idempotency?: { key: string; requestHash: string }) {
    try {
      return await this.insert(job, idempotency);
    } catch (err) {
      // Two API processes raced with the same Idempotency-Key: the unique index let one
      // insert win; the loser returns the winner's job instead of an error.
      if (!idempotency) throw err;
      const winner = await this.db.selectFrom('jobs').selectAll().where('idempotency_key', '=', idempotency.key).executeTakeFirst();
      if (!winner) throw err;
      return { job: toJob(winner), created: false, requestHash: winner.request_hash ?? undefined };
    }
  }

  private async insert(job: NewJob, idempotency?: { key: string; requestHash: string }) {
    return this.db.transaction().execute(async (trx) => {
      if (idempotency) {
        const existing = await trx.selectFrom('jobs').selectAll().where('idempotency_key', '=', idempotency.key).executeTakeFirst();
        if (existing) return { job: toJob(existing), created: false, requestHash: existing.request_hash ?? undefined };
      }
      const row = {
        id: job.id,
        status: 'queued',
        progress: 0,
        stage: null,
        attempts: 0,
        max_attempts: job.maxAttempts,
        upload_id: job.uploadId,
        input_url: job.inputUrl ?? null,
        probe: null,
        outputs: JSON.stringify(job.outputs),
        user_metadata: job.userMetadata ? JSON.stringify(job.userMetadata) : null,
        error: null,
        idempotency_key: idempotency?.key ?? null,
        request_hash: idempotency?.requestHash ?? null,
        created_at: job.createdAt,
        started_at: null,
        finished_at: null,
        run_after: job.createdAt,
        dispatch_due: job.createdAt,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: job.createdAt,
      };
      await trx.insertInto('jobs').values(row).execute();
      return { job: toJob(row), created: true };
    });
  }

  async get(id: string): Promise<JobRecord | null> {
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toJob(row) : null;
  }

  async list(query: { status?: JobStatus; limit: number; cursor?: string }): Promise<JobPage> {
    let q = this.db.selectFrom('jobs').selectAll().orderBy('id', 'desc').limit(query.limit + 1);
    if (query.status) q = q.where('status', '=', query.status);
    if (query.cursor) q = q.where('id', '<', query.cursor);
    const rows = await q.execute();
    const page = rows.slice(0, query.limit).map(toJob);
    return { jobs: page, nextCursor: rows.length > query.limit ? page[page.length - 1].id : null };
  }

  async claim(id: string, owner: string, now: number, leaseMs: number): Promise<JobRecord | null> {
    // One conditional UPDATE is the whole claim: two workers racing for the same job
    // cannot both match, because the first one's write changes the condition.
    const row = await this.db
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
        eb.or([
          eb.and([eb('status', '=', 'queued'), eb('run_after', '<=', now)]),
          eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<', now)]),
        ]),
      )
      .where((eb) => eb('attempts', '<', eb.ref('max_attempts')))
      .returningAll()
      .executeTakeFirst();
    return row ? toJob(row) : null;
  }

  async heartbeat(fence: Fence, now: number, leaseMs: number): Promise<JobStatus | null> {
    const res = await this.db
      .updateTable('jobs')
      .set({ lease_expires_at: now + leaseMs, updated_at: now })
      .where('id', '=', fence.id)
      .where('attempts', '=', fence.attempt)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) return 'running';
    const row = await this.db.selectFrom('jobs').select(['status', 'attempts']).where('id', '=', fence.id).executeTakeFirst();
    if (!row) return null;
    // Canceled while we ran: the worker must stop. Any other state means we lost the job.
    return row.status === 'canceled' && Number(row.attempts) === fence.attempt ? 'canceled' : null;
  }

  async updateProgress(
    fence: Fence,
    patch: { progress?: number; stage?: string; probe?: unknown; outputs?: OutputState[] },
  ): Promise<boolean> {
    const set: Record<string, unknown> = { updated_at: Date.now() };
    if (patch.progress !== undefined) set.progress = patch.progress;
    if (patch.stage !== undefined) set.stage = patch.stage;
    if (patch.probe !== undefined) set.probe = JSON.stringify(patch.probe);
    if (patch.outputs !== undefined) set.outputs = JSON.stringify(patch.outputs);
    const res = await this.db
      .updateTable('jobs')
      .set(set)
      .where('id', '=', fence.id)
      .where('attempts', '=', fence.attempt)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async finish(
    fence: Fence,
    result: { status: 'succeeded' | 'failed'; outputs: OutputState[]; error: JobError | null; now: number },
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('jobs')
      .set({
        status: result.status,
        outputs: JSON.stringify(result.outputs),
        error: result.error ? JSON.stringify(result.error) : null,
        progress: result.status === 'succeeded' ? 100 : undefined,
        stage: result.status === 'succeeded' ? 'done' : 'failed',
        finished_at: result.now,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: result.now,
      })
      .where('id', '=', fence.id)
      .where('attempts', '=', fence.attempt)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async requeue(fence: Fence, runAfter: number, opts: { error: JobError | null; refundAttempt: boolean }) {
    const res = await this.db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'queued',
        stage: 'waiting to retry',
        run_after: runAfter,
        dispatch_due: runAfter,
        error: opts.error ? JSON.stringify(opts.error) : null,
        attempts: opts.refundAttempt ? eb('attempts', '-', 1) : eb.ref('attempts'),
        lease_owner: null,
        lease_expires_at: null,
        updated_at: Date.now(),
      }))
      .where('id', '=', fence.id)
      .where('attempts', '=', fence.attempt)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async failUndispatched(id: string, error: JobError, now: number): Promise<boolean> {
    const res = await this.db
      .updateTable('jobs')
      .set({ status: 'failed', stage: 'failed', error: JSON.stringify(error), finished_at: now, dispatch_due: null, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .where('attempts', '=', 0)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async markDispatched(id: string, due: number): Promise<void> {
    await this.db.updateTable('jobs').set({ dispatch_due: null }).where('id', '=', id).where('dispatch_due', '=', due).execute();
  }

  async undispatched(before: number, limit: number): Promise<Array<{ job: JobRecord; due: number }>> {
    const rows = await this.db
      .selectFrom('jobs')
      .selectAll()
      .where('status', '=', 'queued')
      .where('dispatch_due', 'is not', null)
      .where('dispatch_due', '<', before)
      .orderBy('dispatch_due')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ job: toJob(row), due: Number(row.dispatch_due) }));
  }

  async cancel(id: string, now: number): Promise<JobRecord | null> {
    await this.db
      .updateTable('jobs')
      .set({ status: 'canceled', stage: 'canceled', finished_at: now, lease_owner: null, lease_expires_at: null, dispatch_due: null, updated_at: now })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    return this.get(id);
  }

  async retry(id: string, now: number): Promise<JobRecord | null> {
    const current = await this.get(id);
    if (!current) return null;
    await this.db
      .updateTable('jobs')
      .set({
        status: 'queued',
        progress: 0,
        stage: null,
        attempts: 0,
        error: null,
        outputs: JSON.stringify(pendingOutputs(current.outputs)),
        run_after: now,
        dispatch_due: now,
        started_at: null,
        finished_at: null,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('status', 'in', ['failed', 'canceled'])
      .executeTakeFirst();
    return this.get(id);
  }

  async expiredLeases(now: number, limit: number): Promise<Fence[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .select(['id', 'attempts'])
      .where('status', '=', 'running')
      .where('lease_expires_at', '<', now)
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, attempt: Number(r.attempts) }));
  }

  async recoverExpired(fence: Fence, now: number): Promise<JobStatus | null> {
    const job = await this.get(fence.id);
    if (!job || job.status !== 'running' || job.attempts !== fence.attempt || (job.leaseExpiresAt ?? 0) >= now) return null;
    const outOfAttempts = job.attempts >= job.maxAttempts;
    const res = await this.db
      .updateTable('jobs')
      .set(
        outOfAttempts
          ? {
              status: 'failed',
              stage: 'failed',
              error: JSON.stringify({ code: 'worker_lost', message: `the worker running attempt ${job.attempts} stopped answering and no attempts are left` }),
              finished_at: now,
              dispatch_due: null,
              lease_owner: null,
              lease_expires_at: null,
              updated_at: now,
            }
          : { status: 'queued', stage: 'requeued after worker loss', run_after: now, dispatch_due: now, lease_owner: null, lease_expires_at: null, updated_at: now },
      )
      .where('id', '=', fence.id)
      .where('attempts', '=', fence.attempt)
      .where('status', '=', 'running')
      .where('lease_expires_at', '<', now)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return null;
    return outOfAttempts ? 'failed' : 'queued';
  }
}
