import { DomainError } from '../domain/errors.js';
import type { ClipsOutputSpec } from '../domain/outputs/clips.spec.js';
import type { MediaMetadata } from '../domain/media.js';
import type { Capabilities } from '../domain/ffmpeg.js';
import { headArgs, inputArgs } from './common.args.js';
import { chain, planDeinterlace, type DeinterlacePlan } from './deinterlace.js';
import type { FramePlan } from './geometry.js';
import { INPUT_GUARD_ARGS } from './probe.js';

/** Seconds as ffmpeg reads them, without float noise (`10.033333`). */
export const secondsArg = (t: number) => String(Math.round(t * 1e6) / 1e6);

/** Packet list of the first video stream: keyframe times without decoding anything. */
export function buildKeyframeProbeArgs(inputPath: string): string[] {
  return ['-v', 'error', '-hide_banner', ...INPUT_GUARD_ARGS, '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'json', '-i', inputPath];
}

export function h264Args(caps: Pick<Capabilities, 'encoders'>, preset: string, rate: { crf: number } | { bitrateKbps: number }): string[] {
  if (!caps.encoders.has('libx264')) throw new DomainError('output_unsupported', 'this ffmpeg build has no H.264 encoder (libx264)');
  const quality = 'crf' in rate
    ? ['-crf', String(rate.crf)]
    : ['-b:v', `${rate.bitrateKbps}k`, '-maxrate', `${Math.round(rate.bitrateKbps * 1.5)}k`, '-bufsize', `${rate.bitrateKbps * 2}k`];
  return ['-c:v', 'libx264', '-preset', preset, ...quality, '-pix_fmt', 'yuv420p'];
}

export function aacArgs(meta: Pick<MediaMetadata, 'hasAudio'>, bitrateKbps = 128): string[] {
  return meta.hasAudio ? ['-c:a', 'aac', '-b:a', `${bitrateKbps}k`] : ['-an'];
}

/** First video and (if any) first audio stream; no subtitles, data or source metadata. */
export function mapArgs(meta: Pick<MediaMetadata, 'hasAudio'>): string[] {
  return ['-map', '0:v:0', ...(meta.hasAudio ? ['-map', '0:a:0'] : []), '-sn', '-dn', '-map_metadata', '-1'];
}

/** Accurate clips deinterlace (bwdif first in the chain); fast clips copy the streams as they are. */
export function clipsDeinterlace(spec: Pick<ClipsOutputSpec, 'mode' | 'deinterlace' | 'deinterlaceRate'>, meta: MediaMetadata): DeinterlacePlan {
  if (spec.mode === 'fast') return { filter: null, method: null, rate: 'frame', reason: 'fast mode copies the streams as they are' };
  return planDeinterlace(spec.deinterlace, meta, { rate: spec.deinterlaceRate });
}

export interface ClipIo {
  inputPath: string;
  outputPath: string;
  start: number;
  end: number;
}

/**
 * One clip. Accurate: input seeking with re-encoding decodes from the keyframe before
 * `start` and drops frames up to it, so the clip starts exactly on the requested frame and
 * the encoder makes that frame a keyframe. Fast: packet copy from a keyframe start (the
 * caller snaps times to keyframes first).
 */
export function buildClipArgs(
  spec: Pick<ClipsOutputSpec, 'mode' | 'crf' | 'preset' | 'deinterlace' | 'deinterlaceRate'>,
  meta: MediaMetadata,
  caps: Pick<Capabilities, 'encoders'>,
  frame: FramePlan,
  io: ClipIo,
): string[] {
  const seek = ['-ss', secondsArg(io.start)];
  const head = [...headArgs(), ...inputArgs(io.inputPath, seek)];
  const tail = ['-movflags', '+faststart', '-f', 'mp4', io.outputPath];
  if (spec.mode === 'fast') {
    // -t is exclusive at its end: a packet stamped exactly at `end` belongs to the next clip.
    return [...head, '-t', secondsArg(io.end - io.start), ...mapArgs(meta), '-c', 'copy', '-avoid_negative_ts', 'make_zero', ...tail];
  }
  const vf = chain(clipsDeinterlace(spec, meta).filter, frame.vf);
  return [...head, '-t', secondsArg(io.end - io.start), ...accurateEncodeArgs(spec, meta, caps, vf), ...tail];
}

/**
 * Streams, filters and codecs of accurate clips: H.264 through `vf` (if any) and AAC, audio
 * through `af` (if any). Shared by the per-clip runs and the fused run.
 */
export function accurateEncodeArgs(
  spec: Pick<ClipsOutputSpec, 'crf' | 'preset'>,
  meta: MediaMetadata,
  caps: Pick<Capabilities, 'encoders'>,
  vf: string,
  af = '',
): string[] {
  return [
    ...mapArgs(meta),
    ...(vf ? ['-vf', vf] : []),
    ...(af && meta.hasAudio ? ['-af', af] : []),
    ...h264Args(caps, spec.preset, { crf: spec.crf }),
    ...aacArgs(meta),
  ];
}

/** Fast series whose clips follow each other: one packet-copy run through the segment muxer. */
export function isContiguousSeries(clips: Array<{ start: number; end: number }>): boolean {
  return clips.length > 1 && clips.every((c, i) => i === 0 || Math.abs(c.start - clips[i - 1].end) < 1e-6);
}

/**
 * The segment muxer cuts at the first keyframe at or after each time. The times are
 * keyframes already (snapped), given relative to the seek point and 1 ms early so that
 * rounding in the printed keyframe times cannot push a cut to the following keyframe.
 */
export function buildFastSeriesArgs(
  meta: MediaMetadata,
  clips: Array<{ start: number; end: number }>,
  io: { inputPath: string; outputPattern: string },
): string[] {
  const first = clips[0].start;
  const cuts = clips.slice(1).map((c) => secondsArg(Math.max(0, c.start - first - 0.001)));
  return [
    ...headArgs(),
    ...inputArgs(io.inputPath, ['-ss', secondsArg(first)]),
    '-t', secondsArg(clips[clips.length - 1].end - first),
    ...mapArgs(meta),
    // `disabled`, not `make_zero`: with the segment muxer, make_zero starts the first clip's
    // picture at the source's B-frame delay (e.g. 0.067 s); mp4's edit list handles the
    // negative DTS and every clip starts at 0.
    '-c', 'copy', '-avoid_negative_ts', 'disabled',
    '-f', 'segment', '-segment_times', cuts.join(','), '-segment_start_number', '1', '-reset_timestamps', '1',
    '-segment_format', 'mp4', '-segment_format_options', 'movflags=+faststart',
    io.outputPattern,
  ];
}
