import type { MediaMetadata } from '../domain/media.js';
import { scaleFilters } from './common.args.js';
import { orientationFilters } from './orientation.js';

/**
 * Output frame geometry shared by clips and renditions: aspect conversion (centre crop or
 * fit over a background) and height limits. Sizes are computed here, in TypeScript, so the
 * filter strings hold plain numbers that tests can check, and old ffmpeg builds need no
 * newer scale options.
 */
export type Aspect = 'source' | '9:16' | '1:1' | '4:5';

export interface FrameRequest {
  aspect: Aspect;
  fit: 'crop' | 'pad';
  background: 'blur' | 'black';
  /** Exact output height; may upscale. */
  height?: number;
  /** Upper bound on the output height; never upscales. */
  maxHeight?: number;
}

export interface FramePlan {
  /** A simple filtergraph for `-vf` (one input, one output); empty when nothing changes. */
  vf: string;
  width: number;
  height: number;
}

/** Round to an even number (H.264 with 4:2:0 needs even sizes), at least 2. */
export const even = (x: number) => Math.max(2, Math.round(x / 2) * 2);

export function aspectValue(aspect: Aspect): number | null {
  if (aspect === 'source') return null;
  const [w, h] = aspect.split(':').map(Number);
  return w / h;
}

/**
 * Upright size with square pixels. The sample aspect ratio belongs to the stored picture,
 * so it widens the stored width (as `scaleFilters` does) before a quarter turn swaps the sides.
 */
export function squarePixelSize(meta: MediaMetadata): { width: number; height: number } | null {
  if (!meta.width || !meta.height) return null;
  let width = meta.width;
  const [n, d] = (meta.sampleAspectRatio ?? '1:1').split(':').map(Number);
  if (n && d && n !== d) width = Math.trunc((width * n) / d / 2) * 2;
  return Math.abs(meta.rotation) % 180 === 90 ? { width: meta.height, height: width } : { width, height: meta.height };
}

/**
 * ffmpeg's CLI autorotation differs between builds: ffmpeg 5.1 applies a JPEG's EXIF
 * orientation (mirrors included), the 4.x static build ignores it and turns only videos.
 * Builders that use `uprightFilters` switch autorotation off with these input options and
 * apply the probe's orientation themselves, so every build writes the same picture at the
 * size we computed, and the turn can sit after `select` (fewer frames to turn).
 */
export const NO_AUTOROTATE = ['-noautorotate'];

/** Square pixels (on the stored picture), then upright, then scaled to `width` keeping the aspect. */
export function uprightFilters(meta: MediaMetadata, width?: number): string[] {
  return [...scaleFilters(meta), ...orientationFilters(meta), ...(width ? [`scale=${width}:-2`] : [])];
}

export function planFrame(meta: MediaMetadata, req: FrameRequest): FramePlan {
  const src = squarePixelSize(meta);
  if (!src) throw new TypeError('planFrame needs a video input with a known size');
  const { width: W, height: H } = src;
  const a = aspectValue(req.aspect) ?? W / H;
  // The largest region of the target aspect inside the source.
  const [cw, ch] = req.aspect === 'source' ? [W, H] : W / H > a ? [Math.min(W, even(H * a)), H] : [W, Math.min(H, even(W / a))];
  let th = req.height ?? ch;
  if (req.maxHeight !== undefined && th > req.maxHeight) th = req.maxHeight;
  th = Math.max(2, th - (th % 2));
  const tw = th === ch - (ch % 2) ? Math.max(2, cw - (cw % 2)) : even((th * cw) / ch);

  const pre = scaleFilters(meta);
  const scaleTo = (w: number, h: number, fromW: number, fromH: number) => (w === fromW && h === fromH ? [] : [`scale=${w}:${h}`]);
  if (req.aspect === 'source' || req.fit === 'crop') {
    const crop = cw === W && ch === H ? [] : [`crop=${cw}:${ch}`];
    const chain = [...pre, ...crop, ...scaleTo(tw, th, cw, ch)];
    return { vf: chain.length ? [...chain, 'setsar=1'].join(',') : '', width: tw, height: th };
  }
  // pad: the whole picture, fitted inside the canvas.
  const [fw, fh] = W / H > tw / th ? [tw, Math.min(th, even((tw * H) / W))] : [Math.min(tw, even((th * W) / H)), th];
  const head = pre.length ? `${pre.join(',')},` : '';
  if (req.background === 'black') {
    return { vf: `${head}scale=${fw}:${fh},pad=${tw}:${th}:(ow-iw)/2:(oh-ih)/2:black,setsar=1`, width: tw, height: th };
  }
  const sigma = Math.max(4, Math.round(th / 40));
  const vf =
    `${head}split=2[bg][fg];` +
    `[bg]crop=${cw}:${ch},scale=${tw}:${th},gblur=sigma=${sigma}[bgb];` +
    `[fg]scale=${fw}:${fh}[fgs];` +
    `[bgb][fgs]overlay=(W-w)/2:(H-h)/2,setsar=1`;
  return { vf, width: tw, height: th };
}
