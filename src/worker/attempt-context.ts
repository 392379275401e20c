import type { Logger } from 'pino';
import type { AbortedError } from '../domain/errors.js';
import type { DamageVerdict } from '../domain/damage.js';
import type { JobEvent, JobRecord, OutputState } from '../domain/job.js';
import type { MediaLimits } from '../pipelines/input.probe.js';
import type { EncodingSettings, PipelineLimits } from '../pipelines/pipeline.types.js';
import type { UrlImportLimits } from '../pipelines/url-import.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database, Fence } from '../ports/db.port.js';
import type { EventBus } from '../ports/events.port.js';
import type { MediaRunner } from '../ports/media-runner.port.js';
import type { JobMetrics } from '../ports/metrics.port.js';
import type { PageMediaImporter } from '../ports/page-media-importer.port.js';
import type { Tracer } from '../ports/tracer.port.js';
import type { UrlFetcher } from '../ports/url-fetcher.port.js';
import type { CpuTally } from './cpu-tally.js';
import type { ProgressReporter } from './progress-reporter.js';
import type { QueueMessages } from './queue-messages.js';

/** The ports an attempt's steps use. */
export interface AttemptDeps {
  db: Database;
  blobs: BlobStore;
  runner: MediaRunner;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  /** Downloads `input.url` sources; without it, URL jobs fail with input_unsupported. */
  fetcher?: UrlFetcher;
  /** yt-dlp for URLs that answer with a web page or a streaming playlist; without it those fail with url_needs_ytdlp. */
  pageImporter?: PageMediaImporter | null;
  /** The one door to the queue after a settle (see queue-messages.ts). */
  messages: QueueMessages;
  /** Where attempts, outputs and ffmpeg runs are counted (src/worker/attempt-metrics.ts); absent: nowhere. */
  metrics?: JobMetrics;
  /** Spans of each attempt's work (src/worker/attempt-traces.ts); absent: none. */
  tracer?: Tracer;
}

/** The worker's settings an attempt needs. */
export interface AttemptSettings {
  leaseMs: number;
  heartbeatMs: number;
  stallTimeoutMs: number;
  retryBaseMs: number;
  probeTimeoutMs: number;
  progressIntervalMs: number;
  urlImport?: UrlImportLimits;
  limits: MediaLimits & PipelineLimits;
  encoding?: EncodingSettings;
}

/**
 * One attempt at one job, as its steps see it (src/worker/steps): the claimed job and its
 * fence, a scratch folder, the abort signal, progress, the log, the outputs as they stand
 * and the damage verdict. Implemented by `Attempt` (attempt.ts), which runs the steps.
 */
export interface AttemptContext {
  /** The worker's ports, with the runner and the page importer metered: every process they start adds to `cpu`. */
  readonly deps: AttemptDeps;
  readonly settings: AttemptSettings;
  /** The job as claimed (status running, attempts counted). */
  readonly job: JobRecord;
  /** `{ id, attempt }`: every write of this attempt is conditional on it. */
  readonly fence: Fence;
  /** This attempt's scratch folder, removed when it ends. */
  readonly workDir: string;
  /** Aborted with a StopReason (`canceled`, `lost`, `shutdown`) as its reason. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly reporter: ProgressReporter;
  /** What damage in the source does to this attempt, and the warnings it collected. */
  readonly verdict: DamageVerdict;
  /** The outputs as they stand; the run step replaces it run by run, the settle step writes it. */
  outputs: OutputState[];
  /** The CPU seconds of this attempt's processes so far. */
  readonly cpu: CpuTally;
  /** The input's probed duration, once the probe step has it (null for an image, or before). */
  inputSeconds: number | null;
  /** Publishes exactly the events a lifecycle decision lists; never throws. */
  emit(events: JobEvent[]): Promise<void>;
  /**
   * A fenced write changed nothing: asks the database why (canceled, or another attempt owns
   * the job), aborts with that reason and returns the error for the step to throw.
   */
  stale(): Promise<AbortedError>;
}
