import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { FsBlobStore } from '../../src/adapters/fs/fs.blob-store.js';
import { npmBinaries } from '../../src/main/ffmpeg-binaries.js';
import type { PipelineContext } from '../../src/pipelines/pipeline.types.js';
import { probeInput } from '../../src/pipelines/input.probe.js';
import { systemClock } from '../../src/adapters/system-clock.js';

/** The two ways mediaforge finds ffmpeg; integration tests run against both. */
export function binarySources(): Array<{ name: string; ffmpeg: string; ffprobe: string }> {
  const out = [{ name: 'system ffmpeg', ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' }];
  const npm = npmBinaries();
  if (npm) out.push({ name: 'npm-shipped ffmpeg', ...npm });
  return out;
}

export async function pipelineContext(
  runner: FfmpegMediaRunner,
  root: string,
  inputPath: string,
  opts: { outputIndex?: number; signal?: AbortSignal; maxFramesPerJob?: number; progress?: number[] } = {},
): Promise<PipelineContext & { store: FsBlobStore }> {
  // The worker's own probe (without its limits): images get their EXIF orientation.
  const meta = await probeInput(runner, inputPath, { signal: new AbortController().signal, timeoutMs: 30_000 });
  const workDir = join(root, `work-${Math.random().toString(36).slice(2)}`);
  await mkdir(workDir, { recursive: true });
  const store = new FsBlobStore(join(root, 'store'));
  return {
    accountId: 'acc_test',
    jobId: `job_${Math.random().toString(36).slice(2, 12)}`,
    outputIndex: opts.outputIndex ?? 0,
    inputPath,
    meta,
    runner,
    blobs: store,
    store,
    workDir,
    signal: opts.signal ?? new AbortController().signal,
    stallTimeoutMs: 30_000,
    clock: systemClock,
    limits: { maxFramesPerJob: opts.maxFramesPerJob ?? 10_000 },
    onProgress: (f) => void opts.progress?.push(f),
  };
}
