import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { DomainError } from '../domain/errors.js';
import type { ThumbnailOutputSpec } from '../domain/job-spec.js';
import { contentTypeFor } from '../domain/content-types.js';
import { keys } from '../domain/keys.js';
import { deinterlaceResult, planDeinterlace } from '../ffmpeg/deinterlace.js';
import { parseShowinfo } from '../ffmpeg/progress.js';
import { buildThumbnailArgs, thumbnailExtension } from '../ffmpeg/thumbnail.args.js';
import type { OutputHandler } from './pipeline.types.js';

export const thumbnailPipeline: OutputHandler<ThumbnailOutputSpec> = async (ctx, spec) => {
  const { meta } = ctx;
  if (!meta.hasVideo) throw new DomainError('output_unsupported', 'a thumbnail needs a video or image input; this input is audio only');
  const ext = thumbnailExtension(spec, ctx.runner.caps);
  const name = `thumbnail.${ext}`;
  const outputPath = join(ctx.workDir, name);
  const args = buildThumbnailArgs(spec, meta, ctx.runner.caps, { inputPath: ctx.inputPath, outputPath });
  let chosen: { ptsTime: number; width: number | null; height: number | null } | null = null;
  await ctx.runner.run(args, {
    signal: ctx.signal,
    stallTimeoutMs: ctx.stallTimeoutMs,
    onStderrLine: (line) => {
      chosen ??= parseShowinfo(line);
    },
    onProgress: (p) => {
      if (meta.duration) ctx.onProgress(Math.min(0.99, p.outTime / meta.duration));
    },
  });
  if (!existsSync(outputPath)) throw new DomainError('ffmpeg_failed', 'ffmpeg produced no thumbnail image');
  const key = keys.outputFile(ctx.accountId, ctx.jobId, ctx.outputIndex, 'thumbnail', name);
  const { size } = await ctx.blobs.putFile(key, outputPath);
  ctx.onProgress(1);
  const picked = chosen as { ptsTime: number; width: number | null; height: number | null } | null;
  // With input seeking (-ss), showinfo's timestamps restart at 0.
  const time = spec.time !== undefined ? spec.time + (picked?.ptsTime ?? 0) : picked?.ptsTime ?? 0;
  return {
    files: [{ name, key, size, contentType: contentTypeFor(name) }],
    result: {
      time: Math.round(time * 1000) / 1000,
      width: picked?.width ?? null,
      height: picked?.height ?? null,
      deinterlace: deinterlaceResult(planDeinterlace(spec.deinterlace, meta, { still: true }), false),
    },
  };
};
