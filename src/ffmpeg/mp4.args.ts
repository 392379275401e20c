import type { MediaMetadata } from '../domain/media.js';
import type { Mp4OutputSpec } from '../domain/outputs/mp4.spec.js';
import type { Capabilities } from '../domain/ffmpeg.js';
import { aacArgs, h264Args, mapArgs } from './clips.args.js';
import { headArgs, inputArgs } from './common.args.js';
import { chain, planDeinterlace, wantsDeinterlace, type DeinterlacePlan } from './deinterlace.js';
import { planFrame, squarePixelSize, type FramePlan } from './geometry.js';

export const DEFAULT_CRF = 23;

/**
 * Whether the source already is what was asked for, so the rendition is a remux: H.264
 * 4:2:0 with square pixels, AAC or no audio, no taller than `height`, no more bits than
 * `bitrate`, and not to be deinterlaced. A crf asks for a re-encode at that quality, so it
 * never copies.
 */
export function mp4CanCopy(spec: Mp4OutputSpec, meta: MediaMetadata): boolean {
  const size = squarePixelSize(meta);
  return (
    meta.kind === 'video' &&
    meta.videoCodec === 'h264' &&
    meta.pixelFormat === 'yuv420p' &&
    (meta.sampleAspectRatio === null || meta.sampleAspectRatio === '1:1') &&
    (!meta.hasAudio || meta.audioCodec === 'aac') &&
    spec.crf === undefined &&
    !wantsDeinterlace(spec.deinterlace, meta) &&
    (spec.height === undefined || (size !== null && spec.height >= size.height)) &&
    (spec.bitrate === undefined || (meta.bitrate !== null && meta.bitrate <= spec.bitrate * 1000))
  );
}

export function mp4Frame(spec: Mp4OutputSpec, meta: MediaMetadata): FramePlan {
  return planFrame(meta, { aspect: 'source', fit: 'crop', background: 'black', maxHeight: spec.height });
}

export function mp4Deinterlace(spec: Mp4OutputSpec, meta: MediaMetadata): DeinterlacePlan {
  return planDeinterlace(spec.deinterlace, meta, { rate: spec.deinterlaceRate });
}

export function buildMp4Args(
  spec: Mp4OutputSpec,
  meta: MediaMetadata,
  caps: Pick<Capabilities, 'encoders'>,
  io: { inputPath: string; outputPath: string },
): string[] {
  return [...headArgs(), ...inputArgs(io.inputPath), ...mp4OutputArgs(spec, meta, caps, io.outputPath)];
}

/** Everything after the input: streams, codecs and the file (also one output of a fused run). */
export function mp4OutputArgs(spec: Mp4OutputSpec, meta: MediaMetadata, caps: Pick<Capabilities, 'encoders'>, outputPath: string): string[] {
  const tail = ['-movflags', '+faststart', '-f', 'mp4', outputPath];
  if (mp4CanCopy(spec, meta)) return [...mapArgs(meta), '-c', 'copy', ...tail];
  const vf = chain(mp4Deinterlace(spec, meta).filter, mp4Frame(spec, meta).vf);
  const rate = spec.bitrate !== undefined ? { bitrateKbps: spec.bitrate } : { crf: spec.crf ?? DEFAULT_CRF };
  return [...mapArgs(meta), ...(vf ? ['-vf', vf] : []), ...h264Args(caps, spec.preset, rate), ...aacArgs(meta, spec.audioBitrate), ...tail];
}
