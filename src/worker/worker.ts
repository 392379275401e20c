import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AbortedError, DomainError, errorSummary } from '../domain/errors.js';
import {
  decideFailure, decideHandBack, decideLeaseExpiry, decideProgress, decideStart, decideStop, decideSuccess, downloadingStage,
  outputsDone, outputsFailed, outputsRunning, pendingOutputs, runStage, STAGES, type StopReason,
} from '../domain/job-lifecycle.js';
import type { JobEvent, JobRecord, OutputState } from '../domain/job.js';
import type { Route } from '../domain/routes.js';
import { SYSTEM_PRINCIPAL } from '../domain/principal.js';
import { DamageVerdict } from '../domain/damage.js';
import { planRuns } from '../pipelines/fused.pipeline.js';
import type { MediaLimits } from '../pipelines/input.probe.js';
import { produceJudged } from '../pipelines/damage-watch.js';
import { withInterlaceScan } from '../pipelines/interlace.scan.js';
import type { EncodingSettings, PipelineLimits } from '../pipelines/pipeline.types.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database, Fence } from '../ports/db.port.js';
import type { EventBus } from '../ports/events.port.js';
import type { MediaRunner } from '../ports/media-runner.port.js';
import type { JobQueue, QueueConsumer } from '../ports/queue.port.js';
import type { PageMediaImporter } from '../ports/page-media-importer.port.js';
import type { UrlFetcher } from '../ports/url-fetcher.port.js';
import { Dispatcher } from '../services/dispatch.js';
import { importFromUrl, type UrlImportLimits } from '../pipelines/url-import.js';
import { ProgressReporter } from './progress-reporter.js';
import { createScratchRoot } from './scratch.js';
import { probeSource } from '../pipelines/source-probe.js';

export interface WorkerDeps {
  db: Database;
  queue: JobQueue;
  blobs: BlobStore;
  runner: MediaRunner;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  /** Downloads `input.url` sources; without it, URL jobs fail with input_unsupported. */
  fetcher?: UrlFetcher;
  /** yt-dlp for URLs that answer with a web page or a streaming playlist; without it those fail with url_needs_ytdlp. */
  pageImporter?: PageMediaImporter | null;
}

export interface WorkerOptions {
  id: string;
  concurrency: number;
  /**
   * How long a job may carry its dispatch mark before the sweeper sends its message again
   * (default: the lease, at least 15 s).
   */
  dispatchGraceMs?: number;
  /** Output types (queue routes) this worker takes; absent: every route. */
  routes?: Route[];
  leaseMs: number;
  heartbeatMs: number;
  stallTimeoutMs: number;
  retryBaseMs: number;
  probeTimeoutMs: number;
  progressIntervalMs: number;
  shutdownGraceMs: number;
  tmpRoot: string;
  urlImport?: UrlImportLimits;
  limits: MediaLimits & PipelineLimits;
  encoding?: EncodingSettings;
}

interface Running {
  fence: Fence;
  controller: AbortController;
}

/**
 * Takes messages from the queue, claims the job in the database (fenced by attempt),
 * probes the input once, runs every output's handler, and writes the result only if the
 * attempt is still current. Heartbeats keep the lease; the sweeper gives jobs of dead
 * workers back to the queue.
 */
export class Worker {
  private consumer: QueueConsumer | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private scratch = '';
  private readonly running = new Map<string, Running>();
  private stopping = false;
  private readonly dispatcher: Dispatcher;

  constructor(private readonly deps: WorkerDeps, private readonly opts: WorkerOptions) {
    this.dispatcher = new Dispatcher(deps);
  }

