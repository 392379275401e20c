import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contentTypeFor } from '../domain/content-types.js';
import { previewCoverage } from '../domain/coverage.js';
import { DomainError } from '../domain/errors.js';
import { keys } from '../domain/keys.js';
import type { AnimatedOutputSpec, GifOutputSpec, WebpOutputSpec } from '../domain/outputs/animated.spec.js';
import { buildAnimatedArgs, previewWindow } from '../ffmpeg/animated.args.js';
import { inspectGif, inspectWebp } from '../ffmpeg/animated.inspect.js';
import { deinterlaceResult, planDeinterlace } from '../ffmpeg/deinterlace.js';
import { requireVideo } from './clips.pipeline.js';
import type { OutputHandler, PipelineContext } from './pipeline.types.js';

async function preview(ctx: PipelineContext, spec: AnimatedOutputSpec) {
  requireVideo(ctx, 'animated previews');
  const name = `preview.${spec.type}`;
  const outputPath = join(ctx.workDir, name);
  const win = previewWindow(spec, ctx.meta.duration);
  const args = buildAnimatedArgs(spec, ctx.meta, ctx.runner.caps, { inputPath: ctx.inputPath, outputPath });
  await ctx.runner.run(args, {
    signal: ctx.signal,
    stallTimeoutMs: ctx.stallTimeoutMs,
    onProgress: (p) => ctx.onProgress(Math.min(0.99, p.outTime / win.duration)),
  });
  const bytes = await readFile(outputPath);
  const written = spec.type === 'gif' ? inspectGif(bytes) : inspectWebp(bytes);
  if (!written) throw new DomainError('ffmpeg_failed', `ffmpeg wrote no readable ${spec.type}`);
  const key = keys.outputFile(ctx.accountId, ctx.jobId, ctx.outputIndex, spec.type, name);
  const { size } = await ctx.blobs.putFile(key, outputPath);
  ctx.onProgress(1);
  return {
    files: [{ name, key, size, contentType: contentTypeFor(name) }],
    result: {
      start: win.start,
      duration: win.duration,
      fps: spec.fps,
      frames: written.frames,
      width: written.width,
      height: written.height,
      deinterlace: deinterlaceResult(planDeinterlace(spec.deinterlace, ctx.meta), false),
    },
    // Without a known duration the window is the request's, which a shorter source cannot fill.
    coverage: ctx.meta.duration === null ? null : previewCoverage(written.frames, spec.fps, win.duration),
  };
}

export const gifPipeline: OutputHandler<GifOutputSpec> = (ctx, spec) => preview(ctx, spec);
export const webpPipeline: OutputHandler<WebpOutputSpec> = (ctx, spec) => preview(ctx, spec);
