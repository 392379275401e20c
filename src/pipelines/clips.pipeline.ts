import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { clipsCoverage } from '../domain/coverage.js';
import { DomainError, isDomainError } from '../domain/errors.js';
import type { StoredFile } from '../domain/job.js';
import { keys } from '../domain/keys.js';
import type { ClipsOutputSpec } from '../domain/outputs/clips.spec.js';
import { buildClipArgs, buildFastSeriesArgs, buildKeyframeProbeArgs, clipsDeinterlace, isContiguousSeries } from '../ffmpeg/clips.args.js';
import { deinterlaceResult } from '../ffmpeg/deinterlace.js';
import { clipFileName, parseKeyframes, planClips, snapToKeyframes, type PlannedClip } from '../ffmpeg/clips.plan.js';
import { planFrame, type FramePlan } from '../ffmpeg/geometry.js';
import { buildProbeArgs, parseProbe } from '../ffmpeg/probe.js';
import { StoredZip } from './stored-zip.js';
import { DEFAULT_PROBE_TIMEOUT_MS, type OutputHandler, type OutputProduct, type PipelineContext } from './pipeline.types.js';

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function requireVideo(ctx: PipelineContext, what: string): void {
  if (ctx.meta.kind !== 'video') {
    throw new DomainError('output_unsupported', `${what} need a video input; this input is ${ctx.meta.kind === 'image' ? 'an image' : 'audio only'}`);
  }
}

/**
 * Clips → clip-001.mp4 … plus series.json (and clips.zip on request). Accurate clips and
 * ranges are one ffmpeg run each (ranges may overlap); a fast series is one packet-copy run
 * through the segment muxer. The real start, end and duration of every clip come from
 * probing what was written, not from the request.
 */
export const clipsPipeline: OutputHandler<ClipsOutputSpec> = async (ctx, spec) => {
  requireVideo(ctx, 'clips');
  const { meta } = ctx;
  const duration = meta.duration!;
  let clips = planClips(spec, duration);
  if (spec.mode === 'fast') {
    const raw = await ctx.runner.probe(buildKeyframeProbeArgs(ctx.inputPath), { signal: ctx.signal, timeoutMs: ctx.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS });
    clips = snapToKeyframes(clips, parseKeyframes(raw), duration);
  }
  const planned: PlannedClip[] = clips.map((c, i) => ({ ...c, file: clipFileName(i, clips.length) }));
  const frame = planFrame(meta, spec);
  const total = planned.reduce((sum, c) => sum + (c.end - c.start), 0);
  const progress = (doneSeconds: number) => ctx.onProgress(Math.min(0.99, doneSeconds / total));
  if (spec.mode === 'fast' && isContiguousSeries(planned)) {
    const digits = planned[0].file.length - 'clip-.mp4'.length;
    const args = buildFastSeriesArgs(meta, planned, { inputPath: ctx.inputPath, outputPattern: join(ctx.workDir, `clip-%0${digits}d.mp4`) });
    await ctx.runner.run(args, { signal: ctx.signal, stallTimeoutMs: ctx.stallTimeoutMs, onProgress: (p) => progress(p.outTime) });
  } else {
    await renderEachClip(ctx, spec, planned, frame, progress);
  }

  return storeClips(ctx, spec, planned, frame);
};

/** One ffmpeg run per clip, written to `ctx.workDir`; `progress` gets the seconds of clips done. */
export async function renderEachClip(
  ctx: PipelineContext,
  spec: ClipsOutputSpec,
  planned: PlannedClip[],
  frame: FramePlan,
  progress: (doneSeconds: number) => void = () => undefined,
): Promise<void> {
  let done = 0;
  for (const clip of planned) {
    const outputPath = join(ctx.workDir, clip.file);
    const args = buildClipArgs(spec, ctx.meta, ctx.runner.caps, frame, { inputPath: ctx.inputPath, outputPath, start: clip.start, end: clip.end });
    await ctx.runner.run(args, {
      signal: ctx.signal,
      stallTimeoutMs: ctx.stallTimeoutMs,
      onProgress: (p) => progress(done + Math.min(p.outTime, clip.end - clip.start)),
    });
    done += clip.end - clip.start;
    progress(done);
  }
}

