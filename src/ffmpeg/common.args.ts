import type { MediaMetadata } from '../domain/media.js';
import type { Capabilities } from '../domain/ffmpeg.js';
import { INPUT_GUARD_ARGS } from './probe.js';

/** Shared head of every ffmpeg command: quiet banner, machine-readable progress on stdout. */
export function headArgs(): string[] {
  return ['-hide_banner', '-nostdin', '-y', '-loglevel', 'info', '-nostats', '-progress', 'pipe:1'];
}

/** The input, read only as a local file through a demuxer the probe accepted. */
export function inputArgs(inputPath: string, pre: string[] = []): string[] {
  return [...pre, ...INPUT_GUARD_ARGS, '-i', inputPath];
}

/** Keep every selected frame with its own timestamp (no duplication or dropping). */
export function passthroughArgs(caps: Pick<Capabilities, 'hasFpsMode'>): string[] {
  return caps.hasFpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
}

/** Filters that make pixels square, then scale to a width keeping the display aspect ratio. */
export function scaleFilters(meta: MediaMetadata, width?: number): string[] {
  const filters: string[] = [];
  const sar = meta.sampleAspectRatio;
  if (sar && sar !== '1:1') filters.push('scale=trunc(iw*sar/2)*2:ih', 'setsar=1');
  if (width) filters.push(`scale=${width}:-2`);
  return filters;
}

export interface ImageEncoding {
  codecArgs: string[];
  extension: string;
}

/** Image encoder arguments; `quality` is 1 (smallest) … 100 (best). */
export function imageEncoding(format: 'jpg' | 'png' | 'webp', quality: number | undefined, caps: Pick<Capabilities, 'encoders'>): ImageEncoding | null {
  switch (format) {
    case 'jpg': {
      // mjpeg's qscale runs 2 (best) … 31 (worst). Default ≈ quality 90.
      const q = Math.round(31 - ((quality ?? 90) / 100) * 29);
      return { codecArgs: ['-c:v', 'mjpeg', '-q:v', String(Math.min(31, Math.max(2, q))), '-pix_fmt', 'yuvj420p'], extension: 'jpg' };
    }
    case 'png':
      return { codecArgs: ['-c:v', 'png', '-compression_level', '3'], extension: 'png' };
    case 'webp':
      if (!caps.encoders.has('libwebp')) return null;
      return { codecArgs: ['-c:v', 'libwebp', '-quality', String(quality ?? 80), '-compression_level', '4'], extension: 'webp' };
  }
}
