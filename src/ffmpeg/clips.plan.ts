import { DomainError } from '../domain/errors.js';
import { MAX_CLIPS, type ClipsOutputSpec } from '../domain/outputs/clips.spec.js';
import { toSeconds } from '../domain/outputs/timecode.js';

/** One clip to cut: times in source seconds. */
export interface PlannedClip {
  file: string;
  name?: string;
  start: number;
  end: number;
}

/** Below this, a leftover piece is float noise, not a clip. */
const EPS = 0.001;

export const clipFileName = (index: number, total: number) =>
  `clip-${String(index + 1).padStart(Math.max(3, String(total).length), '0')}.mp4`;

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The clips a spec asks for, checked against the input's duration. */
export function planClips(spec: ClipsOutputSpec, duration: number | null): Array<Omit<PlannedClip, 'file'>> {
  if (duration === null || !(duration > 0)) {
    throw new DomainError('output_unsupported', 'clips need an input with a known duration');
  }
  const past = (t: number) => new DomainError('output_unsupported', `${t} s is past the end of the input (${duration} s)`);
  if (spec.ranges) {
    return spec.ranges.map((r) => {
      const start = toSeconds(r.start);
      if (start >= duration - EPS) throw past(start);
      return { name: r.name, start, end: round6(Math.min(toSeconds(r.end), duration)) };
    });
  }
  const start = spec.start !== undefined ? toSeconds(spec.start) : 0;
  if (start >= duration - EPS) throw past(start);
  const end = round6(Math.min(spec.end !== undefined ? toSeconds(spec.end) : duration, duration));
  if (spec.segmentSeconds === undefined) return [{ start, end }];
  const step = spec.segmentSeconds;
  const count = Math.ceil((end - start) / step - EPS / step);
  if (count > MAX_CLIPS) {
    throw new DomainError('limit_exceeded', `segmentSeconds ${step} would make ${count} clips; the limit is ${MAX_CLIPS}`, {
      limit: 'clips', value: count, max: MAX_CLIPS,
    });
  }
  const clips: Array<{ start: number; end: number }> = [];
  for (let i = 0; i < count; i++) {
    const s = round6(start + i * step);
    clips.push({ start: s, end: round6(Math.min(end, start + (i + 1) * step)) });
  }
  return clips;
}

/**
 * Fast mode copies packets, so a clip can only start on a keyframe. Each clip starts at the
 * last keyframe at or before its requested start and ends where the next cut starts (the
 * last keyframe at or before its requested end), so a series stays gap-free. Clips that
 * collapse onto the same keyframe are merged away.
 */
export function snapToKeyframes<T extends { start: number; end: number }>(clips: T[], keyframes: number[], duration: number): T[] {
  const kfs = [...keyframes].sort((a, b) => a - b);
  if (kfs.length === 0) throw new DomainError('output_unsupported', 'the input has no keyframes to cut at; use mode "accurate"');
  const atOrBefore = (t: number) => {
    let found = kfs[0];
    for (const k of kfs) {
      if (k <= t + EPS) found = k;
      else break;
    }
    return found;
  };
  const out: T[] = [];
  for (const clip of clips) {
    const start = atOrBefore(clip.start);
    let end = clip.end >= duration - EPS ? duration : atOrBefore(clip.end);
    if (end <= start + EPS) end = kfs.find((k) => k > start + EPS) ?? duration;
    if (out.some((o) => Math.abs(o.start - start) < EPS && Math.abs(o.end - end) < EPS)) continue;
    out.push({ ...clip, start: round6(start), end: round6(end) });
  }
  return out;
}

/** Keyframe times from `ffprobe -show_entries packet=pts_time,flags` JSON. */
export function parseKeyframes(raw: unknown): number[] {
  const packets = (raw as { packets?: Array<{ pts_time?: string; flags?: string }> })?.packets ?? [];
  const times = packets.filter((p) => p.flags?.includes('K') && p.pts_time !== undefined).map((p) => Number(p.pts_time));
  return [...new Set(times.filter((t) => Number.isFinite(t)))].sort((a, b) => a - b);
}