/**
 * Probe every clip written to `ctx.workDir`, store it with series.json (and clips.zip on
 * request), and report the real times. Shared by the clips handler and the fused run.
 */
export async function storeClips(ctx: PipelineContext, spec: ClipsOutputSpec, planned: PlannedClip[], frame: FramePlan): Promise<OutputProduct> {
  const { meta } = ctx;
  const duration = meta.duration!;
  const files: StoredFile[] = [];
  const series: Array<Record<string, unknown>> = [];
  const reached: Array<{ start: number; plannedEnd: number; written: number | null }> = [];
  for (const clip of planned) {
    const outputPath = join(ctx.workDir, clip.file);
    if (!existsSync(outputPath)) throw new DomainError('ffmpeg_failed', `ffmpeg wrote no ${clip.file}`);
    const written = await probeWritten(ctx, outputPath, `${clip.file} (${round3(clip.start)}–${round3(clip.end)} s)`);
    const key = keys.outputFile(ctx.accountId, ctx.jobId, ctx.outputIndex, 'clips', clip.file);
    const { size } = await ctx.blobs.putFile(key, outputPath);
    files.push({ name: clip.file, key, size, contentType: 'video/mp4' });
    const length = written.duration ?? clip.end - clip.start;
    reached.push({ start: clip.start, plannedEnd: clip.end, written: written.duration });
    series.push({
      index: series.length + 1,
      file: clip.file,
      ...(clip.name !== undefined ? { name: clip.name } : {}),
      start: round3(clip.start),
      end: round3(clip.start + length),
      duration: round3(length),
      width: written.width,
      height: written.height,
      size,
    });
  }

  const summary = {
    mode: spec.mode,
    aspect: spec.aspect,
    width: frame.width,
    height: frame.height,
    source: { duration, width: meta.width, height: meta.height },
    clips: series,
  };
  const seriesJson = Buffer.from(JSON.stringify(summary, null, 2));
  const seriesKey = keys.outputFile(ctx.accountId, ctx.jobId, ctx.outputIndex, 'clips', 'series.json');
  const stored = await ctx.blobs.put(seriesKey, bufferStream(seriesJson), { signal: ctx.signal });
  files.push({ name: 'series.json', key: seriesKey, size: stored.size, contentType: 'application/json' });

  if (spec.archive) {
    // Clips are already compressed: stored, CRC-32 by zlib, each file read once.
    const zip = new StoredZip();
    for (const clip of planned) zip.addFile(join(ctx.workDir, clip.file), clip.file);
    zip.addBuffer(seriesJson, 'series.json');
    const zipKey = keys.outputFile(ctx.accountId, ctx.jobId, ctx.outputIndex, 'clips', 'clips.zip');
    const [, { size }] = await Promise.all([zip.end(), ctx.blobs.put(zipKey, zip.stream, { signal: ctx.signal })]);
    files.push({ name: 'clips.zip', key: zipKey, size, contentType: 'application/zip' });
  }
  ctx.onProgress(1);
  return {
    files,
    result: { mode: spec.mode, count: series.length, width: frame.width, height: frame.height, deinterlace: deinterlaceResult(clipsDeinterlace(spec, meta)), clips: series },
    coverage: clipsCoverage(reached, meta),
  };
}

/**
 * Probe a file ffmpeg wrote. A file without a stream is ffmpeg's failure to produce it (a
 * clip past where the source's data ends, say), not a bad input.
 */
export async function probeWritten(ctx: PipelineContext, outputPath: string, what: string) {
  try {
    return parseProbe(await ctx.runner.probe(buildProbeArgs(outputPath), { signal: ctx.signal, timeoutMs: ctx.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS }));
  } catch (err) {
    if (isDomainError(err) && err.code === 'input_invalid') throw new DomainError('ffmpeg_failed', `ffmpeg wrote no media into ${what}`);
    throw err;
  }
}

export function bufferStream(buf: Buffer): PassThrough {
  const stream = new PassThrough();
  stream.end(buf);
  return stream;
}
