import type { OutputSpec } from '../domain/job-spec.js';
import type { MediaMetadata } from '../domain/media.js';

export type DeinterlaceMode = 'auto' | 'on' | 'off';
export type DeinterlaceRate = 'frame' | 'field';
type Parity = 'tff' | 'bff' | 'auto';

/**
 * Codecs that can code interlaced pictures (or, being lossless or raw, carry interlaced
 * content as it was captured). When one of these reports no field order, a short `idet`
 * scan decides; VP8/VP9/AV1, Theora, GIF and other progressive-only codecs never need it.
 */
export const INTERLACE_CAPABLE_CODECS = new Set([
  'mpeg2video', 'mpeg4', 'h264', 'hevc', 'vc1', 'wmv3', 'dvvideo', 'prores', 'dnxhd', 'mjpeg',
  'rawvideo', 'v210', 'ffv1', 'huffyuv', 'ffvhuff', 'utvideo',
]);

/** Whether the source is interlaced, the field shown first, and how we know. */
export interface SourceScan {
  interlaced: boolean;
  parity: 'tff' | 'bff' | null;
  /** Why, in words, for the output's result. */
  why: string;
  basis: 'probe' | 'idet' | null;
}

/**
 * From the probe's field order, else from the idet scan. ffmpeg's convention (its y4m and
 * DNxHD demuxers, MLT) reads `tb` as top field first and `bt` as bottom field first.
 */
export function sourceScan(meta: MediaMetadata): SourceScan {
  const order = meta.fieldOrder;
  if (order === 'tt' || order === 'tb') return { interlaced: true, parity: 'tff', why: `the source's field order is ${order}`, basis: 'probe' };
  if (order === 'bb' || order === 'bt') return { interlaced: true, parity: 'bff', why: `the source's field order is ${order}`, basis: 'probe' };
  if (order === 'progressive') return { interlaced: false, parity: null, why: 'the source is progressive', basis: 'probe' };
  const scan = meta.interlaceScan;
  if (scan) {
    const counts = `${scan.tff} top-first, ${scan.bff} bottom-first, ${scan.progressive} progressive of ${scan.tff + scan.bff + scan.progressive + scan.undetermined} frames`;
    return scan.interlaced
      ? { interlaced: true, parity: scan.parity, why: `idet found interlacing (${counts})`, basis: 'idet' }
      : { interlaced: false, parity: null, why: `idet found no interlacing (${counts})`, basis: 'idet' };
  }
  return { interlaced: false, parity: null, why: 'the field order is unknown and was not scanned', basis: null };
}

/** Whether `mode` deinterlaces this source (no ffmpeg build involved: copy decisions use it). */
export function wantsDeinterlace(mode: DeinterlaceMode, meta: MediaMetadata): boolean {
  if (meta.kind !== 'video' || mode === 'off') return false;
  return mode === 'on' || sourceScan(meta).interlaced;
}

export interface DeinterlacePlan {
  /** The filter to put first in the chain (before any crop or vertical scale), or null. */
  filter: string | null;
  method: 'bwdif' | 'yadif' | null;
  rate: DeinterlaceRate;
  reason: string;
}

/**
 * The deinterlacer for an output. Video outputs get `bwdif` (better than yadif on motion;
 * in every ffmpeg since 3.1, the npm-shipped 4.x build included), with `send_frame` (the
 * frame rate is kept) unless the field rate was asked for. Still outputs (thumbnails,
 * frames) get `yadif`: they put one or a few sparse frames through it, and on a combed test
 * source bwdif leaves a lone frame combed while yadif's spatial check cleans it.
 * `deint=all` because a source found interlaced by idet has no per-frame interlace flags;
 * the parity comes from the field order or the scan (`auto` when forced on a source that
 * says nothing).
 */
export function planDeinterlace(
  mode: DeinterlaceMode,
  meta: MediaMetadata,
  opts: { still?: boolean; rate?: DeinterlaceRate } = {},
): DeinterlacePlan {
  const rate = opts.rate ?? 'frame';
  const none = (reason: string): DeinterlacePlan => ({ filter: null, method: null, rate: 'frame', reason });
  if (meta.kind !== 'video') return none(`the input is ${meta.kind === 'image' ? 'a still image' : 'audio only'}`);
  if (mode === 'off') return none('deinterlace is off');
  const scan = sourceScan(meta);
  if (mode === 'auto' && !scan.interlaced) return none(scan.why);
  const method = opts.still ? 'yadif' : 'bwdif';
  const parity: Parity = scan.parity ?? 'auto';
  const sendField = rate === 'field' && !opts.still;
  return {
    filter: `${method}=mode=${sendField ? 'send_field' : 'send_frame'}:parity=${parity}:deint=all`,
    method,
    rate: sendField ? 'field' : 'frame',
    reason: mode === 'on' ? 'deinterlace is on' : scan.why,
  };
}

/** What an output's `result.deinterlace` says. */
export function deinterlaceResult(plan: DeinterlacePlan, withRate = true): Record<string, unknown> {
  return plan.filter
    ? { applied: true, method: plan.method, ...(withRate ? { rate: plan.rate } : {}), reason: plan.reason }
    : { applied: false, reason: plan.reason };
}

/** Filters joined for `-vf`, leaving out the empty ones. */
export function chain(...filters: Array<string | null | undefined>): string {
  return filters.filter((f): f is string => !!f).join(',');
}

/**
 * Whether the job needs an idet scan: a video whose field order is unknown, in a codec that
 * can be interlaced, with an output that takes video frames and deinterlaces on `auto`
 * (fast clips copy the streams, so they do not count). A progressive source never pays.
 */
export function needsInterlaceScan(meta: MediaMetadata, specs: OutputSpec[]): boolean {
  if (meta.kind !== 'video' || meta.interlaceScan) return false;
  if (meta.fieldOrder !== null && meta.fieldOrder !== 'unknown') return false;
  if (!meta.videoCodec || !INTERLACE_CAPABLE_CODECS.has(meta.videoCodec)) return false;
  return specs.some((s) => 'deinterlace' in s && s.deinterlace === 'auto' && !(s.type === 'clips' && s.mode === 'fast'));
}
