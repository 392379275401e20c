import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkRequest, DEFAULT_CHUNKING, parseRate, planChunks, type ChunkRange, type FrameRate } from '../domain/chunk-plan.js';
import type { Mp4OutputSpec } from '../domain/outputs/mp4.spec.js';
import { buildVideoTimesProbeArgs, chunkFileName, chunkSeconds, concatList, parseVideoTimes } from '../ffmpeg/chunk.args.js';
import { onFrameGrid, snapRate } from '../ffmpeg/frame-rate.js';
import { buildMp4AudioArgs, buildMp4ChunkArgs, buildMp4StitchArgs } from '../ffmpeg/mp4-chunk.args.js';
import { mp4CanCopy } from '../ffmpeg/mp4.args.js';
import { runChunkRuns, type ChunkRun } from './chunk-runs.js';
import { DEFAULT_PROBE_TIMEOUT_MS, type PipelineContext } from './pipeline.types.js';

export interface ChunkedRendition {
  chunks: ChunkRange[];
  rate: FrameRate;
}

/** Rates whose frames a fraction places exactly (24, 25, 30000/1001, 25/2 …): a chunk cut is then a frame. */
const EXACT_DENOMINATORS = new Set([1, 2, 1001]);

/**
 * The chunks of an MP4 rendition, or null for one run: chunking asked for, a rendition that
 * is encoded (a remux has nothing to split), a constant-rate source at a standard rate
 * whose packets really are on that rate's grid from the file's start (the cut is on the
 * source's own frames), and ffmpeg 5 or newer. Boundaries fall on multiples of the chunk length.
 */
export async function planMp4Chunks(
  spec: Mp4OutputSpec,
  ctx: Pick<PipelineContext, 'encoding' | 'runner' | 'meta' | 'inputPath' | 'signal' | 'probeTimeoutMs'>,
): Promise<ChunkedRendition | null> {
  const request = chunkRequest(spec.chunking, ctx.encoding?.chunking ?? DEFAULT_CHUNKING);
  const { meta } = ctx;
  if (!request || meta.kind !== 'video' || !meta.duration || !meta.fps || ctx.runner.caps.major < 5 || mp4CanCopy(spec, meta)) return null;
  if (meta.peakFps !== null && Math.abs(meta.peakFps - meta.fps) > 0.01) return null;
  const snapped = snapRate(meta.fps);
  const rate = parseRate(snapped.expr);
  if (!rate || !EXACT_DENOMINATORS.has(rate.den) || Math.abs(snapped.value - meta.fps) > 0.01) return null;
  const chunks = planChunks({ duration: meta.duration, rate, segmentSeconds: request.chunkSeconds, chunkSeconds: request.chunkSeconds, minSeconds: request.minSeconds });
  if (chunks.length < 2) return null;
  // The stream's own packet times (no decode): a rate the container reports may be an average.
  const times = parseVideoTimes(await ctx.runner.probe(buildVideoTimesProbeArgs(ctx.inputPath), { signal: ctx.signal, timeoutMs: ctx.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS }));
  // A video that starts after the file does (Matroska's 21 ms of AAC priming) gets a repeated
  // first frame from the MP4 muxer in one run; a chunk could not repeat it the same way.
  const startsOnZero = times.length > 0 && Math.abs(times[0]) <= 0.25 / snapped.value;
  return startsOnZero && onFrameGrid(times, snapped.value) ? { chunks, rate } : null;
}

/** Audio of the whole source and the stitch are light next to a second of video encode. */
const LIGHT_WEIGHT = 0.1;

/** Audio once, the chunks one after another, then the stitch into `outputPath` (the unchunked run's file). */
export async function encodeMp4Chunked(ctx: PipelineContext, spec: Mp4OutputSpec, plan: ChunkedRendition, outputPath: string): Promise<void> {
  const dir = join(ctx.workDir, 'chunks');
  await mkdir(dir, { recursive: true });
  const duration = ctx.meta.duration ?? 0;
  const audioPath = ctx.meta.hasAudio ? join(dir, 'audio.m4a') : null;
  const runs: ChunkRun[] = [];
  if (audioPath) runs.push({ args: buildMp4AudioArgs(spec, ctx.meta, { inputPath: ctx.inputPath, outputPath: audioPath }), weight: duration * LIGHT_WEIGHT, span: duration });
  plan.chunks.forEach((chunk) => {
    const seconds = chunkSeconds(chunk, plan.rate);
    const args = buildMp4ChunkArgs(spec, ctx.meta, ctx.runner.caps, chunk, plan.rate, { inputPath: ctx.inputPath, outputPath: join(dir, chunkFileName(chunk.index, 'v')) });
    runs.push({ args, weight: seconds, span: seconds });
  });
  const listPath = join(dir, 'video.ffconcat');
  await writeFile(listPath, concatList(plan.chunks.map((c) => ({ file: chunkFileName(c.index, 'v'), seconds: c.endFrame === null ? null : chunkSeconds(c, plan.rate) }))));
  runs.push({ args: buildMp4StitchArgs({ listPath, audioPath, outputPath }), weight: duration * LIGHT_WEIGHT, span: duration });
  try {
    await runChunkRuns(ctx, runs, (f) => ctx.onProgress(Math.min(0.99, f)));
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
