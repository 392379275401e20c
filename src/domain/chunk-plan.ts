/**
 * Chunking: one long video encoded as several GOP-aligned pieces, then stitched without a
 * seam (docs/hls.md#chunking). This module is the pure part: which chunks, on which frames.
 *
 * Times are counted in output frames of a constant rate, so a boundary is a frame, never a
 * float: the boundary for time `t` is the first frame at or after `t` (frame `ceil(t × rate)`),
 * which is the frame the unchunked encode forces a keyframe on (`gte(t, n_forced × S)`).
 */

/** A constant frame rate as a fraction: 30 → 30/1, 29.97 → 30000/1001. */
export interface FrameRate {
  num: number;
  den: number;
}

/** `30`, `30000/1001` or a decimal like `29.123` (ffmpeg's fps filter syntax) as a fraction. */
export function parseRate(expr: string): FrameRate | null {
  const frac = /^(\d+)\/(\d+)$/.exec(expr);
  if (frac) {
    const num = Number(frac[1]);
    const den = Number(frac[2]);
    return num > 0 && den > 0 ? { num, den } : null;
  }
  if (!/^\d+(\.\d{1,6})?$/.test(expr)) return null;
  const decimals = expr.includes('.') ? expr.length - expr.indexOf('.') - 1 : 0;
  const den = 10 ** decimals;
  const num = Math.round(Number(expr) * den);
  return num > 0 ? { num, den } : null;
}

/** The first frame at or after `seconds` (an integer number of seconds, so the product is exact). */
export function frameAt(seconds: number, rate: FrameRate): number {
  return Math.ceil((seconds * rate.num) / rate.den - 1e-9) || 0;
}

/** Seconds at the start of `frame`. */
export function frameTime(frame: number, rate: FrameRate): number {
  return (frame * rate.den) / rate.num;
}

export interface ChunkRange {
  index: number;
  /** First output frame of the chunk. */
  startFrame: number;
  /** The frame after the chunk's last; null for the last chunk, which runs to the end of the source. */
  endFrame: number | null;
  /** Seconds at `startFrame`. */
  start: number;
  /** Seconds at `endFrame`, or the source's duration for the last chunk. */
  end: number;
  /** Frames (relative to `startFrame`) that start a segment inside the chunk; always begins with 0. */
  keyframes: number[];
}

export interface ChunkPlanInput {
  /** Seconds of source. */
  duration: number;
  /** The constant output rate the chunks are cut on. */
  rate: FrameRate;
  /** Boundaries fall on multiples of this (the HLS segment length; for MP4 the chunk length itself). */
  segmentSeconds: number;
  /** Wanted chunk length, rounded up to a multiple of `segmentSeconds`. */
  chunkSeconds: number;
  /** A source this long or shorter is one chunk. */
  minSeconds: number;
  /**
   * The first frame the output has (default 0): a video that starts after the file does
   * (Matroska with AAC priming: 21 ms) has no frame 0 on the constant-rate grid. Segments
   * (and so chunks) count from that first frame, as ffmpeg counts forced keyframe times;
   * the stitch puts the first chunk back where it starts.
   */
  firstFrame?: number;
}

/**
 * The chunks of one output: boundaries every `chunkSeconds` (rounded up to whole segments),
 * each on the frame that starts a segment; a last piece shorter than half a chunk joins the
 * chunk before it (so no chunk is a sliver that costs an encoder start for a second of
 * video). One chunk means: do not chunk.
 */
export function planChunks(p: ChunkPlanInput): ChunkRange[] {
  const segment = Math.max(1, Math.round(p.segmentSeconds));
  const chunk = Math.max(segment, Math.ceil(p.chunkSeconds / segment) * segment);
  const totalFrames = Math.max(1, Math.ceil(p.duration * (p.rate.num / p.rate.den) - 1e-9));
  // The grid starts on the output's first frame: ffmpeg counts forced keyframe times from there.
  const first = Math.max(0, Math.min(Math.round(p.firstFrame ?? 0), totalFrames - 1));
  const frameOf = (t: number) => first + frameAt(t, p.rate);
  const boundaries: number[] = [];
  if (p.duration > p.minSeconds) {
    for (let t = chunk; frameOf(t) < totalFrames; t += chunk) boundaries.push(t);
    const last = boundaries.at(-1);
    if (last !== undefined && p.duration - last < chunk / 2) boundaries.pop();
  }
  const starts = [0, ...boundaries];
  return starts.map((t, index) => {
    const next = starts[index + 1];
    const startFrame = frameOf(t);
    const endFrame = next === undefined ? null : frameOf(next);
    const keyframes: number[] = [];
    const stop = endFrame ?? totalFrames;
    for (let s = t; ; s += segment) {
      const f = frameOf(s);
      if (f >= stop) break;
      keyframes.push(f - startFrame);
    }
    return { index, startFrame, endFrame, start: frameTime(startFrame, p.rate), end: endFrame === null ? p.duration : frameTime(endFrame, p.rate), keyframes };
  });
}

/** The per-output option: `"auto"`, `"off"` or `{ "seconds": n }`. */
export type ChunkingOption = 'auto' | 'off' | { seconds: number };

/** The deployment's settings: `MEDIAFORGE_CHUNKING` and `MEDIAFORGE_CHUNK_MIN_SECONDS`. */
export interface ChunkingSettings {
  mode: 'auto' | 'off';
  minSeconds: number;
}

export const DEFAULT_CHUNKING: ChunkingSettings = { mode: 'auto', minSeconds: 120 };

/** The chunk length `"auto"` asks for. */
export const AUTO_CHUNK_SECONDS = 60;

/**
 * Whether `"auto"` splits. Until chunks are queue tasks of their own (slice 2), every chunk
 * of a job runs in the one attempt that claimed it, one after another, on one worker, where
 * x264 already uses every core: splitting costs an audio pass and a stitch and gains
 * nothing, so `"auto"` stays unchunked. Slice 2 turns this on.
 */
export const AUTO_SPREADS_CHUNKS = false;

/**
 * How long the chunks of an output should be, or null for one unchunked run.
 * `MEDIAFORGE_CHUNKING=off` wins over every output's option (a deployment of one worker);
 * `{ seconds }` asks for chunks whatever the source's length; `"auto"` splits a source
 * longer than `minSeconds` once chunks can spread across workers.
 */
export function chunkRequest(option: ChunkingOption, settings: ChunkingSettings): { chunkSeconds: number; minSeconds: number } | null {
  if (settings.mode === 'off' || option === 'off') return null;
  if (option === 'auto') return AUTO_SPREADS_CHUNKS ? { chunkSeconds: AUTO_CHUNK_SECONDS, minSeconds: settings.minSeconds } : null;
  return { chunkSeconds: option.seconds, minSeconds: 0 };
}
