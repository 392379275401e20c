import type { OutputType } from '../domain/job-spec.js';
import type { Route } from '../domain/routes.js';
import type { ActiveCounts } from './db.port.js';

/**
 * What the platform reports about itself (docs/operations.md#observability). The callers say
 * what happened, in the platform's words; the adapter (src/adapters/prometheus) decides how
 * it is counted. A tracing adapter can take the same calls later without touching a caller:
 * the composition root passes one object, no module keeps a global registry.
 *
 * Every label is from a closed set (routes, output types, HTTP methods and route templates,
 * outcomes): never a job, upload or account id.
 */
export interface HttpMetrics {
  /** `route` is the route template (`/v1/jobs/:id`), or the fixed `unmatched` when no route matched. */
  request(r: { method: string; route: string; status: number; seconds: number }): void;
}

/** How one attempt at a job ended (src/worker/steps/settle.step.ts). */
export type AttemptOutcome = 'succeeded' | 'failed' | 'retrying' | 'canceled' | 'handed_back' | 'lost';

export interface JobMetrics {
  /** A worker claimed a job that waited `queueWaitSeconds` since it was due. */
  attemptStarted(r: { route: Route; queueWaitSeconds: number }): void;
  /** An attempt settled: its wall time and the CPU seconds of its processes (null: not measurable here). */
  attemptEnded(r: { route: Route; outcome: AttemptOutcome; seconds: number; cpuSeconds: number | null }): void;
  /** One output of an attempt finished; `frames`: pictures it extracted (frames outputs). */
  outputEnded(r: { type: OutputType; status: 'succeeded' | 'failed'; frames?: number }): void;
  /** One ffmpeg run for an output of `type` produced `mediaSeconds` of media in `wallSeconds`. */
  ffmpegRun(r: { type: OutputType; mediaSeconds: number; wallSeconds: number }): void;
  /**
   * A worker's slots: `busy()` is read when the metrics are read. Returns the function that
   * takes them off again (the worker stopped).
   */
  workerSlots(r: { total: number; busy: () => number }): () => void;
}

export interface UploadMetrics {
  /** Bytes of a source that became a ready upload (any way in: body, multipart, presigned). */
  uploadBytes(bytes: number): void;
}

export interface WebhookMetrics {
  /** One delivery attempt recorded: delivered, to be tried again, or failed for good. */
  webhookDelivery(status: 'succeeded' | 'retrying' | 'failed'): void;
}

/** Read when a scrape asks (the adapter caches it briefly): jobs waiting per route, jobs running. */
export interface JobGaugeSource {
  activeCounts(): Promise<ActiveCounts>;
}

export interface Metrics extends HttpMetrics, JobMetrics, UploadMetrics, WebhookMetrics {
  /** The exposition (Prometheus text format), with its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}
