import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { GuardedDecision, JobWrite } from '../../domain/job-lifecycle.js';
import { FINAL_STATUSES, type JobRecord, type JobStatus, type JobUsage, type OutputState } from '../../domain/job.js';
import { creatorOf, ownerOf, readableOwner, type Principal } from '../../domain/principal.js';
import { dailyTotals, type UsageDay } from '../../domain/usage.js';
import type { AccountUsage, ActiveCounts, ClaimNext, Fence, JobPage, JobRepository, NewJob } from '../../ports/db.port.js';
import { isRoute, jobRoute } from '../../domain/routes.js';
import type { OutboxMessage } from '../../domain/outbox.js';
import { claimFair } from './fair-claim.js';
import type { Tables } from './schema.js';
import type { JobUpdate } from './one-statement.js';
import { insertOutbox, WEBHOOK_ROWS_ONLY, type OutboxWriteOptions } from './outbox.repository.js';
import { toJob } from './rows.js';
import { applyJobWrite, atomically, claimById, columns, fencedUpdate, outputColumns } from './job-writes.js';
import { accountUsage } from './account-usage.js';

/** Only the rows `principal` may read: the one filter of every read made for a user (get, list, usageByDay). */
function visibleTo<O>(q: SelectQueryBuilder<Tables, 'jobs', O>, principal: Principal): SelectQueryBuilder<Tables, 'jobs', O> {
  const owner = readableOwner(principal);
  return owner === null ? q : q.where('account_id', '=', owner);
}

async function byIdempotencyKey(db: Kysely<Tables>, owner: string, key: string): Promise<{ job: JobRecord; requestHash?: string } | null> {
  const row = await db.selectFrom('jobs').selectAll().where('account_id', '=', owner).where('idempotency_key', '=', key).executeTakeFirst();
  return row ? { job: toJob(row), requestHash: row.request_hash ?? undefined } : null;
}

export class SqlJobRepository implements JobRepository {
  /** `db` may be a transaction (a unit of work): then every write joins it. `writes`: what events write (outbox.repository.ts). */
  constructor(private readonly db: Kysely<Tables>, private readonly writes: OutboxWriteOptions = WEBHOOK_ROWS_ONLY) {}

  /** Applies one decision's UPDATE and, only when it applied, its messages in the same transaction. */
  private apply(jobId: string, write: JobWrite, update: (db: Kysely<Tables>) => JobUpdate): Promise<boolean> {
    return applyJobWrite(this.db, jobId, write.messages, write.at, update, this.writes);
  }

  findByIdempotencyKey(principal: Principal, key: string) {
    return byIdempotencyKey(this.db, ownerOf(principal), key);
  }

  async create(principal: Principal, job: NewJob, idempotency?: { key: string; requestHash: string }) {
    const owner = ownerOf(principal);
    try {
      return await this.insert(principal, job, idempotency);
    } catch (err) {
      // Two API processes raced with the same Idempotency-Key: the unique index let one
      // insert win; the loser returns the winner's job instead of an error. (Inside a unit of
      // work PostgreSQL has aborted the transaction: the caller's retry of the whole unit does it.)
      if (!idempotency || this.db.isTransaction) throw err;
      const winner = await byIdempotencyKey(this.db, owner, idempotency.key);
      if (!winner) throw err;
      return { ...winner, created: false };
    }
  }

  private async insert(principal: Principal, job: NewJob, idempotency?: { key: string; requestHash: string }) {
    const owner = ownerOf(principal);
    return atomically(this.db, async (trx) => {
      if (idempotency) {
        const existing = await byIdempotencyKey(trx, owner, idempotency.key);
        if (existing) return { ...existing, created: false };
      }
      const first = job.initial;
      const row = {
        id: job.id,
        status: first.status,
        progress: first.progress ?? 0,
        stage: first.stage,
        attempts: 0,
        max_attempts: job.maxAttempts,
        upload_id: job.uploadId,
        input_url: job.inputUrl ?? null,
        on_damage: job.onDamage === 'warn' ? 'warn' : null,
        probe: null,
        outputs: JSON.stringify(job.outputs),
        user_metadata: job.userMetadata ? JSON.stringify(job.userMetadata) : null,
        error: null,
        warnings: null,
        idempotency_key: idempotency?.key ?? null,
        request_hash: idempotency?.requestHash ?? null,
        created_at: job.createdAt,
        started_at: null,
        finished_at: null,
        run_after: first.runAfter ?? job.createdAt,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: job.createdAt,
        owner_key_id: creatorOf(principal),
        account_id: owner,
        output_bytes: 0,
        route: jobRoute(job.outputs),
        usage: null,
        outputs_seconds: job.retention?.outputsSeconds ?? null,
        source_seconds: job.retention?.sourceSeconds ?? null,
        outputs_removed_at: null,
        deleted_at: null,
        notify_email: job.notifyEmail ?? null,
      };
      await trx.insertInto('jobs').values(row).execute();
      await insertOutbox(trx, first.messages ?? [], job.createdAt, this.writes);
      return { job: toJob(row), created: true };
    });
  }

  async get(principal: Principal, id: string): Promise<JobRecord | null> {
    const row = await visibleTo(this.db.selectFrom('jobs').selectAll().where('id', '=', id), principal).executeTakeFirst();
    return row ? toJob(row) : null;
  }

