import type { ChunkRange, FrameRate } from '../domain/chunk-plan.js';
import type { Capabilities } from '../domain/ffmpeg.js';
import { chunkFileName, chunkInputArgs, chunkKeyframeTimes, concatInputArgs } from './chunk.args.js';
import { secondsArg } from './clips.args.js';
import { headArgs, inputArgs } from './common.args.js';
import { chain } from './deinterlace.js';
import {
  constantRateChain, hlsAudioCodecArgs, hlsMuxerArgs, ladderKeyframeArgs, rungScaleFilter, spriteOutputArgs, storyboardFilter, videoEncodeArgs,
  type HlsEncoding, type HlsPlan,
} from './hls.args.js';

/**
 * A chunked HLS ladder (docs/hls.md#chunking): every chunk encodes the video of every
 * encoded rung into its own file, the audio is encoded once for the whole source, and a
 * stitch run lets the HLS muxer cut the joined streams into the same package an unchunked
 * run writes. These are the argument lists of those runs.
 */

/** Rungs the chunks encode (a stream-copied top rung is taken from the source at the stitch). */
export function encodedRungs(plan: HlsPlan): number[] {
  return plan.ladder.rungs.map((_, i) => i).filter((i) => !(plan.copyTop && i === 0));
}

/**
 * One chunk of the ladder, video only: decode once, the graph of the unchunked run
 * (deinterlace, constant rate, and for the last chunk the pad to the source's duration),
 * then `trim` on output frames — exactly the chunk's frames — and one encode per rung with
 * keyframes on the chunk's segment starts. Timestamps start at 0 in each file; the concat
 * list of the stitch puts every chunk where the one before it ends.
 */
export function buildHlsChunkArgs(
  plan: HlsPlan,
  chunk: ChunkRange,
  opts: { last: boolean; rate: FrameRate },
  caps: Pick<Capabilities, 'encoders' | 'hasFpsMode'>,
  enc: HlsEncoding,
  io: { inputPath: string; dir: string },
): string[] {
  const rungs = encodedRungs(plan);
  const cut = chunk.endFrame === null || opts.last
    ? `trim=start_pts=${chunk.startFrame}:end=${secondsArg(plan.duration)}`
    : `trim=start_pts=${chunk.startFrame}:end_pts=${chunk.endFrame}`;
  const pad = opts.last ? `tpad=stop_mode=clone:stop_duration=${secondsArg(plan.endPad)}` : null;
  const head = chain(plan.deinterlace.filter, `fps=${plan.ladder.fps}`, pad, cut, 'setpts=PTS-STARTPTS');
  const graph = [`[0:v:0]${head},split=${rungs.length}${rungs.map((i) => `[s${i}]`).join('')}`];
  for (const i of rungs) graph.push(`[s${i}]${rungScaleFilter(plan.ladder.rungs[i])}[v${i}]`);
  const keyframes = chunkKeyframeTimes(chunk, opts.rate);
  const outputs = rungs.flatMap((i) => [
    '-map', `[v${i}]`, '-an', '-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1',
    ...videoEncodeArgs(plan.ladder.rungs[i], 0, enc),
    ...ladderKeyframeArgs(plan, keyframes, enc, caps),
    '-f', 'mp4', `${io.dir}/${chunkFileName(chunk.index, `v${i}`)}`,
  ]);
  return [...headArgs(), ...inputArgs(io.inputPath, chunkInputArgs(chunk)), '-filter_complex', graph.join(';'), ...outputs];
}

/** The audio of the whole source, once, as the ladder carries it (AAC-LC stereo 48 kHz). */
export function buildHlsAudioArgs(caps: Pick<Capabilities, 'encoders'>, io: { inputPath: string; outputPath: string }): string[] {
  return [
    ...headArgs(), ...inputArgs(io.inputPath),
    '-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1',
    ...hlsAudioCodecArgs(caps), '-f', 'mp4', io.outputPath,
  ];
}

/** The storyboard sprite alone: the unchunked run's storyboard branch, from the same constant-rate graph. */
export function buildStoryboardArgs(plan: HlsPlan, io: { inputPath: string; spritePath: string }): string[] {
  if (!plan.storyboard) throw new TypeError('no storyboard planned');
  return [
    ...headArgs(), ...inputArgs(io.inputPath),
    '-filter_complex', `[0:v:0]${constantRateChain(plan)},${storyboardFilter(plan.storyboard)}[sprite]`,
    '-map', '[sprite]', ...spriteOutputArgs(io.spritePath),
  ];
}

/**
 * The stitch: each encoded rung's chunks joined by the concat demuxer, a stream-copied top
 * rung from the source, the one audio track muxed into every rung, all stream copy, into
 * the HLS muxer with the unchunked run's options. The muxer cuts at the keyframes the
 * chunks put on every segment start, so the playlists, segment names and sequence numbers
 * are those of one run, without a discontinuity. `videoStart`: where the first chunk's first
 * frame sits on the source's timeline.
 */
export function buildHlsStitchArgs(
  plan: HlsPlan,
  io: { inputPath: string; lists: Map<number, string>; audioPath: string | null; outDir: string; videoStart?: number },
): string[] {
  const inputs: string[] = [];
  const videoInput = new Map<number, number>();
  let n = 0;
  plan.ladder.rungs.forEach((_, i) => {
    const list = io.lists.get(i);
    if (list) inputs.push(...concatInputArgs(list, io.videoStart ?? 0));
    else if (plan.copyTop && i === 0) inputs.push(...inputArgs(io.inputPath));
    else throw new TypeError(`no chunks for rung ${i}`);
    videoInput.set(i, n++);
  });
  const audio = plan.hasAudio ? n : null;
  if (audio !== null) {
    if (!io.audioPath) throw new TypeError('the plan has audio but no audio file was made');
    inputs.push('-protocol_whitelist', 'file', '-i', io.audioPath);
  }
  const maps = plan.ladder.rungs.flatMap((_, i) => ['-map', `${videoInput.get(i)}:v:0`, ...(audio !== null ? ['-map', `${audio}:a:0`] : [])]);
  return [...headArgs(), ...inputs, ...maps, '-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1', '-c', 'copy', ...hlsMuxerArgs(plan, io.outDir)];
}