  async start(): Promise<void> {
    const { dir, removedStale } = await createScratchRoot(this.opts.tmpRoot);
    this.scratch = dir;
    if (removedStale) this.deps.logger.info({ removedStale }, 'removed scratch folders left by dead workers');
    this.consumer = this.deps.queue.consume((m) => this.handle(m.jobId), { concurrency: this.opts.concurrency, routes: this.opts.routes });
    const sweepEvery = Math.max(500, Math.floor(this.opts.leaseMs / 2));
    this.sweeper = setInterval(() => void this.sweep().catch((err) => this.deps.logger.warn({ err }, 'lease sweep failed')), sweepEvery);
    this.deps.logger.info({ worker: this.opts.id, concurrency: this.opts.concurrency, routes: this.opts.routes ?? 'all' }, 'worker started');
  }

  /** Stop claiming; let running jobs finish within the grace period, then hand them back. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    const grace = setTimeout(() => {
      for (const r of this.running.values()) r.controller.abort('shutdown' satisfies StopReason);
    }, this.opts.shutdownGraceMs);
    await this.consumer?.close();
    clearTimeout(grace);
    await rm(this.scratch, { recursive: true, force: true }).catch(() => undefined);
    this.deps.logger.info({ worker: this.opts.id }, 'worker stopped');
  }

  async sweep(): Promise<void> {
    const now = this.deps.clock.now();
    for (const fence of await this.deps.db.jobs.expiredLeases(now, 50)) {
      // expiredLeases returns fences only; the decision and the route come from the job itself.
      const job = await this.deps.db.jobs.get(SYSTEM_PRINCIPAL, fence.id);
      const decision = job && decideLeaseExpiry(job, fence, now);
      if (!decision || !(await this.deps.db.jobs.recoverExpired(fence, decision.write))) continue;
      const { status } = decision.write;
      this.deps.logger.warn({ job: fence.id, attempt: fence.attempt, status }, 'lease expired; the worker is gone');
      if (status === 'queued') await this.send(job, now);
      await this.emit(decision.events);
    }
    // Messages that never reached the queue (it refused them, or a process died in between).
    const resent = await this.dispatcher.redispatch(now, this.opts.dispatchGraceMs ?? Math.max(this.opts.leaseMs, 15_000));
    if (resent.length) this.deps.logger.warn({ jobs: resent }, 'sent queue messages that had not reached the queue');
  }

  /** Never throws: when the queue does not take the message, the job keeps its dispatch mark and a later sweep sends it. */
  private async send(job: Pick<JobRecord, 'id' | 'outputs'>, due: number, delayMs = 0): Promise<void> {
    await this.dispatcher.send(job, due, delayMs).catch((err: unknown) => {
      this.deps.logger.warn({ job: job.id, err }, 'the queue did not take the message; the sweeper sends it again once the queue is back');
    });
  }

  private async handle(jobId: string): Promise<void> {
    if (this.stopping) throw new Error('worker is stopping');
    const job = await this.deps.db.jobs.claim(jobId, this.opts.id, this.deps.clock.now(), this.opts.leaseMs);
    if (!job) return; // finished, canceled, not due, or someone else has it: nothing to do
    await this.runAttempt(job);
  }

  /** Publishes exactly the events a lifecycle decision lists; a lost event only costs a live update. */
  private async emit(events: JobEvent[]) {
    for (const e of events) await this.deps.events.publish(e).catch(() => undefined);
  }

