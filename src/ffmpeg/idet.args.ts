import type { InterlaceScan, MediaMetadata } from '../domain/media.js';
import { secondsArg } from './clips.args.js';
import { headArgs, inputArgs } from './common.args.js';

/** Frames the scan classifies: enough for idet's multi-frame detection to settle, a second or two of decode. */
export const IDET_FRAMES = 300;
/** Where the scan starts: past a title card or a fade-in, but never later than a minute in. */
const IDET_START_FRACTION = 0.1;
const IDET_START_MAX_SECONDS = 60;

/**
 * A short decode through ffmpeg's `idet` filter, behind the same input guard as every run
 * (local files, the probe's demuxers). Nothing is written; idet prints its summary on
 * stderr when the graph closes.
 */
export function buildIdetArgs(meta: Pick<MediaMetadata, 'duration'>, inputPath: string): string[] {
  const start = meta.duration && meta.duration > 0 ? Math.min(meta.duration * IDET_START_FRACTION, IDET_START_MAX_SECONDS) : 0;
  return [
    ...headArgs(),
    ...inputArgs(inputPath, start > 0 ? ['-ss', secondsArg(start)] : []),
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', 'idet',
    '-frames:v', String(IDET_FRAMES),
    '-f', 'null', '-',
  ];
}

export interface IdetCounts {
  tff: number;
  bff: number;
  progressive: number;
  undetermined: number;
}

const SUMMARY = /(Single|Multi) frame detection:\s*TFF:\s*(\d+)\s+BFF:\s*(\d+)\s+Progressive:\s*(\d+)\s+Undetermined:\s*(\d+)/;

/**
 * idet's summary lines, e.g.
 * `[Parsed_idet_0 @ 0x…] Multi frame detection: TFF:   290 BFF:     0 Progressive:    10 Undetermined:     0`.
 * The multi-frame counts (which look at neighbouring frames) are preferred; the
 * single-frame ones are the fallback. null when ffmpeg printed neither.
 */
export function parseIdet(lines: string[]): IdetCounts | null {
  let single: IdetCounts | null = null;
  let multi: IdetCounts | null = null;
  for (const line of lines) {
    const m = SUMMARY.exec(line);
    if (!m) continue;
    const counts = { tff: Number(m[2]), bff: Number(m[3]), progressive: Number(m[4]), undetermined: Number(m[5]) };
    if (m[1] === 'Multi') multi = counts;
    else single = counts;
  }
  return multi ?? single;
}

/** Fewer frames of one field order than this prove nothing. */
const MIN_EVIDENCE = 10;

/**
 * Interlaced when one field order dominates: at least half of the classified frames (and
 * ten frames), and at least four times the other order. Fine detail that moves (a zone plate, a scrolling
 * pattern) fools idet into seeing both orders about equally; real interlaced video shows
 * one. Frames idet could not classify (static pictures) count for nothing either way.
 */
export function decideInterlace(counts: IdetCounts | null): InterlaceScan {
  const c = counts ?? { tff: 0, bff: 0, progressive: 0, undetermined: 0 };
  const classified = c.tff + c.bff + c.progressive;
  const top = c.tff >= c.bff;
  const dominant = top ? c.tff : c.bff;
  const other = top ? c.bff : c.tff;
  const interlaced = dominant >= MIN_EVIDENCE && dominant * 2 >= classified && dominant >= other * 4;
  return { ...c, interlaced, parity: interlaced ? (top ? 'tff' : 'bff') : null };
}
