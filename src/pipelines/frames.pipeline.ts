import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { framesCoverage } from '../domain/coverage.js';
import { DomainError } from '../domain/errors.js';
import type { FramesOutputSpec } from '../domain/job-spec.js';
import { keys } from '../domain/keys.js';
import { buildFramesArgs, expectedFrameCount, framesExtension, uniqueSortedTimes } from '../ffmpeg/frames.args.js';
import { deinterlaceResult, planDeinterlace } from '../ffmpeg/deinterlace.js';
import { parseShowinfo } from '../ffmpeg/progress.js';
import type { OutputHandler } from './pipeline.types.js';
import { StoredZip } from './stored-zip.js';

const frameName = (index: number, ext: string) => `frame-${String(index).padStart(6, '0')}.${ext}`;

/**
 * Frames → one ZIP with `manifest.json`. The ZIP is written to storage while ffmpeg is
 * still producing frames: a frame file is complete once the image muxer has opened the
 * next one (it writes one file at a time), so we add each finished file as soon as its
 * successor appears, and the rest when ffmpeg exits.
 */
export const framesPipeline: OutputHandler<FramesOutputSpec> = async (ctx, spec) => {
  const { meta } = ctx;
  if (meta.kind !== 'video') {
    throw new DomainError('output_unsupported', `frames need a video input; this input is ${meta.kind === 'image' ? 'an image' : 'audio only'}`);
  }
  if (spec.times && meta.duration !== null) {
    const late = spec.times.find((t) => t > meta.duration!);
    if (late !== undefined) throw new DomainError('output_unsupported', `frame time ${late} s is past the end of the input (${meta.duration} s)`);
  }
  const expected = expectedFrameCount(spec, meta.duration);
  if (expected > ctx.limits.maxFramesPerJob) {
    throw new DomainError('limit_exceeded', `this request would extract ${Number.isFinite(expected) ? expected : 'an unbounded number of'} frames; the limit is ${ctx.limits.maxFramesPerJob} per job`, {
      limit: 'frames',
      value: expected,
      max: ctx.limits.maxFramesPerJob,
    });
  }

  const ext = framesExtension(spec, ctx.runner.caps);
  const args = buildFramesArgs(spec, meta, ctx.runner.caps, { inputPath: ctx.inputPath, outputPattern: join(ctx.workDir, `frame-%06d.${ext}`) });

  // Images are already compressed: stored, not deflated again.
  const zip = new StoredZip();
  const zipKey = keys.outputFile(ctx.accountId, ctx.jobId, ctx.outputIndex, 'frames', 'frames.zip');
  const upload = ctx.blobs.put(zipKey, zip.stream, { signal: ctx.signal });
  upload.catch(() => undefined);

  const times = new Map<number, { time: number; width: number | null; height: number | null }>();
  let added = 0;
  const addReady = (final: boolean) => {
    for (;;) {
      const next = added + 1;
      const path = join(ctx.workDir, frameName(next, ext));
      if (!existsSync(path)) break;
      if (!final && !existsSync(join(ctx.workDir, frameName(next + 1, ext)))) break;
      zip.addFile(path, frameName(next, ext));
      added = next;
    }
  };
  const poll = setInterval(() => addReady(false), 100);
  try {
    await ctx.runner.run(args, {
      signal: ctx.signal,
      stallTimeoutMs: ctx.stallTimeoutMs,
      onStderrLine: (line) => {
        const info = parseShowinfo(line);
        if (info) times.set(info.n, { time: info.ptsTime, width: info.width, height: info.height });
      },
      onProgress: (p) => {
        if (meta.duration) ctx.onProgress(Math.min(0.99, p.outTime / meta.duration));
      },
    });
  } catch (err) {
    clearInterval(poll);
    zip.destroy();
    await upload.catch(() => undefined);
    await ctx.blobs.delete(zipKey).catch(() => undefined);
    throw err;
  }
  clearInterval(poll);
  addReady(true);

  if (times.size !== added) {
    throw new DomainError('ffmpeg_failed', `ffmpeg reported ${times.size} frames but wrote ${added}`);
  }
  const frames = Array.from({ length: added }, (_, i) => ({
    file: frameName(i + 1, ext),
    index: i,
    time: Math.round((times.get(i)?.time ?? 0) * 1e6) / 1e6,
  }));
  const first = times.get(0);
  const frameTimes = frames.map((f) => f.time);
  const manifest = {
    source: meta,
    request: { ...spec, times: spec.times ? uniqueSortedTimes(spec.times) : undefined },
    frames,
  };
  zip.addBuffer(Buffer.from(JSON.stringify(manifest, null, 2)), 'manifest.json');
  await Promise.all([zip.end(), upload]);
  const { size } = await upload;
  ctx.onProgress(1);
  return {
    files: [{ name: 'frames.zip', key: zipKey, size, contentType: 'application/zip' }],
    result: {
      frameCount: added,
      format: ext,
      width: first?.width ?? null,
      height: first?.height ?? null,
      lastFrameTime: frameTimes.length ? frameTimes[frameTimes.length - 1] : null,
      deinterlace: deinterlaceResult(planDeinterlace(spec.deinterlace, meta, { still: true }), false),
    },
    coverage: framesCoverage(spec, frameTimes, meta),
  };
};