  async list(principal: Principal, query: { status?: JobStatus; limit: number; cursor?: string }): Promise<JobPage> {
    // A deleted job is read by its id (GET, an Idempotency-Key replay), never listed.
    let q = visibleTo(this.db.selectFrom('jobs').selectAll().orderBy('id', 'desc').limit(query.limit + 1), principal).where('deleted_at', 'is', null);
    if (query.status) q = q.where('status', '=', query.status);
    if (query.cursor) q = q.where('id', '<', query.cursor);
    const rows = await q.execute();
    const page = rows.slice(0, query.limit).map(toJob);
    return { jobs: page, nextCursor: rows.length > query.limit ? page[page.length - 1].id : null };
  }

  async usageByDay(principal: Principal, range: { from: number; to: number }): Promise<UsageDay[]> {
    const rows = await visibleTo(this.db.selectFrom('jobs').select(['finished_at', 'usage']), principal)
      .where('status', 'in', [...FINAL_STATUSES])
      .where('usage', 'is not', null)
      .where('finished_at', '>=', range.from)
      .where('finished_at', '<', range.to)
      .execute();
    return dailyTotals(rows.map((r) => ({ finishedAt: Number(r.finished_at), usage: JSON.parse(r.usage!) as JobUsage })));
  }

  async claim(id: string, owner: string, now: number, leaseMs: number): Promise<JobRecord | null> {
    return (await claimById(this.db, id, owner, now, leaseMs, 'queued', this.writes)) ?? claimById(this.db, id, owner, now, leaseMs, 'expired', this.writes);
  }

  async claimNext(req: ClaimNext): Promise<{ job: JobRecord; limited: boolean } | 'held' | null> {
    const fair = await claimFair(
      this.db,
      req,
      (db, id) => claimById(db, id, req.owner, req.now, req.leaseMs, 'queued', this.writes),
      (db, id) => claimById(db, id, req.owner, req.now, req.leaseMs, 'expired', this.writes),
    );
    if (fair !== null || !req.expiredHint) return fair;
    // Nothing waits on this route by the column, yet the token names a job: one written without
    // its route (an API process of the previous version during a roll). Take it by id.
    const named = await claimById(this.db, req.expiredHint, req.owner, req.now, req.leaseMs, 'queued', this.writes);
    return named ? { job: named, limited: false } : null;
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
    patch: { at: number; progress?: number; stage?: string; probe?: unknown; outputs?: OutputState[]; messages?: OutboxMessage[] },
  ): Promise<boolean> {
    const set: Record<string, unknown> = { updated_at: patch.at };
    if (patch.progress !== undefined) set.progress = patch.progress;
    if (patch.stage !== undefined) set.stage = patch.stage;
    if (patch.probe !== undefined) set.probe = JSON.stringify(patch.probe);
    if (patch.outputs !== undefined) Object.assign(set, outputColumns(patch.outputs));
    return applyJobWrite(this.db, fence.id, patch.messages, patch.at, (db) =>
      db.updateTable('jobs').set(set).where('id', '=', fence.id).where('attempts', '=', fence.attempt).where('status', '=', 'running'), this.writes);
  }

  async settle(fence: Fence, write: JobWrite): Promise<boolean> {
    return this.apply(fence.id, write, (db) => fencedUpdate(db, fence, write));
  }

  async recordCanceledUsage(fence: Fence, usage: JobUsage): Promise<boolean> {
    const res = await this.db
      .updateTable('jobs')
      .set({ usage: JSON.stringify(usage) })
      .where('id', '=', fence.id)
      .where('attempts', '=', fence.attempt)
      .where('status', '=', 'canceled')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async transition(id: string, decision: Pick<GuardedDecision, 'from' | 'unclaimedOnly' | 'write'>): Promise<boolean> {
    return this.apply(id, decision.write, (db) => {
      const q = db
        .updateTable('jobs')
        .set(columns(decision.write))
        .where('id', '=', id)
        .where('status', 'in', [...decision.from])
        .where('deleted_at', 'is', null);
      return decision.unclaimedOnly ? q.where('attempts', '=', 0) : q;
    });
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

  async recoverExpired(fence: Fence, write: JobWrite): Promise<boolean> {
    return this.apply(fence.id, write, (db) => fencedUpdate(db, fence, write).where('lease_expires_at', '<', write.at));
  }

  accountUsage(accountId: string): Promise<AccountUsage> {
    return accountUsage(this.db, accountId);
  }

  async activeCounts(): Promise<ActiveCounts> {
    // The (status, route, …) index of the fair claim answers this without reading rows.
    const rows = await this.db
      .selectFrom('jobs')
      .select(['status', 'route', (eb) => eb.fn.countAll<number | string | bigint>().as('n')])
      .where('status', 'in', ['queued', 'running'])
      .groupBy(['status', 'route'])
      .execute();
    const counts: ActiveCounts = { queued: {}, running: 0 };
    for (const r of rows) {
      const n = Number(r.n);
      if (r.status === 'running') counts.running += n;
      else if (isRoute(r.route)) counts.queued[r.route] = (counts.queued[r.route] ?? 0) + n;
    }
    return counts;
  }
}
