import type { JobWarning } from './damage.js';
import { DomainError, ERROR_CODES } from './errors.js';
import type { JobError, JobEvent, JobRecord, JobStatus, JobUsage, OutputState, StoredFile } from './job.js';
import { dispatchMessage, jobEventMessage, type OutboxMessage } from './outbox.js';

/**
 * The job's state machine: every transition, what it writes and which events it emits, and
 * the retry policy. Pure: callers pass the job as they read it and the clock's time; the
 * repository persists the `write` (its fenced or guarded UPDATE makes a stale decision change
 * nothing), the worker and the services publish the `events`. The table is in
 * docs/architecture.md ("The job lifecycle").
 */

/** Stage texts: the only place that spells them. */
export const STAGES = {
  starting: 'starting',
  downloading: 'downloading',
  probing: 'probing',
  probed: 'probed',
  waitingToRetry: 'waiting to retry',
  handedBack: 'handed back at worker shutdown',
  requeuedAfterLoss: 'requeued after worker loss',
  done: 'done',
  failed: 'failed',
  canceled: 'canceled',
} as const;

export const downloadingStage = (fraction: number) => `${STAGES.downloading} (${Math.floor(fraction * 100)}%)`;

/** One run of outputs (indices into the job's outputs), e.g. `clips + mp4 (1, 2/3)`. */
export const runStage = (types: string[], indices: number[], total: number) =>
  `${types.join(' + ')} (${indices.map((i) => i + 1).join(', ')}/${total})`;

export const CANCELABLE: readonly JobStatus[] = ['queued', 'running'];
export const RETRYABLE_BY_USER: readonly JobStatus[] = ['failed', 'canceled'];

export interface RetryPolicy {
  /** The first retry waits this long; each later one twice the one before. */
  baseMs: number;
}

/** Exponential backoff: base, 2×base, 4×base … (2 s, 4 s, 8 s with the default base). */
export function retryDelayMs(attemptJustFailed: number, baseMs: number): number {
  return baseMs * 2 ** Math.max(0, attemptJustFailed - 1);
}

/** A permanent code fails the job at once (ERROR_CODES in errors.ts); any other one may retry. */
export const isPermanent = (error: JobError) => ERROR_CODES[error.code].permanent;

/**
 * The columns one transition writes; absent fields stay as they are. Every write here takes
 * the job out of `running` (or keeps it out), so the repository also releases the lease.
 */
export interface JobWrite {
  status: Exclude<JobStatus, 'running'>;
  stage: string | null;
  /** The decision's time (the row's update time). */
  at: number;
  progress?: number;
  error?: JobError | null;
  /** [] clears them. */
  warnings?: JobWarning[];
  outputs?: OutputState[];
  /** A queued job is not claimed before this. */
  runAfter?: number;
  /**
   * What must happen once this write has committed (a queue message for every transition to
   * `queued`, a webhook event for every final state): the repository writes them to the outbox in the same transaction as the write,
   * and only when the write applied.
   */
  messages?: OutboxMessage[];
  /** `refund`: the attempt did not count; `reset`: a fresh start. */
  attempts?: 'refund' | 'reset';
  startedAt?: null;
  finishedAt?: number | null;
  /** What the job used so far (src/domain/usage.ts measureUsage): every settle of an attempt writes it. */
  usage?: JobUsage;
}

export interface Decision {
  write: JobWrite;
  events: JobEvent[];
}

/** A transition by job id, not by attempt: the repository writes it only while the job is in `from`. */
export interface GuardedDecision extends Decision {
  from: readonly JobStatus[];
  /** Only while no worker has claimed the job yet (attempts 0). */
  unclaimedOnly?: boolean;
}

export interface Fence {
  id: string;
  attempt: number;
}

type Snapshot = Pick<JobRecord, 'id' | 'status' | 'progress' | 'attempts' | 'maxAttempts'>;

const statusEvent = (jobId: string, status: JobStatus, progress: number, stage: string | null, at: number): JobEvent => ({ jobId, type: 'status', status, progress, stage, at });

/** `traceparent`: the trace the job's queue message continues (the creating request's), if traced. */
export function decideCreate(jobId: string, now: number, traceparent?: string | null): Decision {
  return {
    write: { status: 'queued', stage: null, at: now, progress: 0, runAfter: now, messages: [dispatchMessage(jobId, traceparent)] },
    events: [statusEvent(jobId, 'queued', 0, null, now)],
  };
}

/**
 * Who may take the job for an attempt: a queued job that is due, or a running one whose
 * lease ran out, with attempts left. The repository's claim is the atomic form of this
 * rule (one conditional UPDATE that also counts the attempt: the new count is the fence).
 */
export function isClaimable(job: Pick<JobRecord, 'status' | 'runAfter' | 'leaseExpiresAt' | 'attempts' | 'maxAttempts'>, now: number): boolean {
  if (job.attempts >= job.maxAttempts) return false;
  if (job.status === 'queued') return job.runAfter <= now;
  return job.status === 'running' && job.leaseExpiresAt !== null && job.leaseExpiresAt < now;
}

