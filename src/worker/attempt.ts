import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DamageVerdict } from '../domain/damage.js';
import { AbortedError } from '../domain/errors.js';
import { decideProgress, decideStart, pendingOutputs, type StopReason } from '../domain/job-lifecycle.js';
import type { JobEvent, JobRecord, OutputState } from '../domain/job.js';
import { jobEventMessage } from '../domain/outbox.js';
import { progressEventDue } from '../domain/webhooks.js';
import type { Fence } from '../ports/db.port.js';
import type { AttemptContext, AttemptDeps, AttemptSettings } from './attempt-context.js';
import { CpuTally, meteredImporter, meteredRunner } from './cpu-tally.js';
import { attemptMetrics } from './attempt-metrics.js';
import { endOnce, tracedBlobs, tracerOf } from './attempt-traces.js';
import { ProgressReporter } from './progress-reporter.js';
import { fetchInput } from './steps/fetch-input.step.js';
import { probe } from './steps/probe.step.js';
import { runOutputs } from './steps/run-outputs.step.js';
import { settleFailure, settleSuccess } from './steps/settle.step.js';

/**
 * One claimed job, run once: fetch the input, probe it, run the outputs, settle. While it
 * runs, a heartbeat keeps the lease and listens for the database's answer (canceled, or
 * another attempt's now), and a cancel event stops it at once. `abort` is the one way to
 * stop it; the settle step then does what the reason asks (decideStop).
 */
export class Attempt implements AttemptContext {
  readonly fence: Fence;
  readonly workDir: string;
  readonly log: Logger;
  readonly reporter: ProgressReporter;
  readonly verdict: DamageVerdict;
  outputs: OutputState[];
  readonly cpu = new CpuTally();
  inputSeconds: number | null = null;
  readonly deps: AttemptDeps;
  private readonly controller = new AbortController();
  /** When this attempt's last job.progress event was written; its start before the first. */
  private progressEventAt: number;

  constructor(deps: AttemptDeps, readonly settings: AttemptSettings, readonly job: JobRecord, scratch: string) {
    // Every process the steps start, through these two doors, is counted for this attempt.
    this.deps = {
      ...deps,
      runner: meteredRunner(deps.runner, this.cpu),
      // Each output's runs are traced by type (run-outputs.step.ts); the probe step's are inside `input.probe`.
      blobs: tracedBlobs(deps.blobs, deps.tracer),
      pageImporter: deps.pageImporter ? meteredImporter(deps.pageImporter, this.cpu) : deps.pageImporter,
    };
    this.fence = { id: job.id, attempt: job.attempts };
    this.progressEventAt = deps.clock.now();
    this.workDir = join(scratch, `${job.id}-${job.attempts}`);
    // Every line about the job names it and its account (the trace's ids come from the logger's mixin).
    this.log = deps.logger.child({ jobId: job.id, accountId: job.accountId, attempt: job.attempts });
    this.outputs = pendingOutputs(job.outputs);
    this.verdict = new DamageVerdict(job.onDamage);
    this.reporter = new ProgressReporter({
      outputs: this.outputs.length,
      intervalMs: settings.progressIntervalMs,
      // The row is read by polling clients and the heartbeat already proves the lease: a write
      // every few updates is enough, while live clients get every one (the wasm SQLite syncs
      // on each write).
      writeEveryMs: Math.max(2_000, 4 * settings.progressIntervalMs),
      clock: deps.clock,
      send: async (progress, stage, persist) => {
        const now = deps.clock.now();
        // Every 10 s at most, a written update also carries the job.progress webhook event.
        const announce = persist && progressEventDue(now, this.progressEventAt);
        const messages = announce ? [jobEventMessage('job.progress', job.id, now)] : undefined;
        // A write that finds the attempt stale publishes nothing; between writes the heartbeat and cancel events stop a stale attempt.
        if (persist && !(await deps.db.jobs.updateProgress(this.fence, { at: now, progress, stage, messages }))) return;
        if (announce) this.progressEventAt = now;
        await this.emit(decideProgress(job.id, progress, stage, now).events);
      },
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops the attempt; the first reason counts. */
  abort(reason: StopReason): void {
    if (!this.signal.aborted) this.controller.abort(reason);
  }

  async run(): Promise<void> {
    const heartbeat = setInterval(() => void this.heartbeat(), this.settings.heartbeatMs);
    // The lease alone must not keep a process alive: the attempt's own work does that.
    heartbeat.unref();
    const unsubscribe = this.deps.events.subscribe(this.job.id, (e) => {
      if (e.status === 'canceled') this.abort('canceled');
    });
    this.log.info('attempt started');
    const startedAt = this.deps.clock.now();
    const metrics = attemptMetrics(this.deps.metrics, this.job, startedAt);
    await this.emit(decideStart(this.job, startedAt).events);
    try {
      await mkdir(this.workDir, { recursive: true });
      await this.produce();
      this.reporter.stop();
      const outcome = await settleSuccess(this);
      metrics?.ended(outcome, this);
    } catch (err) {
      this.reporter.stop();
      const outcome = await settleFailure(this, err);
      metrics?.ended(outcome, this);
    } finally {
      clearInterval(heartbeat);
      unsubscribe();
      await rm(this.workDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** The steps that make the outputs, on one local copy of the input. */
  private async produce(): Promise<void> {
    const tracer = tracerOf(this.deps.tracer);
    // `input.download`: until a local copy of the input is ready (a URL's import, an S3 object's download).
    const download = endOnce(tracer.startSpan('input.download', { attributes: { 'mediaforge.input.source': this.job.inputUrl ? 'url' : 'upload' } }));
    const failed = (err: unknown) => {
      if (!download.ended) download.fail(err);
      download.end();
      throw err;
    };
    const input = await tracer.activate(download, () => fetchInput(this)).catch(failed);
    try {
      await this.deps.blobs.withLocalFile(input.key, async (inputPath) => {
        download.end();
        const meta = await tracer.inSpan('input.probe', {}, () => probe(this, inputPath, input));
        await runOutputs(this, inputPath, meta);
      }).catch(failed);
    } finally {
      await input.release();
    }
  }

  /** Renews the lease; a job canceled meanwhile, or now another attempt's, stops this one. A failed call changes nothing. */
  async heartbeat(): Promise<void> {
    const status = await this.deps.db.jobs.heartbeat(this.fence, this.deps.clock.now(), this.settings.leaseMs).catch(() => 'running' as const);
    if (status !== 'running') this.abort(status === 'canceled' ? 'canceled' : 'lost');
  }

  async stale(): Promise<AbortedError> {
    await this.heartbeat();
    this.abort('lost');
    return new AbortedError(String(this.signal.reason));
  }

  async emit(events: JobEvent[]): Promise<void> {
    // A lost event only costs a live update.
    for (const e of events) await this.deps.events.publish(e).catch(() => undefined);
  }
}
