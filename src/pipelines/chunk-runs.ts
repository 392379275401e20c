import type { MediaRunner } from '../ports/media-runner.port.js';
import type { PipelineContext } from './pipeline.types.js';

/** One ffmpeg run of a chunked output, and how much of the whole output's work it is. */
export interface ChunkRun {
  args: string[];
  /** Its share of the output's work (seconds of video encoded; the audio and the stitch count less). */
  weight: number;
  /** The `outTime` at which the run is done (seconds of media it writes). */
  span: number;
}

/**
 * Runs a chunked output's runs one after another (slice 1: every chunk in this attempt;
 * x264 already uses every core, so running two at once would not be faster) and reports
 * progress as the share of the weights done, the running one counted by its `outTime`.
 */
export async function runChunkRuns(
  ctx: Pick<PipelineContext, 'signal' | 'stallTimeoutMs'> & { runner: MediaRunner },
  runs: ChunkRun[],
  onProgress: (fraction: number) => void,
): Promise<void> {
  const total = runs.reduce((sum, r) => sum + r.weight, 0) || 1;
  let done = 0;
  for (const run of runs) {
    await ctx.runner.run(run.args, {
      signal: ctx.signal,
      stallTimeoutMs: ctx.stallTimeoutMs,
      onProgress: (p) => onProgress(Math.min(1, (done + run.weight * Math.min(1, Math.max(0, p.outTime) / (run.span || 1))) / total)),
    });
    done += run.weight;
    onProgress(Math.min(1, done / total));
  }
}
