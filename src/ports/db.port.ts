import type { AccountRecord, Quotas, Scope } from '../domain/account.js';
import type { DamagePolicy } from '../domain/damage.js';
import type { Route } from '../domain/routes.js';
import type { Fence, GuardedDecision, JobWrite } from '../domain/job-lifecycle.js';
import type { JobRecord, JobStatus, JobUsage, OutputState, UploadRecord } from '../domain/job.js';
import type { UsageDay } from '../domain/usage.js';
import type { MediaMetadata } from '../domain/media.js';
import type { OutboxRepository, OutboxWriter } from './outbox.port.js';
import type { OutboxMessage } from '../domain/outbox.js';
import type { WebhookDeliveryStore, WebhookRepository } from './webhooks.port.js';
import type { Principal } from '../domain/principal.js';
import type { ProcessError } from '../domain/process-spec.js';
import type { InviteRepository, LoginFailureRepository, SessionRepository, UserRepository } from './users.port.js';
import type { PresetRepository, RetentionRepository } from './lifecycle.port.js';

/**
 * Job state lives here and nowhere else: the queue only hands out work. Every write a
 * worker makes is fenced by the attempt number it claimed, so a late write from a stale
 * attempt (a worker that lost its lease) changes nothing and returns false. What a
 * transition writes (status, stage text, error, due time, attempts) is decided by
 * src/domain/job-lifecycle.ts; the repository only persists it.
 *
 * The caller travels to the data: every method that reads or writes a user's rows (create,
 * get, list; uploads too) takes the request's principal first, writes it as the row's owner
 * and reads only what that principal may see (`readableOwner`, src/domain/principal.ts), so
 * a service cannot ask for a job without saying for whom. The worker's methods (claim,
 * heartbeat, progress, settle, sweeps) are system calls addressed by id and fence: no
 * principal; `transition` is reached from a user's cancel or retry only after the service's
 * `get` with that user's principal.
 */
export interface NewJob {
  id: string;
  uploadId: string;
  inputUrl?: string | null;
  /** Absent: `fail`. */
  onDamage?: DamagePolicy;
  outputs: OutputState[];
  userMetadata: Record<string, unknown> | null;
  maxAttempts: number;
  createdAt: number;
  /** Resolved by src/domain/retention.ts jobRetention; absent: outputs kept until deleted, no limit on the source. */
  retention?: JobRecord['retention'];
  /** `notify.email`, checked (src/domain/notify.ts); absent: the account's address, if any. */
  notifyEmail?: string | null;
  /** The first state, from decideCreate. */
  initial: JobWrite;
}

export type { Fence };

export interface JobPage {
  jobs: JobRecord[];
  nextCursor: string | null;
}

