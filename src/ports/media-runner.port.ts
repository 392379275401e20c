/**
 * The only door to ffmpeg/ffprobe processes. Arguments arrive as arrays built by the pure
 * builders in src/ffmpeg; nothing here ever goes through a shell.
 */
export interface FfmpegProgress {
  /** Seconds of output produced so far (from `out_time_us`). */
  outTime: number;
  frame: number;
  speed: number | null;
  done: boolean;
}

export interface RunOptions {
  signal: AbortSignal;
  /** Kill the process when its progress stands still this long. */
  stallTimeoutMs: number;
  onProgress?: (p: FfmpegProgress) => void;
  onStderrLine?: (line: string) => void;
  cwd?: string;
}

export interface Capabilities {
  ffmpegPath: string;
  ffprobePath: string;
  version: string;
  major: number;
  encoders: Set<string>;
  filters: Set<string>;
  demuxers: Set<string>;
  /** `-fps_mode` exists (ffmpeg ≥ 5.1); older builds take `-vsync`. */
  hasFpsMode: boolean;
}

export interface MediaRunner {
  readonly caps: Capabilities;
  /** Runs ffprobe and returns its parsed JSON. Rejects with `input_invalid` when it cannot read the file. */
  probe(args: string[], opts: { signal: AbortSignal; timeoutMs: number }): Promise<unknown>;
  run(args: string[], opts: RunOptions): Promise<{ stderrTail: string }>;
}
