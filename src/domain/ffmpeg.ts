/**
 * What the code knows about the installed ffmpeg and what it reports while it runs. Plain
 * data: the argument builders (src/ffmpeg) decide on it, the MediaRunner port carries it.
 */
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

/** One block of ffmpeg's `-progress` stream. */
export interface FfmpegProgress {
  /** Seconds of output produced so far (from `out_time_us`). */
  outTime: number;
  frame: number;
  speed: number | null;
  done: boolean;
}
