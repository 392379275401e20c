import type { Capabilities, FfmpegProgress } from '../domain/ffmpeg.js';

// Declared in domain (the pure builders decide on them); re-exported for the port's users.
export type { Capabilities, FfmpegProgress };

/**
 * Told once per process, as it ends (success or not): the CPU seconds it used as the
 * operating system counts them (user + system), or null where they cannot be read.
 */
export type CpuReport = (cpuSeconds: number | null) => void;

export interface ProbeOptions {
  signal: AbortSignal;
  timeoutMs: number;
  onCpuSeconds?: CpuReport;
}

export interface RunOptions {
  signal: AbortSignal;
  /** Kill the process when its progress stands still this long. */
  stallTimeoutMs: number;
  onProgress?: (p: FfmpegProgress) => void;
  onStderrLine?: (line: string) => void;
  cwd?: string;
  onCpuSeconds?: CpuReport;
}

/**
 * The only door to ffmpeg/ffprobe processes. Arguments arrive as arrays built by the pure
 * builders in src/ffmpeg; nothing here ever goes through a shell.
 */
export interface MediaRunner {
  readonly caps: Capabilities;
  /** Runs ffprobe and returns its parsed JSON. Rejects with `input_invalid` when it cannot read the file. */
  probe(args: string[], opts: ProbeOptions): Promise<unknown>;
  run(args: string[], opts: RunOptions): Promise<{ stderrTail: string }>;
}
