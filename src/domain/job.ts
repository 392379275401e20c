import type { ProcessError, ProcessSpec } from './process-spec.js';
import type { DamagePolicy, JobWarning } from './damage.js';
import type { ErrorCode } from './errors.js';
import type { OutputSpec, OutputType } from './job-spec.js';
import type { MediaMetadata } from './media.js';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];
export const isFinal = (s: JobStatus) => FINAL_STATUSES.includes(s);

/** `expired` and `deleted`: a succeeded output whose files were removed (docs/lifecycle.md); its files stay listed. */
export type OutputStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'expired' | 'deleted';

export interface StoredFile {
  name: string;
  key: string;
  size: number;
  contentType: string;
}

export interface OutputState {
  spec: OutputSpec;
  status: OutputStatus;
  files: StoredFile[];
  /** Output-specific facts (frame count, chosen thumbnail time …). */
  result?: Record<string, unknown>;
  error?: { code: ErrorCode; message: string };
}

export interface JobError {
  code: ErrorCode;
  message: string;
}

/** The job row as the database keeps it; the HTTP layer turns it into the public shape. */
export interface JobRecord {
  id: string;
  /** The account that owns the job; its files are stored under this account's prefix. */
  accountId: string;
  status: JobStatus;
  progress: number;
  stage: string | null;
  attempts: number;
  maxAttempts: number;
  /** '' when the input is a URL. */
  uploadId: string;
  /** The URL the worker downloads the input from, instead of an upload. */
  inputUrl: string | null;
  /** What a damaged source does to the job (`input.onDamage`; `fail` unless asked). */
  onDamage: DamagePolicy;
  probe: MediaMetadata | null;
  outputs: OutputState[];
  userMetadata: Record<string, unknown> | null;
  error: JobError | null;
  /** What the job could not do cleanly, written when it finishes (see src/domain/damage.ts). */
  warnings: JobWarning[];
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  runAfter: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /** What the job used (src/domain/usage.ts), written when an attempt settles; null before. */
  usage: JobUsage | null;
  /** How long its outputs are kept after it finished, and its own limit on its upload's source (0016; src/domain/retention.ts). */
  retention: { sourceSeconds: number | null; outputsSeconds: number | null };
  /** When its output files were removed (expired or deleted); null while they are stored. */
  outputsRemovedAt: number | null;
  /** DELETE /v1/jobs/{id}: the row stays (usage, idempotency), lists leave it out. */
  deletedAt: number | null;
  /** 0017: `notify.email`, told when the job ends (src/domain/notify.ts); absent: its account's address, if any. */
  notifyEmail?: string;
}

/**
 * What a job used (docs/usage.md): written with each settle of an attempt, kept on the job
 * row as `jobs.usage` (JSON), shown on the finished job and summed by day for the usage report.
 */
export interface OutputUsage {
  type: OutputType;
  /** Seconds of media the type's outputs hold (0 for stills: thumbnail, frames, image). */
  seconds: number;
  /** Bytes of the files stored for them. */
  bytes: number;
}

export interface JobUsage {
  /** The probed duration of the input; null for an image or an input never probed. */
  inputSeconds: number | null;
  /**
   * CPU seconds (user + system, as the operating system counts them) of the job's ffprobe,
   * ffmpeg and yt-dlp processes, over every attempt that settled; null where they cannot be
   * read (not Linux).
   */
  cpuSeconds: number | null;
  /** One entry per type of output produced, in the order of the job's outputs. */
  outputs: OutputUsage[];
  /** Bytes stored for the job's outputs. */
  storageBytes: number;
}


export interface UploadRecord {
  id: string;
  filename: string;
  size: number;
  contentType: string;
  sha256: string;
  key: string;
  createdAt: number;
  /**
   * Absent or 'ready' for uploads through the API; 'pending' for a presigned upload until
   * completed; 'expired' (its retention ran out) and 'deleted' once the source is removed.
   */
  status?: UploadStatus;
  /** S3 multipart upload id of a pending presigned multipart upload. */
  multipartId?: string | null;
  /** When the presigned URLs of a pending upload stop working. */
  expiresAt?: number | null;
  /** The retention asked for at upload (its `outputsSeconds` is the default of its jobs). */
  retention?: { sourceSeconds?: number | null; outputsSeconds?: number | null };
  /** When the sweeper removes the source (0016); null: kept until deleted. */
  sourceExpiresAt?: number | null;
  /** When the source was removed (expired or deleted). */
  removedAt?: number | null;
  /** What to make of it once complete (docs/lifecycle.md); absent: nothing. */
  process?: ProcessSpec | null;
  /** The job `process` made, once the upload is ready (0018). */
  jobId?: string | null;
  /** Why `process` made no job at the completion (a quota refused it); the upload stays ready. */
  processError?: ProcessError | null;
}

export const UPLOAD_STATUSES = ['pending', 'ready', 'expired', 'deleted'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];
/** An upload whose source is still stored (and counts against the storage quota). */
export const isStored = (u: Pick<UploadRecord, 'status'>) => u.status !== 'expired' && u.status !== 'deleted';

/** Live job events (published through the EventBus port); which transition emits which is decided in job-lifecycle.ts. */
export interface JobEvent {
  jobId: string;
  type: 'status' | 'progress';
  status: JobStatus;
  progress: number;
  stage: string | null;
  at: number;
}
