import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkRequest, DEFAULT_CHUNKING, parseRate, planChunks, type ChunkRange, type FrameRate } from '../domain/chunk-plan.js';
import type { HlsOutputSpec } from '../domain/job-spec.js';
import { buildVideoTimesProbeArgs, chunkFileName, chunkSeconds, concatList, parseVideoTimes } from '../ffmpeg/chunk.args.js';
import { buildHlsAudioArgs, buildHlsChunkArgs, buildHlsStitchArgs, buildStoryboardArgs, encodedRungs } from '../ffmpeg/hls-chunk.args.js';
import { DEFAULT_ENCODING, type PreparedHls } from './hls.plan.js';
import { runChunkRuns, type ChunkRun } from './chunk-runs.js';
import { DEFAULT_PROBE_TIMEOUT_MS, type PipelineContext } from './pipeline.types.js';

export interface ChunkedLadder {
  chunks: ChunkRange[];
  rate: FrameRate;
}

/**
 * The chunks of an HLS output, or null for the one-run ladder: chunking asked for (and not
 * off for the deployment), a video ladder with at least one rung to encode, and ffmpeg 5
 * or newer (the stitch stream-copies into the HLS muxer, which older builds cut late: the
 * same reason a top rung is not copied there). One chunk is no chunking.
 */
export async function planHlsChunks(
  spec: HlsOutputSpec,
  prep: PreparedHls,
  ctx: Pick<PipelineContext, 'encoding' | 'runner' | 'inputPath' | 'signal' | 'probeTimeoutMs'>,
): Promise<ChunkedLadder | null> {
  const request = chunkRequest(spec.chunking, ctx.encoding?.chunking ?? DEFAULT_CHUNKING);
  const { plan } = prep;
  if (!request || !plan.ladder.fps || encodedRungs(plan).length === 0 || ctx.runner.caps.major < 5) return null;
  const rate = parseRate(plan.ladder.fps);
  if (!rate) return null;
  const input = { duration: plan.duration, rate, segmentSeconds: plan.segmentSeconds, chunkSeconds: request.chunkSeconds, minSeconds: request.minSeconds };
  if (planChunks(input).length < 2) return null;
  // The ladder's first frame is where the fps filter puts the source's first one (rounded to the grid).
  const times = parseVideoTimes(await ctx.runner.probe(buildVideoTimesProbeArgs(ctx.inputPath, 16), { signal: ctx.signal, timeoutMs: ctx.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS }));
  const firstFrame = times.length ? Math.max(0, Math.round((times[0] * rate.num) / rate.den)) : 0;
  return { chunks: planChunks({ ...input, firstFrame }), rate };
}

/** Audio of the whole source and stitching are stream work: they count for a tenth of a chunk's second. */
const LIGHT_WEIGHT = 0.1;

/**
 * The chunked ladder (docs/hls.md#chunking): the audio once, each chunk's video for every
 * encoded rung, the storyboard sprite, then the stitch that writes the package into
 * `outDir` exactly where the one-run ladder writes it (the publisher watching that folder
 * uploads it the same way). Chunk files live in the scratch folder and are removed after
 * the stitch.
 */
export async function encodeHlsChunked(ctx: PipelineContext, prep: PreparedHls, ladder: ChunkedLadder, outDir: string, onProgress: (fraction: number) => void): Promise<void> {
  const { plan } = prep;
  const dir = join(ctx.workDir, 'chunks');
  await mkdir(dir, { recursive: true });
  const encoding = ctx.encoding ?? DEFAULT_ENCODING;
  const caps = ctx.runner.caps;
  const audioPath = plan.hasAudio ? join(dir, 'audio.m4a') : null;
  const runs: ChunkRun[] = [];
  if (audioPath) runs.push({ args: buildHlsAudioArgs(caps, { inputPath: ctx.inputPath, outputPath: audioPath }), weight: plan.duration * LIGHT_WEIGHT, span: plan.duration });
  ladder.chunks.forEach((chunk, k) => {
    const last = k === ladder.chunks.length - 1;
    const seconds = chunkSeconds(chunk, ladder.rate);
    runs.push({ args: buildHlsChunkArgs(plan, chunk, { last, rate: ladder.rate }, caps, encoding, { inputPath: ctx.inputPath, dir }), weight: seconds, span: seconds });
  });
  if (plan.storyboard) runs.push({ args: buildStoryboardArgs(plan, { inputPath: ctx.inputPath, spritePath: prep.spritePath }), weight: plan.duration * LIGHT_WEIGHT, span: plan.duration });
  const lists = new Map<number, string>();
  for (const i of encodedRungs(plan)) {
    const path = join(dir, `v${i}.ffconcat`);
    const entries = ladder.chunks.map((c) => ({ file: chunkFileName(c.index, `v${i}`), seconds: c.endFrame === null ? null : chunkSeconds(c, ladder.rate) }));
    await writeFile(path, concatList(entries));
    lists.set(i, path);
  }
  runs.push({ args: buildHlsStitchArgs(plan, { inputPath: ctx.inputPath, lists, audioPath, outDir, videoStart: ladder.chunks[0].start }), weight: plan.duration * LIGHT_WEIGHT, span: plan.duration });
  try {
    await runChunkRuns(ctx, runs, onProgress);
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
