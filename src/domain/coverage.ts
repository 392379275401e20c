import type { FramesOutputSpec } from './outputs/frames.spec.js';
import type { MediaMetadata } from './media.js';

/**
 * How much of the source an output really covers, against what it should cover. Each
 * pipeline measures `produced` from what it wrote (the probed file, the playlists, the
 * frames' own timestamps), never from the request.
 */
export interface Coverage {
  produced: number;
  expected: number;
  /** How far short `produced` may fall for reasons that are not missing data (frame and packet rounding). */
  tolerance: number;
}

/** Rounding at the end of a re-encoded or copied file: an audio packet, a frame, a muxer's last timestamp. */
export const END_EPSILON_SECONDS = 0.25;

export function isShort(c: Coverage): boolean {
  return c.expected - c.produced > c.tolerance + 1e-9;
}

const frameInterval = (meta: MediaMetadata) => (meta.fps ? 1 / meta.fps : 0);
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The source's end as the probe saw it for the given streams (the stream's own duration when known). */
export function sourceEnd(meta: MediaMetadata, streams: 'video' | 'audio' | 'both'): number | null {
  const video = meta.hasVideo ? meta.videoDuration ?? null : null;
  const audio = meta.hasAudio ? meta.audioDuration ?? null : null;
  const pick = streams === 'video' ? video : streams === 'audio' ? audio : video !== null || audio !== null ? Math.max(video ?? 0, audio ?? 0) : null;
  return pick ?? meta.duration;
}

/** A whole-source file (mp4 rendition, audio): its probed duration against the source's. */
export function renditionCoverage(written: number | null, meta: MediaMetadata, streams: 'audio' | 'both'): Coverage | null {
  const expected = sourceEnd(meta, streams);
  if (written === null || expected === null) return null;
  return { produced: round3(written), expected, tolerance: END_EPSILON_SECONDS + (streams === 'audio' ? 0 : frameInterval(meta)) };
}

/** An HLS package: the shortest rendition's playlist (the sum of its segments' EXTINF) against the source. */
export function hlsCoverage(renditionSeconds: number[], meta: MediaMetadata): Coverage | null {
  const expected = sourceEnd(meta, meta.hasVideo ? 'video' : 'audio');
  if (!renditionSeconds.length || expected === null) return null;
  return { produced: round3(Math.min(...renditionSeconds)), expected, tolerance: END_EPSILON_SECONDS + frameInterval(meta) };
}

/**
 * Frames: the source time the extracted frames reach. For a rate (fps, interval) the last
 * frame stands for its whole slot; for `count` for half a slice; for `times`, a missing
 * frame is a missing requested time. `fast` mode has no coverage: keyframes decide.
 */
export function framesCoverage(spec: FramesOutputSpec, frameTimes: number[], meta: MediaMetadata): Coverage | null {
  if (spec.mode === 'fast') return null;
  const end = sourceEnd(meta, 'video');
  if (spec.times !== undefined) {
    // A time after the last frame (within one frame of the end) has no frame in a whole file either.
    const wanted = [...new Set(spec.times)].sort((a, b) => a - b);
    const reachable = end === null ? wanted : wanted.filter((t) => t <= end - frameInterval(meta) + 1e-6);
    const expected = reachable[reachable.length - 1] ?? 0;
    return { produced: frameTimes.length >= reachable.length ? expected : reachable[frameTimes.length - 1] ?? 0, expected, tolerance: 0 };
  }
  if (end === null) return null;
  const expected = end;
  const last = frameTimes.reduce((a, b) => Math.max(a, b), 0);
  const slot = spec.fps !== undefined ? 1 / spec.fps : spec.interval !== undefined ? spec.interval : expected / spec.count! / 2;
  return { produced: round3(frameTimes.length ? Math.min(expected, last + slot) : 0), expected, tolerance: frameInterval(meta) };
}

/** Clips: where the last written clip ends against where the plan said it would. */
export function clipsCoverage(clips: Array<{ start: number; plannedEnd: number; written: number | null }>, meta: MediaMetadata): Coverage | null {
  if (!clips.length) return null;
  const expected = Math.max(...clips.map((c) => c.plannedEnd));
  const produced = Math.max(...clips.map((c) => c.start + (c.written ?? c.plannedEnd - c.start)));
  return { produced: round3(produced), expected: round3(expected), tolerance: END_EPSILON_SECONDS + frameInterval(meta) };
}

/** An animated preview: its frames at its rate against the window it was asked to cover. */
export function previewCoverage(frames: number, fps: number, windowSeconds: number): Coverage {
  return { produced: round3(frames / fps), expected: round3(windowSeconds), tolerance: END_EPSILON_SECONDS + 1 / fps };
}