  private async runAttempt(job: JobRecord): Promise<void> {
    const fence: Fence = { id: job.id, attempt: job.attempts };
    const log = this.deps.logger.child({ job: job.id, attempt: fence.attempt });
    const controller = new AbortController();
    this.running.set(job.id, { fence, controller });
    const abort = (reason: StopReason) => {
      if (!controller.signal.aborted) controller.abort(reason);
    };
    const heartbeat = setInterval(async () => {
      const status = await this.deps.db.jobs.heartbeat(fence, this.deps.clock.now(), this.opts.leaseMs).catch(() => 'running' as const);
      if (status !== 'running') abort(status === 'canceled' ? 'canceled' : 'lost');
    }, this.opts.heartbeatMs);
    const unsubscribe = this.deps.events.subscribe(job.id, (e) => {
      if (e.status === 'canceled') abort('canceled');
    });
    const workDir = join(this.scratch, `${job.id}-${fence.attempt}`);
    const outputs: OutputState[] = pendingOutputs(job.outputs);
    const reporter = new ProgressReporter(outputs.length, this.opts.progressIntervalMs, async (progress, stage) => {
      if (await this.deps.db.jobs.updateProgress(fence, { progress, stage })) await this.emit(decideProgress(job.id, progress, stage, this.deps.clock.now()).events);
    });
    // Decides, for this attempt, what damage in the source does to the job and what it warns about.
    const verdict = new DamageVerdict(job.onDamage);
    log.info('attempt started');
    await this.emit(decideStart(job, this.deps.clock.now()).events);
    try {
      await mkdir(workDir, { recursive: true });
      await this.produce(job, fence, outputs, workDir, controller.signal, reporter, verdict);
      reporter.stop();
      const { warnings } = verdict;
      const decision = decideSuccess(job, { outputs, warnings }, this.deps.clock.now());
      if (await this.deps.db.jobs.settle(fence, decision.write)) {
        log.info(warnings.length ? { warnings: warnings.map((w) => w.code) } : {}, 'job succeeded');
        await this.emit(decision.events);
      } else log.warn('result discarded: this attempt is no longer current');
    } catch (err) {
      reporter.stop();
      await this.settleFailure(job, fence, outputs, err, controller.signal, log, verdict);
    } finally {
      clearInterval(heartbeat);
      unsubscribe();
      this.running.delete(job.id);
      await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async produce(
    job: JobRecord,
    fence: Fence,
    outputs: OutputState[],
    workDir: string,
    signal: AbortSignal,
    reporter: ProgressReporter,
    verdict: DamageVerdict,
  ): Promise<void> {
    const sourceKey = await this.sourceKey(job, signal, reporter, workDir);
    try {
      await this.produceFrom(sourceKey, job, fence, outputs, workDir, signal, reporter, verdict);
    } finally {
      if (job.inputUrl) await this.deps.blobs.delete(sourceKey).catch(() => undefined);
    }
  }

  /** The stored input: the upload, or the job's URL downloaded once for all its outputs. */
  private async sourceKey(job: JobRecord, signal: AbortSignal, reporter: ProgressReporter, workDir: string): Promise<string> {
    if (job.inputUrl) {
      if (!this.deps.fetcher || !this.opts.urlImport) throw new DomainError('input_unsupported', 'this worker is not set up to import URLs; upload the file instead');
      reporter.report(0, STAGES.downloading);
      const key = `imports/${job.id}/source`;
      // yt-dlp (for pages and streams) downloads here first; the stored copy is what the outputs use.
      const importDir = join(workDir, 'import');
      try {
        await importFromUrl(
          { fetcher: this.deps.fetcher, blobs: this.deps.blobs, pageImporter: this.deps.pageImporter ?? null },
          job.inputUrl,
          key,
          this.opts.urlImport,
          signal,
          { workDir: importDir, onProgress: (f) => reporter.report(0, downloadingStage(f)) },
        );
      } finally {
        await rm(importDir, { recursive: true, force: true }).catch(() => undefined);
      }
      return key;
    }
    const upload = await this.deps.db.uploads.get(SYSTEM_PRINCIPAL, job.uploadId);
    if (!upload) throw new DomainError('input_invalid', `the upload ${job.uploadId} no longer exists`);
    return upload.key;
  }

  private async produceFrom(
    sourceKey: string,
    job: JobRecord,
    fence: Fence,
    outputs: OutputState[],
    workDir: string,
    signal: AbortSignal,
    reporter: ProgressReporter,
    verdict: DamageVerdict,
  ): Promise<void> {
    await this.deps.blobs.withLocalFile(sourceKey, async (inputPath) => {
      reporter.report(0, STAGES.probing);
      const probed = await probeSource(this.deps.runner, inputPath, { signal, timeoutMs: this.opts.probeTimeoutMs, limits: this.opts.limits });
      // Policy `fail` stops a source cut short here; `warn` goes on with what is really there.
      const admitted = verdict.admitSource(probed.meta, probed.truncation);
      const meta = await withInterlaceScan({ runner: this.deps.runner, signal, stallTimeoutMs: this.opts.stallTimeoutMs }, inputPath, admitted, outputs.map((o) => o.spec));
      if (!(await this.deps.db.jobs.updateProgress(fence, { probe: meta, progress: 2, stage: STAGES.probed }))) throw new AbortedError('lost');
      // One run per output, except outputs that share one ffmpeg run (see planRuns).
      let done = 0;
      for (const run of planRuns(outputs.map((o) => o.spec), meta)) {
        const stage = runStage(run.map((i) => outputs[i].spec.type), run, outputs.length);
        const fractions = run.map(() => 0);
        const percent = (units: number) => reporter.percentFor(done + Math.floor(units), units - Math.floor(units));
        // In place: the attempt's one outputs array is what the final decision writes.
        outputs.splice(0, outputs.length, ...outputsRunning(outputs, run));
        await this.deps.db.jobs.updateProgress(fence, { outputs, stage, progress: percent(0) });
        const members = run.map((i, k) => ({
          spec: outputs[i].spec,
          ctx: {
            jobId: job.id,
            outputIndex: i,
            inputPath,
            meta,
            runner: this.deps.runner,
            blobs: this.deps.blobs,
            workDir: join(workDir, String(i)),
            signal,
            stallTimeoutMs: this.opts.stallTimeoutMs,
            limits: this.opts.limits,
            encoding: this.opts.encoding,
            onProgress: (f: number) => {
              fractions[k] = Math.max(0, Math.min(1, f));
              reporter.report(percent(fractions.reduce((a, b) => a + b, 0)), stage);
            },
          },
        }));
        try {
          for (const m of members) await mkdir(m.ctx.workDir, { recursive: true });
          const products = await produceJudged(members, verdict);
          outputs.splice(0, outputs.length, ...outputsDone(outputs, run, products));
        } catch (err) {
          if (!signal.aborted) outputs.splice(0, outputs.length, ...outputsFailed(outputs, run, errorSummary(err)));
          throw err;
        } finally {
          for (const m of members) await rm(m.ctx.workDir, { recursive: true, force: true }).catch(() => undefined);
        }
        done += run.length;
        await reporter.flush();
        await this.deps.db.jobs.updateProgress(fence, { outputs, progress: percent(0) });
      }
    });
  }

  private async settleFailure(job: JobRecord, fence: Fence, outputs: OutputState[], err: unknown, signal: AbortSignal, log: Logger, verdict: DamageVerdict) {
    const now = this.deps.clock.now();
    if (signal.aborted || err instanceof AbortedError) {
      const reason = (signal.reason as StopReason | undefined) ?? 'lost';
      const step = decideStop(reason);
      if (step === 'remove-partial-outputs') {
        log.info('attempt stopped: job canceled');
        await this.deps.blobs.deletePrefix(`jobs/${job.id}`).catch(() => undefined);
      } else if (step === 'hand-back') {
        const decision = decideHandBack(job, now);
        if (await this.deps.db.jobs.settle(fence, decision.write)) {
          await this.send(job, now);
          await this.emit(decision.events);
          log.warn('handed back at shutdown');
        }
      } else log.warn('attempt stopped: lease lost to another worker');
      return;
    }
    const error = errorSummary(err);
    const decision = decideFailure(job, error, { outputs, warnings: verdict.warnings }, now, { baseMs: this.opts.retryBaseMs });
    if (!(await this.deps.db.jobs.settle(fence, decision.write))) return;
    if (decision.kind === 'requeue') {
      await this.send(job, decision.runAfter, decision.delayMs);
      await this.emit(decision.events);
      log.warn({ err: error, delayMs: decision.delayMs }, 'attempt failed; will retry');
    } else {
      log.warn({ err: error }, 'job failed');
      await this.emit(decision.events);
    }
  }
}
