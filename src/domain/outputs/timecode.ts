import { z } from 'zod';

const TIMECODE = /^(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2}(?:\.\d{1,6})?)$/;
const MAX_SECONDS = 86_400 * 7;

/** Seconds from a number or an `HH:MM:SS.mmm` / `MM:SS.mmm` string; null when it is neither. */
export function parseTimecode(value: number | string): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 && value <= MAX_SECONDS ? value : null;
  const trimmed = value.trim();
  if (/^\d+(?:\.\d{1,6})?$/.test(trimmed)) return parseTimecode(Number(trimmed));
  const m = TIMECODE.exec(trimmed);
  if (!m) return null;
  const [h, min, s] = [Number(m[1] ?? 0), Number(m[2]), Number(m[3])];
  if (min >= 60 || s >= 60) return null;
  return parseTimecode(Math.round((h * 3600 + min * 60 + s) * 1e6) / 1e6);
}

/** A point in the source: seconds, or a string such as "00:01:30.500". Kept as given; parse with parseTimecode. */
export const timecode = z
  .union([z.number(), z.string().max(32)])
  .refine((v) => parseTimecode(v) !== null, { message: 'a time is seconds (e.g. 90.5) or "HH:MM:SS.mmm" (e.g. "00:01:30.500")' })
  .describe('Seconds, or "HH:MM:SS.mmm".');

export type Timecode = z.infer<typeof timecode>;

/** For values that already passed the schema. */
export function toSeconds(value: Timecode): number {
  const s = parseTimecode(value);
  if (s === null) throw new TypeError(`not a time: ${String(value)}`);
  return s;
}