/** The claimed job (status running, attempts counted) starts its attempt. */
export function decideStart(claimed: Snapshot, now: number): { events: JobEvent[] } {
  return { events: [statusEvent(claimed.id, 'running', claimed.progress, STAGES.starting, now)] };
}

/**
 * What a claim of a queued job writes to the outbox, in the claim's own transaction: the
 * `job.started` event (once per attempt; taking over a running job whose worker is gone
 * starts nothing new, and writes none).
 */
export const claimMessages = (jobId: string, now: number): OutboxMessage[] => [jobEventMessage('job.started', jobId, now)];

/** A running attempt's write counts only while it is the current one: running with its attempt number. */
export const isCurrentAttempt = (job: Pick<JobRecord, 'status' | 'attempts'>, fence: Fence) => job.status === 'running' && job.attempts === fence.attempt;

export function decideProgress(jobId: string, progress: number, stage: string, now: number): { events: JobEvent[] } {
  return { events: [{ jobId, type: 'progress', status: 'running', progress, stage, at: now }] };
}

/** The outputs of one run start together. */
export function outputsRunning(outputs: OutputState[], run: number[]): OutputState[] {
  return outputs.map((o, i) => (run.includes(i) ? { ...o, status: 'running' } : o));
}

/** The outputs of one run are done, with what each produced. */
export function outputsDone(outputs: OutputState[], run: number[], products: Array<Pick<OutputState, 'files' | 'result'>>): OutputState[] {
  return outputs.map((o, i) => {
    const k = run.indexOf(i);
    return k < 0 ? o : { spec: o.spec, status: 'succeeded', files: products[k].files, result: products[k].result };
  });
}

/** A `job.output.ready` event for each output of the run that is stored, written with the outputs. */
export function outputsReadyMessages(jobId: string, outputs: OutputState[], run: number[], now: number): OutboxMessage[] {
  return run.filter((i) => outputs[i]?.status === 'succeeded').map((i) => jobEventMessage('job.output.ready', jobId, now, i));
}

/** An HLS output playable before it is done: it lists its master while running; a `playable` job.output.ready goes with that write. */
export function outputPlayable(outputs: OutputState[], index: number, master: StoredFile, jobId: string, now: number) {
  const next = outputs.map((o, i) => (i === index && o.status === 'running' ? { ...o, files: [master] } : o));
  return { outputs: next, messages: [jobEventMessage('job.output.ready', jobId, now, index, 'playable')] };
}

/** The outputs of one run failed together with the run's error. */
export function outputsFailed(outputs: OutputState[], run: number[], error: JobError): OutputState[] {
  return outputs.map((o, i) => (run.includes(i) ? { spec: o.spec, status: 'failed', files: [], error } : o));
}

/** Outputs as a new attempt starts them. */
export const pendingOutputs = (outputs: OutputState[]): OutputState[] => outputs.map((o) => ({ spec: o.spec, status: 'pending', files: [] }));

/** What an attempt hands its settle decision: its outputs, the warnings it collected, and the job's usage with it. */
export interface AttemptResult {
  outputs: OutputState[];
  warnings: JobWarning[];
  usage?: JobUsage;
}

const usageOf = (result: Pick<AttemptResult, 'usage'>) => (result.usage ? { usage: result.usage } : {});

export function decideSuccess(job: Snapshot, result: AttemptResult, now: number): Decision {
  return {
    write: {
      status: 'succeeded', stage: STAGES.done, at: now, progress: 100, outputs: result.outputs, error: null, warnings: result.warnings, finishedAt: now,
      messages: [jobEventMessage('job.succeeded', job.id, now)], ...usageOf(result),
    },
    events: [statusEvent(job.id, 'succeeded', 100, STAGES.done, now)],
  };
}

export type FailureDecision = (Decision & { kind: 'requeue'; delayMs: number; runAfter: number }) | (Decision & { kind: 'fail' });

/**
 * An attempt failed with `error`: a permanent code, or the last attempt, fails the job with
 * that error; any other failure waits `retryDelayMs` and goes back to the queue.
 */
export function decideFailure(
  job: Snapshot,
  error: JobError,
  result: AttemptResult,
  now: number,
  policy: RetryPolicy,
): FailureDecision {
  if (!isPermanent(error) && job.attempts < job.maxAttempts) {
    const delayMs = retryDelayMs(job.attempts, policy.baseMs);
    const runAfter = now + delayMs;
    return {
      kind: 'requeue',
      delayMs,
      runAfter,
      // The usage carries this attempt's CPU on to the next attempt's settle.
      write: { status: 'queued', stage: STAGES.waitingToRetry, at: now, runAfter, messages: [dispatchMessage(job.id)], error, ...usageOf(result) },
      events: [statusEvent(job.id, 'queued', 0, STAGES.waitingToRetry, now)],
    };
  }
  return {
    kind: 'fail',
    write: {
      status: 'failed', stage: STAGES.failed, at: now, outputs: result.outputs, error, warnings: result.warnings, finishedAt: now,
      messages: [jobEventMessage('job.failed', job.id, now)], ...usageOf(result),
    },
    events: [statusEvent(job.id, 'failed', job.progress, STAGES.failed, now)],
  };
}