export interface JobRepository {
  /**
   * Creates the job, owned by `principal`; with an idempotency key, returns the earlier job of
   * the same owner with that key instead (created=false). Other owners' keys do not collide.
   */
  create(
    principal: Principal,
    job: NewJob,
    idempotency?: { key: string; requestHash: string },
  ): Promise<{ job: JobRecord; created: boolean; requestHash?: string }>;
  /** The job `principal`'s owner created earlier with this Idempotency-Key, and the hash of its request; null: none. */
  findByIdempotencyKey(principal: Principal, key: string): Promise<{ job: JobRecord; requestHash?: string } | null>;
  /** Null as well when the job belongs to an owner `principal` may not see. */
  get(principal: Principal, id: string): Promise<JobRecord | null>;
  list(principal: Principal, query: { status?: JobStatus; limit: number; cursor?: string }): Promise<JobPage>;
  /**
   * The usage report: the finished jobs `principal` may see (the same filter as `get` and
   * `list`) with `finishedAt` in [from, to) (epoch ms), their usage summed by UTC day, oldest
   * first; days without such jobs are left out. Jobs without usage (finished before 0011, or
   * canceled before they ran) do not count.
   */
  usageByDay(principal: Principal, range: { from: number; to: number }): Promise<UsageDay[]>;
  /**
   * Takes the job for one attempt: only when it is queued and due, or running with an
   * expired lease. Increments `attempts`; the new value is the fencing token.
   */
  claim(id: string, owner: string, now: number, leaseMs: number): Promise<JobRecord | null>;
  /**
   * The fair claim for one token of `route` (src/domain/fair-share.ts): the oldest due job of
   * the account with the fewest running jobs, among accounts under their running-jobs quota.
   * First, a job named by `expiredHint` that is running with an expired lease is taken over,
   * as `claim` does; when nothing waits on the route, that job is taken if it is due. `held`: jobs wait, but every waiting account is at its quota.
   * `limited`: the job's account has a running-jobs quota (its settle frees a slot for others).
   */
  claimNext(req: ClaimNext): Promise<{ job: JobRecord; limited: boolean } | 'held' | null>;
  /** Extends the lease; returns the job's status after the call, or null when the attempt is stale. */
  heartbeat(fence: Fence, now: number, leaseMs: number): Promise<JobStatus | null>;
  updateProgress(
    fence: Fence,
    patch: {
      /** The clock's time: the row's update time. */ at: number; progress?: number; stage?: string; probe?: MediaMetadata; outputs?: OutputState[];
      /** Written to the outbox in the same transaction, only when the write applied (job.output.ready). */ messages?: OutboxMessage[];
    },
  ): Promise<boolean>;
  /**
   * Writes a decision about the running attempt `fence` (success, failure, requeue with
   * backoff, hand-back at shutdown). False when the attempt is no longer current.
   *
   * Every write (here, in create, transition and recoverExpired) that carries `messages`
   * adds them to the outbox in the same transaction, only when the write applied.
   */
  settle(fence: Fence, write: JobWrite): Promise<boolean>;
  /**
   * The usage of an attempt a cancel stopped (the cancel itself was written by the API):
   * only while the job is canceled and `fence` is still its latest attempt.
   */
  recordCanceledUsage(fence: Fence, usage: JobUsage): Promise<boolean>;
  /**
   * Writes a decision by job id (cancel, retry by the user, a job whose message never reached
   * the queue), only while the job is in one of `decision.from` (and, with `unclaimedOnly`,
   * no attempt has run). False when it is not.
   */
  transition(id: string, decision: Pick<GuardedDecision, 'from' | 'unclaimedOnly' | 'write'>): Promise<boolean>;
  /** Running jobs whose lease ran out: their worker is gone. */
  expiredLeases(now: number, limit: number): Promise<Fence[]>;
  /**
   * Writes decideLeaseExpiry's decision for a running attempt whose lease ran out (queued
   * again, or failed): only while `fence` is current and its lease is still expired at `write.at`.
   */
  recoverExpired(fence: Fence, write: JobWrite): Promise<boolean>;
  /** What one account holds and runs now (its quotas are checked against this). */
  accountUsage(accountId: string): Promise<AccountUsage>;
  /** Jobs queued per route and jobs running, over every account (the metrics' gauges; a system call). */
  activeCounts(): Promise<ActiveCounts>;
}

export interface ActiveCounts {
  queued: Partial<Record<Route, number>>;
  running: number;
}

export interface ClaimNext {
  route: Route;
  owner: string;
  now: number;
  leaseMs: number;
  /** The job the token was sent for: taken over first when its worker is gone. */
  expiredHint?: string;
  /** The configured default quotas (an account's own override them). */
  defaults: Quotas;
}

export interface AccountUsage {
  /** Uploads plus stored output files; what expired or was deleted no longer counts. */
  storageBytes: number;
  uploadBytes: number;
  outputBytes: number;
  runningJobs: number;
  queuedJobs: number;
}

