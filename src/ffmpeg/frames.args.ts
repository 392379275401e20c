import { DomainError } from '../domain/errors.js';
import type { FramesOutputSpec } from '../domain/job-spec.js';
import type { MediaMetadata } from '../domain/media.js';
import type { Capabilities } from '../domain/ffmpeg.js';
import { headArgs, imageEncoding, inputArgs, passthroughArgs } from './common.args.js';
import { planDeinterlace } from './deinterlace.js';
import { NO_AUTOROTATE, uprightFilters } from './geometry.js';

/** A tolerance for float time arithmetic in select expressions (well below one frame). */
const EPS = '0.000001';

/**
 * Which frames to keep, as an ffmpeg `select` expression. We select from the decoded
 * frames instead of using the `fps` filter so that every kept frame is a real source
 * frame with its own timestamp: the manifest times are exact to the frame.
 *
 * - fps/interval: the first frame of every bucket of 1/fps (or interval) seconds.
 * - count: `count` equal slices of the duration, the first frame at or after each slice's middle.
 * - times: the first frame at or after each requested time.
 */
export function selectExpression(spec: FramesOutputSpec, duration: number | null): string {
  const bucket = (size: number, offset: number) => {
    const idx = (v: string) => `floor((${v}-${offset})/${size}+${EPS})`;
    const start = offset > 0 ? `gte(t,${offset}-${EPS})*` : '';
    return `${start}(isnan(prev_selected_t)+gte(${idx('t')}-${idx('prev_selected_t')},1))`;
  };
  if (spec.fps !== undefined) return bucket(1 / spec.fps, 0);
  if (spec.interval !== undefined) return bucket(spec.interval, 0);
  if (spec.count !== undefined) {
    if (!duration) throw new DomainError('output_unsupported', '`count` needs an input with a known duration; use `times` or `fps`');
    const size = duration / spec.count;
    return bucket(size, size / 2);
  }
  const times = uniqueSortedTimes(spec.times ?? []);
  return times.map((t) => `gte(t,${t}-${EPS})*(isnan(prev_t)+lt(prev_t,${t}-${EPS}))`).join('+');
}

export function uniqueSortedTimes(times: number[]): number[] {
  return [...new Set(times.map((t) => Math.round(t * 1e6) / 1e6))].sort((a, b) => a - b);
}

/** How many frames a spec will produce at most, to enforce the per-job frame limit before running. */
export function expectedFrameCount(spec: FramesOutputSpec, duration: number | null): number {
  if (spec.count !== undefined) return spec.count;
  if (spec.times !== undefined) return uniqueSortedTimes(spec.times).length;
  const step = spec.fps !== undefined ? 1 / spec.fps : spec.interval!;
  return duration === null ? Number.POSITIVE_INFINITY : Math.max(1, Math.ceil(duration / step - 1e-9));
}

export interface FramesArgsInput {
  inputPath: string;
  /** e.g. `/tmp/…/frame-%06d.jpg` */
  outputPattern: string;
}

export function framesExtension(spec: FramesOutputSpec, caps: Pick<Capabilities, 'encoders'>): string {
  const enc = imageEncoding(spec.format, spec.quality, caps);
  if (!enc) throw new DomainError('output_unsupported', `this ffmpeg build has no ${spec.format} encoder; use jpg or png`);
  return enc.extension;
}

export function buildFramesArgs(
  spec: FramesOutputSpec,
  meta: MediaMetadata,
  caps: Pick<Capabilities, 'encoders' | 'hasFpsMode'>,
  io: FramesArgsInput,
): string[] {
  const enc = imageEncoding(spec.format, spec.quality, caps);
  if (!enc) throw new DomainError('output_unsupported', `this ffmpeg build has no ${spec.format} encoder; use jpg or png`);
  // Upright after `select`: only the kept frames are turned (autorotation would turn them all);
  // deinterlaced first, on the stored picture.
  const deint = planDeinterlace(spec.deinterlace, meta, { still: true }).filter;
  const filters = [`select='${selectExpression(spec, meta.duration)}'`, ...(deint ? [deint] : []), ...uprightFilters(meta, spec.width), 'showinfo'];
  // fast mode: the decoder skips every non-keyframe, so only keyframes reach `select`.
  const pre = [...NO_AUTOROTATE, ...(spec.mode === 'fast' ? ['-skip_frame', 'nokey'] : [])];
  return [
    ...headArgs(),
    ...inputArgs(io.inputPath, pre),
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', filters.join(','),
    ...passthroughArgs(caps),
    ...enc.codecArgs,
    '-f', 'image2', '-start_number', '1',
    io.outputPattern,
  ];
}
