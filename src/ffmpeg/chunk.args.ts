import type { ChunkRange, FrameRate } from '../domain/chunk-plan.js';
import { frameTime } from '../domain/chunk-plan.js';
import { secondsArg } from './clips.args.js';
import { INPUT_GUARD_ARGS } from './probe.js';

/**
 * What every chunked output shares: how a chunk reads the source, and the concat list
 * that joins the chunks again (docs/hls.md#chunking).
 */

/**
 * How far before a chunk the decoder starts. The seek lands on the source keyframe at or
 * before this point anyway; the margin gives the `fps` filter the frame before the chunk
 * (a variable-rate source may have none exactly at the boundary) and the deinterlacer its
 * previous field.
 */
export const SEEK_MARGIN_SECONDS = 2;

/**
 * Input options of a chunk: a fast seek to the keyframe before the chunk with the
 * source's own timestamps kept (`-copyts -start_at_zero`: the same timeline the unchunked
 * run sees). The exact cut is a `trim` in the graph, on frames; when it ends, ffmpeg stops
 * reading. No input `-t`: after a fast seek it counts from the keyframe the seek reached,
 * which may lie far before the chunk (a source with 8 s GOPs lost frames at a chunk's end).
 */
export function chunkInputArgs(chunk: ChunkRange): string[] {
  return ['-noaccurate_seek', '-copyts', '-start_at_zero', '-ss', secondsArg(Math.max(0, chunk.start - SEEK_MARGIN_SECONDS))];
}

/**
 * `-force_key_frames` for a chunk: the exact start time of every frame that begins a segment,
 * relative to the chunk (ffmpeg rounds each time to the nearest frame, so the exact time
 * picks that frame and no neighbour).
 */
export function chunkKeyframeTimes(chunk: ChunkRange, rate: FrameRate): string {
  return chunk.keyframes.map((f) => secondsArg(frameTime(f, rate))).join(',');
}

/** Seconds a chunk holds: its frames at the rate, or up to the source's end for the last. */
export function chunkSeconds(chunk: ChunkRange, rate: FrameRate): number {
  return chunk.endFrame === null ? chunk.end - chunk.start : frameTime(chunk.endFrame - chunk.startFrame, rate);
}

/**
 * A list for the concat demuxer (`ffconcat version 1.0`): file names relative to the list
 * (the demuxer's safe mode accepts them), each with its duration, so every chunk starts
 * exactly where the one before it ends. The last one has none: it runs as long as it is.
 */
export function concatList(entries: Array<{ file: string; seconds: number | null }>): string {
  for (const e of entries) if (!/^[a-z0-9][a-z0-9._-]*$/i.test(e.file)) throw new TypeError(`not a plain file name: ${e.file}`);
  const lines = ['ffconcat version 1.0'];
  for (const e of entries) {
    lines.push(`file ${e.file}`);
    if (e.seconds !== null) lines.push(`duration ${secondsArg(e.seconds)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * An input read through the concat demuxer: our own intermediate files only, by name. The
 * demuxer starts the first file at 0; `offset` (seconds) puts it back where the video
 * starts in the source (a first frame after the file's start).
 */
export function concatInputArgs(listPath: string, offset = 0): string[] {
  return [...(offset > 0 ? ['-itsoffset', secondsArg(offset)] : []), '-protocol_whitelist', 'file', '-f', 'concat', '-safe', '1', '-i', listPath];
}

/** A chunk's file name: `c003_v1.mp4`. */
export function chunkFileName(index: number, stream: string): string {
  return `c${String(index).padStart(3, '0')}_${stream}.mp4`;
}

/**
 * ffprobe: the video stream's packet times and the file's start (packets only, no decode);
 * `packets` limits the read to the first few (enough to find the first frame despite B-frame
 * reordering).
 */
export function buildVideoTimesProbeArgs(inputPath: string, packets?: number): string[] {
  return [
    '-v', 'error', '-hide_banner', ...INPUT_GUARD_ARGS, '-select_streams', 'v:0',
    ...(packets ? ['-read_intervals', `%+#${packets}`] : []),
    '-show_entries', 'packet=pts_time:format=start_time', '-of', 'json', '-i', inputPath,
  ];
}

/** Video packet times in seconds from the file's start (the timeline ffmpeg decodes on), sorted. */
export function parseVideoTimes(raw: unknown): number[] {
  const r = (raw ?? {}) as { format?: { start_time?: string }; packets?: Array<{ pts_time?: string }> };
  const start = Number(r.format?.start_time);
  const zero = Number.isFinite(start) ? start : 0;
  return (r.packets ?? [])
    .map((p) => Number(p.pts_time) - zero)
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b);
}
