import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { contentTypeFor } from '../domain/content-types.js';
import { DomainError } from '../domain/errors.js';
import { keys } from '../domain/keys.js';
import type { ImageOutputSpec } from '../domain/outputs/image.spec.js';
import { buildImageArgs, imageGeometry, imageOutputEncoding } from '../ffmpeg/image.args.js';
import type { OutputHandler } from './pipeline.types.js';

/** Image variants of an image input; the probe's `kind` decides, never the file name. */
export const imagePipeline: OutputHandler<ImageOutputSpec> = async (ctx, spec) => {
  if (ctx.meta.kind !== 'image') {
    throw new DomainError('output_unsupported', `image variants need an image input; this input is ${ctx.meta.kind === 'video' ? 'a video (use thumbnail or frames)' : 'audio only'}`);
  }
  const { extension } = imageOutputEncoding(spec, ctx.runner.caps);
  const name = `image.${extension}`;
  const outputPath = join(ctx.workDir, name);
  await ctx.runner.run(buildImageArgs(spec, ctx.meta, ctx.runner.caps, { inputPath: ctx.inputPath, outputPath }), {
    signal: ctx.signal,
    stallTimeoutMs: ctx.stallTimeoutMs,
  });
  if (!existsSync(outputPath)) throw new DomainError('ffmpeg_failed', 'ffmpeg produced no image');
  const key = keys.outputFile(ctx.accountId, ctx.jobId, ctx.outputIndex, 'image', name);
  const { size } = await ctx.blobs.putFile(key, outputPath);
  ctx.onProgress(1);
  const { width, height } = imageGeometry(spec, ctx.meta);
  return { files: [{ name, key, size, contentType: contentTypeFor(name) }], result: { format: spec.format, width, height } };
};
