import type { JobRecord, OutputState } from '../domain/job.js';
import type { OutputType } from '../domain/job-spec.js';
import { jobRoute } from '../domain/routes.js';
import type { MediaRunner } from '../ports/media-runner.port.js';
import type { AttemptOutcome, JobMetrics } from '../ports/metrics.port.js';
import type { Clock } from '../ports/clock.port.js';

/**
 * What one attempt reports to the metrics: its wait in the queue when it starts; its outcome,
 * wall time, CPU and finished outputs when it settles. The job's queue route is the label
 * (src/domain/routes.ts), computed as the database stores it.
 */
export function attemptMetrics(metrics: JobMetrics | undefined, job: JobRecord, startedAt: number) {
  if (!metrics) return null;
  const route = jobRoute(job.outputs);
  // Due at `runAfter` (its creation, or the end of a retry's backoff); waited from then until claimed.
  metrics.attemptStarted({ route, queueWaitSeconds: (startedAt - job.runAfter) / 1000 });
  return {
    ended(outcome: AttemptOutcome, a: { outputs: OutputState[]; cpu: { seconds: number | null }; deps: { clock: Clock } }): void {
      metrics.attemptEnded({ route, outcome, seconds: (a.deps.clock.now() - startedAt) / 1000, cpuSeconds: a.cpu.seconds });
      for (const o of a.outputs) {
        if (o.status !== 'succeeded' && o.status !== 'failed') continue;
        const frames = o.status === 'succeeded' && typeof o.result?.frameCount === 'number' ? o.result.frameCount : undefined;
        metrics.outputEnded({ type: o.spec.type, status: o.status, frames });
      }
    },
  };
}

/**
 * `runner`, with each successful ffmpeg run for an output of `type` reporting its speed: the
 * media time ffmpeg says it produced (its last progress `out_time`) per wall second.
 */
export function speedMeteredRunner(runner: MediaRunner, type: OutputType, metrics: JobMetrics | undefined, clock: Clock): MediaRunner {
  if (!metrics) return runner;
  return {
    get caps() {
      return runner.caps;
    },
    probe: (args, opts) => runner.probe(args, opts),
    run: async (args, opts) => {
      let mediaSeconds = 0;
      const started = clock.now();
      const result = await runner.run(args, {
        ...opts,
        onProgress: (p) => {
          if (p.outTime > mediaSeconds) mediaSeconds = p.outTime;
          opts.onProgress?.(p);
        },
      });
      metrics.ffmpegRun({ type, mediaSeconds, wallSeconds: (clock.now() - started) / 1000 });
      return result;
    },
  };
}
