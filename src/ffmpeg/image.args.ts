import { DomainError } from '../domain/errors.js';
import type { MediaMetadata } from '../domain/media.js';
import type { ImageOutputSpec } from '../domain/outputs/image.spec.js';
import type { Capabilities } from '../domain/ffmpeg.js';
import { headArgs, imageEncoding, inputArgs, type ImageEncoding } from './common.args.js';
import { NO_AUTOROTATE, squarePixelSize, uprightFilters } from './geometry.js';

export interface ImageGeometry {
  filters: string[];
  width: number;
  height: number;
}

/**
 * Sizes are computed here so the filters hold plain numbers and tests can check them. The
 * box applies to the upright picture (EXIF orientation applied), which is what is written.
 */
export function imageGeometry(spec: ImageOutputSpec, meta: MediaMetadata): ImageGeometry {
  const src = squarePixelSize(meta);
  if (!src) throw new DomainError('input_invalid', 'the image has no known size');
  const pre = uprightFilters(meta);
  const { width: W, height: H } = src;
  const { width: bw, height: bh } = spec;
  if (bw === undefined && bh === undefined) return { filters: pre, width: W, height: H };
  if ((spec.fit === 'cover' || spec.fit === 'fill') && bw !== undefined && bh !== undefined) {
    if (spec.fit === 'fill') return { filters: [...pre, `scale=${bw}:${bh}`], width: bw, height: bh };
    const s = Math.max(bw / W, bh / H);
    const [sw, sh] = [Math.max(bw, Math.round(W * s)), Math.max(bh, Math.round(H * s))];
    return { filters: [...pre, `scale=${sw}:${sh}`, `crop=${bw}:${bh}`], width: bw, height: bh };
  }
  const s = Math.min(bw !== undefined ? bw / W : Infinity, bh !== undefined ? bh / H : Infinity, 1);
  const [w, h] = [Math.max(1, Math.round(W * s)), Math.max(1, Math.round(H * s))];
  return { filters: w === W && h === H ? pre : [...pre, `scale=${w}:${h}`], width: w, height: h };
}

/** Encoder arguments per format; AVIF through libaom-av1 as a still picture. */
export function imageOutputEncoding(spec: ImageOutputSpec, caps: Pick<Capabilities, 'encoders'>): ImageEncoding {
  if (spec.format === 'avif') {
    if (!caps.encoders.has('libaom-av1')) throw new DomainError('output_unsupported', 'this ffmpeg build has no AVIF encoder (libaom-av1); use webp, jpg or png');
    // crf 63 (worst) … 0 (best); default ≈ quality 70.
    const crf = Math.round(63 - ((spec.quality ?? 70) / 100) * 63);
    return { codecArgs: ['-c:v', 'libaom-av1', '-still-picture', '1', '-crf', String(crf), '-cpu-used', '6', '-pix_fmt', 'yuv420p', '-f', 'avif'], extension: 'avif' };
  }
  const enc = imageEncoding(spec.format, spec.quality, caps);
  if (!enc) throw new DomainError('output_unsupported', `this ffmpeg build has no ${spec.format} encoder; use jpg or png`);
  return { codecArgs: [...enc.codecArgs, '-f', 'image2', '-update', '1'], extension: enc.extension };
}

export function buildImageArgs(
  spec: ImageOutputSpec,
  meta: MediaMetadata,
  caps: Pick<Capabilities, 'encoders'>,
  io: { inputPath: string; outputPath: string },
): string[] {
  const geometry = imageGeometry(spec, meta);
  const enc = imageOutputEncoding(spec, caps);
  return [
    ...headArgs(), ...inputArgs(io.inputPath, NO_AUTOROTATE),
    '-map', '0:v:0', '-frames:v', '1', '-map_metadata', '-1',
    ...(geometry.filters.length ? ['-vf', geometry.filters.join(',')] : []),
    ...enc.codecArgs,
    io.outputPath,
  ];
}
