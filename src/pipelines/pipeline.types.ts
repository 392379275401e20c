import type { ChunkingSettings } from '../domain/chunk-plan.js';
import type { Coverage } from '../domain/coverage.js';
import type { OutputSpec, OutputType } from '../domain/job-spec.js';
import type { StoredFile } from '../domain/job.js';
import type { MediaMetadata } from '../domain/media.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { MediaRunner } from '../ports/media-runner.port.js';
import type { Clock } from '../ports/clock.port.js';

export interface PipelineLimits {
  maxFramesPerJob: number;
}

/** Encoder settings from configuration (HLS uses them; absent means the defaults). */
export interface EncodingSettings {
  /** x264 preset, e.g. `veryfast`. */
  preset: string;
  /** Encoder threads; 0 lets ffmpeg choose. */
  threads: number;
  /** Highest frame rate of an HLS rung. */
  maxFps: number;
  /** `MEDIAFORGE_CHUNKING` and `MEDIAFORGE_CHUNK_MIN_SECONDS` (absent: auto, 120 s). */
  chunking?: ChunkingSettings;
}

/** `MEDIAFORGE_PROBE_TIMEOUT_SECONDS`'s default (src/main/config.ts), for a context that does not say. */
export const DEFAULT_PROBE_TIMEOUT_MS = 60_000;

/** What one output's handler gets: the probed local input and the ports it may use. */
export interface PipelineContext {
  /** The job's account: the first part of every key the pipeline stores (src/domain/keys.ts). */
  accountId: string;
  jobId: string;
  outputIndex: number;
  inputPath: string;
  meta: MediaMetadata;
  runner: MediaRunner;
  blobs: BlobStore;
  /** A private scratch folder, removed by the caller after the handler settles. */
  workDir: string;
  signal: AbortSignal;
  stallTimeoutMs: number;
  /** Where the pipeline reads the time (the result's timestamps and durations). */
  clock: Clock;
  /**
   * Time limit of each ffprobe a handler runs (keyframe scans, probes of written files):
   * `MEDIAFORGE_PROBE_TIMEOUT_SECONDS`. Absent: the configuration's default.
   */
  probeTimeoutMs?: number;
  limits: PipelineLimits;
  encoding?: EncodingSettings;
  /** 0…1 within this output. */
  onProgress(fraction: number): void;
  /**
   * The output can be played before it is done, from this file (an HLS master playlist whose
   * every rung has a segment stored): called once, awaited, before the encode goes on.
   */
  onPlayable?(file: StoredFile): Promise<void>;
}

export interface OutputProduct {
  files: StoredFile[];
  result?: Record<string, unknown>;
  /** How much of the source the output really covers (src/domain/coverage.ts); not stored, judged by the worker. */
  coverage?: Coverage | null;
}

export type OutputHandler<S extends OutputSpec> = (ctx: PipelineContext, spec: S) => Promise<OutputProduct>;

/** One handler per output type; a type without a handler is a compile error. */
export type OutputHandlers = { [K in OutputType]: OutputHandler<Extract<OutputSpec, { type: K }>> };
