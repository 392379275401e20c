import { DomainError } from '../domain/errors.js';
import type { ThumbnailOutputSpec } from '../domain/job-spec.js';
import type { MediaMetadata } from '../domain/media.js';
import type { Capabilities } from '../domain/ffmpeg.js';
import { headArgs, imageEncoding, inputArgs, passthroughArgs } from './common.args.js';
import { planDeinterlace } from './deinterlace.js';
import { NO_AUTOROTATE, uprightFilters } from './geometry.js';

/** Candidates the `thumbnail` filter compares; spread over the whole duration. */
export const THUMBNAIL_CANDIDATES = 40;
/** Past this duration we decode keyframes only when hunting for a representative frame. */
export const KEYFRAME_ONLY_AFTER_SECONDS = 120;

/**
 * Without `time`: pick ~40 frames spread over the duration and let ffmpeg's `thumbnail`
 * filter choose the one closest to their average histogram, so a black intro, a fade or a
 * flash frame is never the poster. With `time`: the frame at that time (input seeking is
 * frame-accurate since ffmpeg decodes from the previous keyframe). The picture is turned
 * upright by our own filters, after the choice (one frame to turn, not forty).
 */
export function buildThumbnailArgs(
  spec: ThumbnailOutputSpec,
  meta: MediaMetadata,
  caps: Pick<Capabilities, 'encoders' | 'hasFpsMode'>,
  io: { inputPath: string; outputPath: string },
): string[] {
  const enc = imageEncoding(spec.format, spec.quality, caps);
  if (!enc) throw new DomainError('output_unsupported', `this ffmpeg build has no ${spec.format} encoder; use jpg or png`);
  // The one chosen frame is deinterlaced (before it is turned upright and scaled), not every candidate.
  const deint = planDeinterlace(spec.deinterlace, meta, { still: true }).filter;
  const scale = [...(deint ? [deint] : []), ...uprightFilters(meta, spec.width)];
  let pre: string[] = [...NO_AUTOROTATE];
  let filters: string[];
  if (spec.time !== undefined) {
    if (meta.duration !== null && spec.time > meta.duration) {
      throw new DomainError('output_unsupported', `thumbnail time ${spec.time} s is past the end of the input (${meta.duration} s)`);
    }
    pre = [...pre, '-ss', String(spec.time)];
    filters = [...scale, 'showinfo'];
  } else if (meta.kind === 'image' || !meta.duration) {
    filters = [...scale, 'showinfo'];
  } else {
    const keyframesOnly = meta.duration > KEYFRAME_ONLY_AFTER_SECONDS;
    if (keyframesOnly) pre = [...pre, '-skip_frame', 'nokey'];
    const step = meta.duration / THUMBNAIL_CANDIDATES;
    const pick = `isnan(prev_selected_t)+gte(t-prev_selected_t,${step.toFixed(6)})`;
    filters = [`select='${pick}'`, `thumbnail=${THUMBNAIL_CANDIDATES}`, ...scale, 'showinfo'];
  }
  return [
    ...headArgs(),
    ...inputArgs(io.inputPath, pre),
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', filters.join(','),
    ...passthroughArgs(caps),
    '-frames:v', '1',
    ...enc.codecArgs,
    '-f', 'image2', '-update', '1',
    io.outputPath,
  ];
}

export function thumbnailExtension(spec: ThumbnailOutputSpec, caps: Pick<Capabilities, 'encoders'>): string {
  const enc = imageEncoding(spec.format, spec.quality, caps);
  if (!enc) throw new DomainError('output_unsupported', `this ffmpeg build has no ${spec.format} encoder; use jpg or png`);
  return enc.extension;
}