/** Uploads belong to the principal that created them, as jobs do. */
export interface UploadRepository {
  /** `messages` (upload.ready) go to the outbox in the same transaction, as a job write's do. */
  create(principal: Principal, upload: UploadRecord, messages?: OutboxMessage[]): Promise<void>;
  /** Null as well when the upload belongs to an owner `principal` may not see. */
  get(principal: Principal, id: string): Promise<UploadRecord | null>;
  /** A pending (presigned) upload becomes usable; false when it was not pending (or not visible to `principal`). */
  markReady(
    principal: Principal,
    id: string,
    done: { sha256: string; /** The row's outbox time. */ at?: number; /** Counted from the completion (src/domain/retention.ts sourceExpiry). */ sourceExpiresAt?: number | null },
    messages?: OutboxMessage[],
  ): Promise<boolean>;
  /** What the upload's `process` came to at its completion: the job it made, or why none was made. Inside the unit of work that made it ready. */
  setProcessOutcome(principal: Principal, id: string, outcome: { jobId: string } | { processError: ProcessError }): Promise<void>;
  /**
   * A job's input, for the worker: the upload and its worker's own note, what probing it found
   * (JSON, as src/pipelines/probe-reuse.ts stores it, or null when none or unreadable), in one
   * read. System call, by id.
   */
  getInput(id: string): Promise<{ upload: UploadRecord; storedProbe: unknown } | null>;
  saveProbe(id: string, probe: unknown): Promise<void>;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** SHA-256 of the secret (src/services/auth.service.ts); the secret is never stored. */
  hash: string;
  createdAt: number;
  accountId: string;
  scopes: Scope[];
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/**
 * Keys are found by hash for authentication and listed, touched and revoked within their
 * account: `accountId` null is the admin's view of every account.
 */
export interface ApiKeyRepository {
  create(key: Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt'>): Promise<void>;
  /** Only a key that is not revoked, unless asked. */
  findByHash(hash: string, opts?: { includeRevoked?: boolean }): Promise<ApiKeyRecord | null>;
  get(accountId: string | null, id: string): Promise<ApiKeyRecord | null>;
  listByAccount(accountId: string): Promise<ApiKeyRecord[]>;
  /** Sets the last-used time when it is older than `olderThan` (a write per key per minute, not per request). */
  touch(id: string, at: number, olderThan: number): Promise<void>;
  /** False when there is no such unrevoked key in that account. */
  revoke(accountId: string | null, id: string, at: number): Promise<boolean>;
  count(): Promise<number>;
}

/** Accounts are an operator's concern (admin scope); any key reads its own. */
export interface AccountRepository {
  create(account: AccountRecord): Promise<void>;
  get(id: string): Promise<AccountRecord | null>;
  list(query: { limit: number; cursor?: string }): Promise<{ accounts: AccountRecord[]; nextCursor: string | null }>;
  update(id: string, patch: { name?: string; quotas?: Partial<Quotas>; retention?: AccountRecord['retention']; notifyEmail?: string | null; updatedAt: number }): Promise<AccountRecord | null>;
}

/** The repositories of one transaction: everything written through them commits together or not at all. */
export interface UnitOfWork {
  jobs: JobRepository;
  uploads: UploadRepository;
  outbox: OutboxWriter;
  ingest: IngestObjectRepository;
}

/** Bucket objects an S3 event made an upload of (docs/lifecycle.md "Bucket events"). */
export interface IngestObjectRepository {
  /** The upload an earlier event made of this object (same bucket, key and ETag), or null. */
  find(object: IngestObject): Promise<{ uploadId: string } | null>;
  /** Records that `uploadId` is this object's; false when another event recorded it first (the unique key). */
  claim(object: IngestObject, record: { accountId: string; uploadId: string; at: number }): Promise<boolean>;
}

export interface IngestObject {
  bucket: string;
  key: string;
  etag: string;
}

export interface Database {
  jobs: JobRepository;
  uploads: UploadRepository;
  apiKeys: ApiKeyRepository;
  accounts: AccountRepository;
  /** Console users, their sessions, invitations and failed logins (src/ports/users.port.ts). */
  users: UserRepository;
  sessions: SessionRepository;
  invites: InviteRepository;
  loginFailures: LoginFailureRepository;
  outbox: OutboxRepository;
  /** Webhook endpoints and their delivery log, for requests (src/ports/webhooks.port.ts). */
  webhooks: WebhookRepository;
  /** Fan-out and delivery, for the senders in the worker processes. */
  webhookDeliveries: WebhookDeliveryStore;
  /** Each account's presets, and retention and deletion (src/ports/lifecycle.port.ts). */
  presets: PresetRepository;
  retention: RetentionRepository;
  ingest: IngestObjectRepository;
  /**
   * Runs `work` in one transaction: it commits when `work` resolves and rolls back when it
   * rejects. Use only `tx` inside (SQLite has one connection: a call on the outer database
   * from inside waits for the transaction to end, which is never), and send nothing from
   * inside: what must follow the commit goes to `tx.outbox`.
   */
  transaction<T>(work: (tx: UnitOfWork) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
