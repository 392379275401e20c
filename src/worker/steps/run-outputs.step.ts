import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errorSummary } from '../../domain/errors.js';
import { outputPlayable, outputsDone, outputsFailed, outputsReadyMessages, outputsRunning, runStage } from '../../domain/job-lifecycle.js';
import type { StoredFile } from '../../domain/job.js';
import type { MediaMetadata } from '../../domain/media.js';
import { produceJudged } from '../../pipelines/damage-watch.js';
import { planRuns } from '../../pipelines/fused.pipeline.js';
import type { PipelineContext } from '../../pipelines/pipeline.types.js';
import type { AttemptContext } from '../attempt-context.js';
import { speedMeteredRunner } from '../attempt-metrics.js';
import { tracedRunner } from '../attempt-traces.js';
import { writeProbe } from './probe.step.js';

interface Input {
  path: string;
  meta: MediaMetadata;
}

/**
 * Step 3: one run per output, except outputs that share one ffmpeg run (planRuns). Each
 * run's outputs go `running` together, then `succeeded` (stored, with their files) or
 * `failed` together; `a.outputs` is what the settle step writes.
 */
export async function runOutputs(a: AttemptContext, inputPath: string, meta: MediaMetadata): Promise<void> {
  const runs = planRuns(a.outputs.map((o) => o.spec), meta);
  if (runs.length === 0) return writeProbe(a, meta);
  let done = 0;
  for (const run of runs) {
    // The probe's result goes with the first run's write: one write, not two, 3 ms apart.
    await runOnce(a, { path: inputPath, meta }, run, done, done === 0 ? meta : undefined);
    done += run.length;
  }
}

/** One run of the plan: `run` holds output indices, `done` counts the outputs finished before it. */
async function runOnce(a: AttemptContext, input: Input, run: number[], done: number, probe?: MediaMetadata): Promise<void> {
  const { db } = a.deps;
  const stage = runStage(run.map((i) => a.outputs[i].spec.type), run, a.outputs.length);
  // `units` is how many of this run's outputs are done, fractions included.
  const percent = (units: number) => a.reporter.percentFor(done + Math.floor(units), units - Math.floor(units));
  const fractions = run.map(() => 0);
  a.outputs = outputsRunning(a.outputs, run);
  if (!(await db.jobs.updateProgress(a.fence, { at: a.deps.clock.now(), outputs: a.outputs, stage, progress: percent(0), probe }))) throw await a.stale();
  const members = run.map((i, k) => ({
    spec: a.outputs[i].spec,
    ctx: pipelineContext(a, input, i, (f) => {
      fractions[k] = Math.max(0, Math.min(1, f));
      a.reporter.report(percent(fractions.reduce((x, y) => x + y, 0)), stage);
    }),
  }));
  try {
    for (const m of members) await mkdir(m.ctx.workDir, { recursive: true });
    a.outputs = outputsDone(a.outputs, run, await produceJudged(members, a.verdict));
  } catch (err) {
    // An aborted run did not fail: the settle step decides what the stop means.
    if (!a.signal.aborted) a.outputs = outputsFailed(a.outputs, run, errorSummary(err));
    throw err;
  } finally {
    for (const m of members) await rm(m.ctx.workDir, { recursive: true, force: true }).catch(() => undefined);
  }
  await a.reporter.flush();
  // Stored: each output's job.output.ready event goes with the write that records its files.
  const now = a.deps.clock.now();
  await db.jobs.updateProgress(a.fence, { at: now, outputs: a.outputs, progress: percent(run.length), messages: outputsReadyMessages(a.job.id, a.outputs, run, now) });
}

function pipelineContext(a: AttemptContext, input: Input, outputIndex: number, onProgress: (f: number) => void): PipelineContext {
  return {
    accountId: a.job.accountId,
    jobId: a.job.id,
    outputIndex,
    inputPath: input.path,
    meta: input.meta,
    runner: tracedRunner(speedMeteredRunner(a.deps.runner, a.outputs[outputIndex].spec.type, a.deps.metrics, a.deps.clock), a.outputs[outputIndex].spec.type, a.deps.tracer),
    blobs: a.deps.blobs,
    workDir: join(a.workDir, String(outputIndex)),
    signal: a.signal,
    stallTimeoutMs: a.settings.stallTimeoutMs,
    probeTimeoutMs: a.settings.probeTimeoutMs,
    clock: a.deps.clock,
    limits: a.settings.limits,
    encoding: a.settings.encoding,
    onProgress,
    onPlayable: (file) => playable(a, outputIndex, file),
  };
}

/** An HLS output can be played before it is done: its master is listed and a `playable` job.output.ready written with it. */
async function playable(a: AttemptContext, outputIndex: number, master: StoredFile): Promise<void> {
  const now = a.deps.clock.now();
  const { outputs, messages } = outputPlayable(a.outputs, outputIndex, master, a.job.id, now);
  a.outputs = outputs;
  if (!(await a.deps.db.jobs.updateProgress(a.fence, { at: now, outputs, messages }))) throw await a.stale();
}
