import { INPUT_GUARD_ARGS } from './probe.js';
import type { SourceVideoFacts } from './hls.args.js';

/** How much of the source we read packet flags from when deciding on a stream copy. */
export const KEYFRAME_INSPECT_SECONDS = 600;

/** ffprobe: the first video stream's profile, level and bitrate, and its keyframe times (packets only, no decode). */
export function buildSourceFactsArgs(inputPath: string): string[] {
  return [
    '-v', 'error', '-hide_banner', ...INPUT_GUARD_ARGS,
    '-select_streams', 'v:0',
    '-read_intervals', `%+${KEYFRAME_INSPECT_SECONDS}`,
    '-show_entries', 'stream=profile,level,bit_rate:packet=pts_time,flags',
    '-of', 'json',
    '-i', inputPath,
  ];
}

interface RawFacts {
  streams?: Array<{ profile?: string; level?: number; bit_rate?: string }>;
  packets?: Array<{ pts_time?: string; flags?: string }>;
}

export function parseSourceFacts(raw: unknown, fallbackBitrate: number | null): SourceVideoFacts {
  const r = (raw ?? {}) as RawFacts;
  const stream = r.streams?.[0];
  const bitrate = Number(stream?.bit_rate);
  const keyframeTimes: number[] = [];
  let last = 0;
  for (const p of r.packets ?? []) {
    const t = Number(p.pts_time);
    if (!Number.isFinite(t)) continue;
    last = Math.max(last, t);
    if (p.flags?.startsWith('K')) keyframeTimes.push(t);
  }
  return {
    profile: stream?.profile ?? null,
    level: typeof stream?.level === 'number' && stream.level > 0 ? stream.level : null,
    bitrate: Number.isFinite(bitrate) && bitrate > 0 ? bitrate : fallbackBitrate,
    keyframeTimes: r.packets ? keyframeTimes : null,
    inspectedUntil: last,
  };
}
