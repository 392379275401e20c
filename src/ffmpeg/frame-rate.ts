import type { FieldOrder } from '../domain/media.js';

/** A frame rate as a number and as ffmpeg's `fps` filter takes it (`30`, `30000/1001`). */
export interface Rate {
  value: number;
  expr: string;
}

/** The rates players and encoders expect; a measured rate this close to one is that one. */
const STANDARD_RATES: Rate[] = [
  ['10', 10], ['12', 12], ['25/2', 12.5], ['15', 15], ['20', 20],
  ['24000/1001', 24000 / 1001], ['24', 24], ['25', 25], ['30000/1001', 30000 / 1001], ['30', 30],
  ['48', 48], ['50', 50], ['60000/1001', 60000 / 1001], ['60', 60], ['72', 72], ['90', 90], ['100', 100],
  ['120000/1001', 120000 / 1001], ['120', 120], ['144', 144], ['240', 240],
].map(([expr, value]) => ({ expr: String(expr), value: Number(value) }));

/** Relative distance under which a rate snaps to a standard one (29.97 → 30000/1001, 30.02 → 30). */
const SNAP_TOLERANCE = 0.005;

/** The closest standard rate within 0.5 %, else the rate itself rounded to the millisecond. */
export function snapRate(fps: number): Rate {
  let best: Rate | null = null;
  for (const r of STANDARD_RATES) {
    if (Math.abs(fps - r.value) / r.value <= SNAP_TOLERANCE && (!best || Math.abs(fps - r.value) < Math.abs(fps - best.value))) best = r;
  }
  if (best) return best;
  const rounded = Math.round(fps * 1000) / 1000;
  return { value: rounded, expr: String(rounded) };
}

/** Above this, an `r_frame_rate` is a time base (1000/1, 90000/1), not a rate the video plays at. */
const MAX_PLAUSIBLE_FPS = 240;

const INTERLACED_ORDERS = new Set<FieldOrder | null>(['tt', 'bb', 'tb', 'bt']);

/**
 * The rate the video really reaches. ffprobe's `avg_frame_rate` is frames over duration, so
 * a variable-frame-rate source (a 30 fps part and a 10 fps part) averages to an odd 20.3,
 * while `r_frame_rate` is the smallest rate that represents every timestamp: the peak
 * (30). `r_frame_rate` is trusted when it is at least the average and a plausible rate;
 * for interlaced H.264 some demuxers give the field rate there (50 for 25i), so twice the
 * average on an interlaced stream means the average.
 */
export function peakFrameRate(rFrameRate: number | null, avgFrameRate: number | null, fieldOrder: FieldOrder | null): number | null {
  const r = rFrameRate;
  const avg = avgFrameRate;
  if (r === null) return avg;
  if (avg !== null && r < avg * 0.99) return avg;
  if (r > MAX_PLAUSIBLE_FPS && !(avg !== null && r <= avg * 1.01)) return avg;
  if (avg !== null && INTERLACED_ORDERS.has(fieldOrder) && Math.abs(r - 2 * avg) <= 0.01 * r) return avg;
  return r;
}

/**
 * A constant output rate for a source whose peak rate is `sourceFps`: that rate (snapped to
 * a standard one), capped at `maxFps` by an integer divisor so motion stays even
 * (120 → 60, 50 stays 50 under 60, 59.94 → 29.97 under 30). Unknown: 30.
 */
export function outputFps(sourceFps: number | null, maxFps: number): Rate {
  const src = sourceFps && sourceFps > 0 && sourceFps <= 1000 ? snapRate(sourceFps) : snapRate(30);
  if (src.value <= maxFps + 0.01) return src;
  return snapRate(src.value / Math.ceil(src.value / maxFps - 0.01));
}

/**
 * Whether a stream's packet times (seconds, any order) are one constant-rate grid: the k-th
 * is k frames of `fps` after the first, within a quarter frame (Matroska's millisecond
 * timestamps stay well inside). Containers that report the average rate as the stream's rate
 * (Matroska, for one) hide a variable rate from the probe; the packets do not.
 */
export function onFrameGrid(times: number[], fps: number): boolean {
  if (!(fps > 0) || times.length === 0) return false;
  const sorted = [...times].sort((a, b) => a - b);
  const frame = 1 / fps;
  // Against the grid from the first packet, not step by step: a slightly different rate drifts off it.
  return sorted.every((t, k) => Math.abs(t - sorted[0] - k * frame) <= frame / 4);
}
