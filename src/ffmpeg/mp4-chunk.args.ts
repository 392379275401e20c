import type { ChunkRange, FrameRate } from '../domain/chunk-plan.js';
import { frameTime } from '../domain/chunk-plan.js';
import type { Capabilities } from '../domain/ffmpeg.js';
import type { MediaMetadata } from '../domain/media.js';
import type { Mp4OutputSpec } from '../domain/outputs/mp4.spec.js';
import { chunkInputArgs, concatInputArgs } from './chunk.args.js';
import { aacArgs, h264Args, secondsArg } from './clips.args.js';
import { headArgs, inputArgs } from './common.args.js';
import { chain } from './deinterlace.js';
import { DEFAULT_CRF, mp4Deinterlace, mp4Frame } from './mp4.args.js';

/**
 * A chunked MP4 rendition (docs/hls.md#chunking): each chunk's video encoded alone from a
 * seek, the audio once, then the concat demuxer joins the chunks with stream copy and the
 * one audio track, `+faststart`. Only for a constant-rate source: the cut is on the
 * source's own frames, which the rate places.
 */

/**
 * The cut of a chunk on source timestamps, a quarter frame early: the frame on the
 * boundary goes to the chunk it starts, whatever the float rounding of the printed time
 * (and a field-rate deinterlace's in-between frames stay with their own frame).
 */
function cutFilter(chunk: ChunkRange, rate: FrameRate): string | null {
  const lead = frameTime(0.25, rate);
  const start = chunk.startFrame > 0 ? `start=${secondsArg(frameTime(chunk.startFrame, rate) - lead)}` : null;
  const end = chunk.endFrame === null ? null : `end=${secondsArg(frameTime(chunk.endFrame, rate) - lead)}`;
  const bounds = [start, end].filter(Boolean).join(':');
  return bounds ? `trim=${bounds}` : null;
}

/** One chunk, video only, with the rendition's own filters and encoder (the unchunked run's, after the cut). */
export function buildMp4ChunkArgs(
  spec: Mp4OutputSpec,
  meta: MediaMetadata,
  caps: Pick<Capabilities, 'encoders'>,
  chunk: ChunkRange,
  rate: FrameRate,
  io: { inputPath: string; outputPath: string },
): string[] {
  const vf = chain(mp4Deinterlace(spec, meta).filter, cutFilter(chunk, rate), 'setpts=PTS-STARTPTS', mp4Frame(spec, meta).vf);
  const quality = spec.bitrate !== undefined ? { bitrateKbps: spec.bitrate } : { crf: spec.crf ?? DEFAULT_CRF };
  return [
    ...headArgs(), ...inputArgs(io.inputPath, chunkInputArgs(chunk)),
    '-map', '0:v:0', '-an', '-sn', '-dn', '-map_metadata', '-1', '-vf', vf,
    ...h264Args(caps, spec.preset, quality), '-f', 'mp4', io.outputPath,
  ];
}

/** The rendition's audio, once for the whole source. */
export function buildMp4AudioArgs(spec: Mp4OutputSpec, meta: MediaMetadata, io: { inputPath: string; outputPath: string }): string[] {
  return [...headArgs(), ...inputArgs(io.inputPath), '-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1', ...aacArgs(meta, spec.audioBitrate), '-f', 'mp4', io.outputPath];
}

/** The chunks joined (concat demuxer, stream copy) with the audio, index first (`+faststart`). */
export function buildMp4StitchArgs(io: { listPath: string; audioPath: string | null; outputPath: string }): string[] {
  return [
    ...headArgs(),
    ...concatInputArgs(io.listPath),
    ...(io.audioPath ? ['-protocol_whitelist', 'file', '-i', io.audioPath] : []),
    '-map', '0:v:0', ...(io.audioPath ? ['-map', '1:a:0'] : []), '-sn', '-dn', '-map_metadata', '-1',
    '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', io.outputPath,
  ];
}
