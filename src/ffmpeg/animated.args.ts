import { DomainError } from '../domain/errors.js';
import type { MediaMetadata } from '../domain/media.js';
import type { AnimatedOutputSpec } from '../domain/outputs/animated.spec.js';
import { toSeconds } from '../domain/outputs/timecode.js';
import type { Capabilities } from '../domain/ffmpeg.js';
import { secondsArg } from './clips.args.js';
import { headArgs, inputArgs, scaleFilters } from './common.args.js';
import { chain, planDeinterlace } from './deinterlace.js';
import { squarePixelSize } from './geometry.js';

/** The preview's window in the source, clamped to the input. */
export function previewWindow(spec: AnimatedOutputSpec, duration: number | null): { start: number; duration: number } {
  const start = toSeconds(spec.start);
  if (duration === null) return { start, duration: spec.duration };
  if (start >= duration) throw new DomainError('output_unsupported', `the preview starts at ${start} s, past the end of the input (${duration} s)`);
  return { start, duration: Math.min(spec.duration, Math.round((duration - start) * 1e6) / 1e6) };
}

export function previewWidth(spec: AnimatedOutputSpec, meta: MediaMetadata): number {
  const size = squarePixelSize(meta);
  const w = size ? Math.min(spec.width, size.width) : spec.width;
  return Math.max(2, w - (w % 2));
}

/**
 * GIF: one run with palettegen → paletteuse, so the 256 colours are chosen from these very
 * frames (stats_mode=diff favours what moves) instead of a fixed web palette.
 * WebP: libwebp_anim keeps full colour, so it needs no palette.
 */
export function buildAnimatedArgs(
  spec: AnimatedOutputSpec,
  meta: MediaMetadata,
  caps: Pick<Capabilities, 'encoders'>,
  io: { inputPath: string; outputPath: string },
): string[] {
  const win = previewWindow(spec, meta.duration);
  const deint = planDeinterlace(spec.deinterlace, meta).filter;
  const base = chain(deint, ...scaleFilters(meta), `fps=${spec.fps}`, `scale=${previewWidth(spec, meta)}:-2:flags=lanczos`);
  const head = [...headArgs(), ...inputArgs(io.inputPath, ['-ss', secondsArg(win.start)]), '-t', secondsArg(win.duration), '-map', '0:v:0', '-an', '-sn', '-dn', '-map_metadata', '-1'];
  if (spec.type === 'gif') {
    if (!caps.encoders.has('gif')) throw new DomainError('output_unsupported', 'this ffmpeg build has no GIF encoder');
    const vf = `${base},split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=5:diff_mode=rectangle`;
    return [...head, '-vf', vf, '-loop', '0', '-f', 'gif', io.outputPath];
  }
  if (!caps.encoders.has('libwebp_anim')) throw new DomainError('output_unsupported', 'this ffmpeg build has no animated WebP encoder (libwebp_anim); ask for a gif');
  return [...head, '-vf', base, '-c:v', 'libwebp_anim', '-quality', String(spec.quality), '-compression_level', '4', '-loop', '0', '-f', 'webp', io.outputPath];
}
