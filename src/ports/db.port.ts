import type { DamagePolicy, JobWarning } from '../domain/damage.js';
import type { JobError, JobRecord, JobStatus, OutputState, UploadRecord } from '../domain/job.js';
import type { MediaMetadata } from '../domain/media.js';

/**
 * Job state lives here and nowhere else: the queue only hands out work. Every write a
 * worker makes is fenced by the attempt number it claimed, so a late write from a stale
 * attempt (a worker that lost its lease) changes nothing and returns false.
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
}

export interface Fence {
  id: string;
  attempt: number;
}

export interface JobPage {
  jobs: JobRecord[];
  nextCursor: string | null;
}

export interface JobRepository {
  /** Creates the job; with an idempotency key, returns the earlier job instead (created=false). */
  create(
    job: NewJob,
    idempotency?: { key: string; requestHash: string },
  ): Promise<{ job: JobRecord; created: boolean; requestHash?: string }>;
  get(id: string): Promise<JobRecord | null>;
  list(query: { status?: JobStatus; limit: number; cursor?: string }): Promise<JobPage>;
  /**
   * Takes the job for one attempt: only when it is queued and due, or running with an
   * expired lease. Increments `attempts`; the new value is the fencing token.
   */
  claim(id: string, owner: string, now: number, leaseMs: number): Promise<JobRecord | null>;
  /** Extends the lease; returns the job's status after the call, or null when the attempt is stale. */
  heartbeat(fence: Fence, now: number, leaseMs: number): Promise<JobStatus | null>;
  updateProgress(
    fence: Fence,
    patch: { progress?: number; stage?: string; probe?: MediaMetadata; outputs?: OutputState[] },
  ): Promise<boolean>;
  finish(
    fence: Fence,
    result: { status: 'succeeded' | 'failed'; outputs: OutputState[]; error: JobError | null; now: number; warnings?: JobWarning[] },
  ): Promise<boolean>;
  /** Puts a running attempt back in the queue (retry after a failure, or hand-back at shutdown). */
  requeue(fence: Fence, runAfter: number, opts: { error: JobError | null; refundAttempt: boolean }): Promise<boolean>;
  /** queued/running → canceled. Returns the job, or null when it does not exist. */
  cancel(id: string, now: number): Promise<JobRecord | null>;
  /** failed/canceled → queued with fresh outputs, no warnings and attempts reset. */
  retry(id: string, now: number): Promise<JobRecord | null>;
  /**
   * A queued job that no worker has taken yet (attempts 0) becomes failed with this error:
   * its message did not reach the queue. False when the job is in any other state.
   */
  failUndispatched(id: string, error: JobError, now: number): Promise<boolean>;
  /**
   * Every transition that needs a queue message (create, requeue, recoverExpired to queued,
   * retry) marks the job with a dispatch mark: `createdAt`, `runAfter`, `now`, `now`. The
   * caller clears it once the queue has taken the message; a later transition's mark stays.
   */
  markDispatched(id: string, due: number): Promise<void>;
  /** Queued jobs whose dispatch mark is older than `before`: their message never reached the queue. */
  undispatched(before: number, limit: number): Promise<Array<{ job: JobRecord; due: number }>>;
  /** Running jobs whose lease ran out: their worker is gone. */
  expiredLeases(now: number, limit: number): Promise<Fence[]>;
  /** Running jobs whose lease ran out become queued again (or failed when out of attempts). */
  recoverExpired(fence: Fence, now: number): Promise<JobStatus | null>;
}

export interface UploadRepository {
  create(upload: UploadRecord): Promise<void>;
  get(id: string): Promise<UploadRecord | null>;
  /** A pending (presigned) upload becomes usable; false when it was not pending. */
  markReady(id: string, done: { sha256: string }): Promise<boolean>;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  hash: string;
  createdAt: number;
}

export interface ApiKeyRepository {
  create(key: ApiKeyRecord): Promise<void>;
  findByHash(hash: string): Promise<ApiKeyRecord | null>;
  count(): Promise<number>;
}

export interface Database {
  jobs: JobRepository;
  uploads: UploadRepository;
  apiKeys: ApiKeyRepository;
  close(): Promise<void>;
}
