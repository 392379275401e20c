import type { Capabilities, FfmpegProgress } from '../domain/ffmpeg.js';

// Declared in domain (the pure builders decide on them); re-exported for the port's users.
export type { Capabilities, FfmpegProgress };

export interface RunOptions {
  signal: AbortSignal;
  /** Kill the process when its progress stands still this long. */
  stallTimeoutMs: number;
  onProgress?: (p: FfmpegProgress) => void;
  onStderrLine?: (line: string) => void;
  cwd?: string;
}

/**
 * The only door to ffmpeg/ffprobe processes. Arguments arrive as arrays built by the pure
 * builders in src/ffmpeg; nothing here ever goes through a shell.
 */
export interface MediaRunner {
  readonly caps: Capabilities;
  /** Runs ffprobe and returns its parsed JSON. Rejects with `input_invalid` when it cannot read the file. */
  probe(args: string[], opts: { signal: AbortSignal; timeoutMs: number }): Promise<unknown>;
  run(args: string[], opts: RunOptions): Promise<{ stderrTail: string }>;
}
