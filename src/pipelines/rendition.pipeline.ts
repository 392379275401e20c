import { basename, join } from 'node:path';
import { renditionCoverage } from '../domain/coverage.js';
import { DomainError } from '../domain/errors.js';
import { contentTypeFor } from '../domain/content-types.js';
import { keys } from '../domain/keys.js';
import type { AudioOutputSpec } from '../domain/outputs/audio.spec.js';
import type { Mp4OutputSpec } from '../domain/outputs/mp4.spec.js';
import { buildAudioArgs } from '../ffmpeg/audio.args.js';
import { deinterlaceResult } from '../ffmpeg/deinterlace.js';
import { buildMp4Args, mp4CanCopy, mp4Deinterlace } from '../ffmpeg/mp4.args.js';
import type { parseProbe } from '../ffmpeg/probe.js';
import { probeWritten, requireVideo } from './clips.pipeline.js';
import { encodeMp4Chunked, planMp4Chunks } from './mp4-chunked.js';
import type { OutputHandler, OutputProduct, PipelineContext } from './pipeline.types.js';

const round3 = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);

/** One single-file rendition of the whole source, with progress measured on the source's duration. */
async function renderWhole(ctx: PipelineContext, args: string[]): Promise<void> {
  await ctx.runner.run(args, {
    signal: ctx.signal,
    stallTimeoutMs: ctx.stallTimeoutMs,
    onProgress: (p) => {
      if (ctx.meta.duration) ctx.onProgress(Math.min(0.99, p.outTime / ctx.meta.duration));
    },
  });
}

/** Store a written rendition and report what was actually written. */
async function storeOne(ctx: PipelineContext, type: string, outputPath: string): Promise<OutputProduct & { written: ReturnType<typeof parseProbe> }> {
  const name = basename(outputPath);
  const written = await probeWritten(ctx, outputPath, name);
  const key = keys.outputFile(ctx.accountId, ctx.jobId, ctx.outputIndex, type, name);
  const { size } = await ctx.blobs.putFile(key, outputPath);
  ctx.onProgress(1);
  return { files: [{ name, key, size, contentType: contentTypeFor(name) }], written };
}

export const mp4Pipeline: OutputHandler<Mp4OutputSpec> = async (ctx, spec) => {
  requireVideo(ctx, 'MP4 renditions');
  const outputPath = join(ctx.workDir, 'video.mp4');
  // Chunked (docs/hls.md#chunking) or one run: the same video.mp4 either way.
  const chunked = await planMp4Chunks(spec, ctx);
  if (chunked) await encodeMp4Chunked(ctx, spec, chunked, outputPath);
  else await renderWhole(ctx, buildMp4Args(spec, ctx.meta, ctx.runner.caps, { inputPath: ctx.inputPath, outputPath }));
  return storeMp4(ctx, spec, outputPath);
};

/** Store the written video.mp4 and its result; shared by the mp4 handler and the fused run. */
export async function storeMp4(ctx: PipelineContext, spec: Mp4OutputSpec, outputPath: string): Promise<OutputProduct> {
  const { files, written } = await storeOne(ctx, 'mp4', outputPath);
  const copied = mp4CanCopy(spec, ctx.meta);
  return {
    files,
    result: {
      copied,
      width: written.width,
      height: written.height,
      duration: round3(written.duration),
      videoCodec: written.videoCodec,
      audioCodec: written.audioCodec,
      bitrate: written.bitrate,
      deinterlace: copied ? { applied: false, reason: 'the source is copied as it is' } : deinterlaceResult(mp4Deinterlace(spec, ctx.meta)),
    },
    coverage: renditionCoverage(written.duration, ctx.meta, 'both'),
  };
}

export const audioPipeline: OutputHandler<AudioOutputSpec> = async (ctx, spec) => {
  if (ctx.meta.kind === 'image') throw new DomainError('output_unsupported', 'audio needs a video or audio input; this input is an image');
  const outputPath = join(ctx.workDir, `audio.${spec.format}`);
  await renderWhole(ctx, buildAudioArgs(spec, ctx.meta, ctx.runner.caps, { inputPath: ctx.inputPath, outputPath }));
  return storeAudio(ctx, spec, outputPath);
};

/** Store the written audio.<format> and its result; shared by the audio handler and the fused run. */
export async function storeAudio(ctx: PipelineContext, spec: AudioOutputSpec, outputPath: string): Promise<OutputProduct> {
  const { files, written } = await storeOne(ctx, 'audio', outputPath);
  return {
    files,
    result: { format: spec.format, codec: written.audioCodec, duration: round3(written.duration), bitrate: written.bitrate },
    coverage: renditionCoverage(written.duration, ctx.meta, 'audio'),
  };
}