/**
 * Shutdown: the attempt goes back to the queue, due now, and does not count. The stored stage
 * stays `waiting to retry` as it always was; the event says why.
 */
export function decideHandBack(job: Snapshot, now: number, result: Pick<AttemptResult, 'usage'> = {}): Decision {
  return {
    // The attempt does not count, but the CPU it used does.
    write: { status: 'queued', stage: STAGES.waitingToRetry, at: now, runAfter: now, messages: [dispatchMessage(job.id)], error: null, attempts: 'refund', ...usageOf(result) },
    events: [statusEvent(job.id, 'queued', 0, STAGES.handedBack, now)],
  };
}

/** Why a running attempt was aborted, and what that asks of the worker. */
export type StopReason = 'canceled' | 'lost' | 'shutdown';

export function decideStop(reason: StopReason): 'remove-partial-outputs' | 'hand-back' | 'nothing' {
  // Canceled: the service already wrote and announced it. Lost: another attempt owns the job.
  return reason === 'canceled' ? 'remove-partial-outputs' : reason === 'shutdown' ? 'hand-back' : 'nothing';
}

/**
 * The sweeper found `fence`'s lease expired: its worker is gone. With attempts left the job
 * is queued again, due now (the lost attempt counts); without, it fails with `worker_lost`.
 * Null when the job moved on since the sweeper saw it.
 */
export function decideLeaseExpiry(job: Snapshot & Pick<JobRecord, 'leaseExpiresAt'>, fence: Fence, now: number): Decision | null {
  if (!isCurrentAttempt(job, fence) || (job.leaseExpiresAt ?? 0) >= now) return null;
  if (job.attempts >= job.maxAttempts) {
    const error: JobError = { code: 'worker_lost', message: `the worker running attempt ${job.attempts} stopped answering and no attempts are left` };
    return {
      write: { status: 'failed', stage: STAGES.failed, at: now, error, finishedAt: now, messages: [jobEventMessage('job.failed', job.id, now)] },
      events: [statusEvent(job.id, 'failed', 0, STAGES.failed, now)],
    };
  }
  return {
    write: { status: 'queued', stage: STAGES.requeuedAfterLoss, at: now, runAfter: now, messages: [dispatchMessage(job.id)] },
    events: [statusEvent(job.id, 'queued', 0, STAGES.requeuedAfterLoss, now)],
  };
}

/** Queued and running jobs can be canceled (a running attempt learns it from its heartbeat or the event). */
export function decideCancel(job: Snapshot, now: number): GuardedDecision {
  if (!CANCELABLE.includes(job.status)) throw new DomainError('job_not_cancelable', `job ${job.id} is already ${job.status}`);
  return {
    from: CANCELABLE,
    write: { status: 'canceled', stage: STAGES.canceled, at: now, finishedAt: now, messages: [jobEventMessage('job.canceled', job.id, now)] },
    events: [statusEvent(job.id, 'canceled', job.progress, STAGES.canceled, now)],
  };
}

/** The user runs a failed or canceled job again: a fresh start, attempts and outputs reset. */
export function decideRetryByUser(job: Snapshot & Pick<JobRecord, 'outputs'>, now: number): GuardedDecision {
  if (!RETRYABLE_BY_USER.includes(job.status)) {
    throw new DomainError('job_not_retryable', `only failed or canceled jobs can be retried; job ${job.id} is ${job.status}`);
  }
  return {
    from: RETRYABLE_BY_USER,
    write: {
      status: 'queued', stage: null, at: now, progress: 0, attempts: 'reset', error: null, warnings: [],
      outputs: pendingOutputs(job.outputs), runAfter: now, messages: [dispatchMessage(job.id)], startedAt: null, finishedAt: null,
    },
    events: [statusEvent(job.id, 'queued', 0, null, now)],
  };
}

/** The queue did not take a new job's message: it fails with `queue_unavailable` rather than wait for nothing. */
export function decideUndispatched(job: Snapshot, reason: string, now: number): GuardedDecision {
  return {
    from: ['queued'],
    unclaimedOnly: true,
    write: { status: 'failed', stage: STAGES.failed, at: now, error: { code: 'queue_unavailable', message: reason }, finishedAt: now, messages: [jobEventMessage('job.failed', job.id, now)] },
    events: [statusEvent(job.id, 'failed', job.progress, STAGES.failed, now)],
  };
}
