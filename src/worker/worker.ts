import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AbortedError, DomainError, errorSummary, isDomainError } from '../domain/errors.js';
import { retryDelayMs, type JobRecord, type JobStatus, type OutputState } from '../domain/job.js';
import type { Route } from '../domain/routes.js';
import type { MediaMetadata } from '../domain/media.js';
import { planRuns, produceRun } from '../pipelines/fused.pipeline.js';
import { probeInput, sniffForbiddenText, type MediaLimits } from '../pipelines/input.probe.js';
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

type StopReason = 'canceled' | 'lost' | 'shutdown';

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
      const status = await this.deps.db.jobs.recoverExpired(fence, now);
      if (!status) continue;
      this.deps.logger.warn({ job: fence.id, attempt: fence.attempt, status }, 'lease expired; the worker is gone');
      if (status === 'queued') {
        // expiredLeases returns fences only; the route comes from the job's own outputs.
        const job = await this.deps.db.jobs.get(fence.id);
        if (job) await this.send(job, now);
      }
      await this.emit(fence.id, 'status', status, 0, status === 'queued' ? 'requeued after worker loss' : 'failed');
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

  private async emit(jobId: string, type: 'status' | 'progress', status: JobStatus, progress: number, stage: string | null) {
    await this.deps.events.publish({ jobId, type, status, progress, stage, at: this.deps.clock.now() }).catch(() => undefined);
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
    const outputs: OutputState[] = job.outputs.map((o) => ({ spec: o.spec, status: 'pending', files: [] }));
    const reporter = new ProgressReporter(outputs.length, this.opts.progressIntervalMs, async (progress, stage) => {
      if (await this.deps.db.jobs.updateProgress(fence, { progress, stage })) await this.emit(job.id, 'progress', 'running', progress, stage);
    });
    log.info('attempt started');
    await this.emit(job.id, 'status', 'running', job.progress, 'starting');
    try {
      await mkdir(workDir, { recursive: true });
      await this.produce(job, fence, outputs, workDir, controller.signal, reporter);
      reporter.stop();
      const ok = await this.deps.db.jobs.finish(fence, { status: 'succeeded', outputs, error: null, now: this.deps.clock.now() });
      if (ok) {
        log.info('job succeeded');
        await this.emit(job.id, 'status', 'succeeded', 100, 'done');
      } else log.warn('result discarded: this attempt is no longer current');
    } catch (err) {
      reporter.stop();
      await this.settleFailure(job, fence, outputs, err, controller.signal, log);
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
  ): Promise<void> {
    const sourceKey = await this.sourceKey(job, signal, reporter, workDir);
    try {
      await this.produceFrom(sourceKey, job, fence, outputs, workDir, signal, reporter);
    } finally {
      if (job.inputUrl) await this.deps.blobs.delete(sourceKey).catch(() => undefined);
    }
  }

  /** The stored input: the upload, or the job's URL downloaded once for all its outputs. */
  private async sourceKey(job: JobRecord, signal: AbortSignal, reporter: ProgressReporter, workDir: string): Promise<string> {
    if (job.inputUrl) {
      if (!this.deps.fetcher || !this.opts.urlImport) throw new DomainError('input_unsupported', 'this worker is not set up to import URLs; upload the file instead');
      reporter.report(0, 'downloading');
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
          { workDir: importDir, onProgress: (f) => reporter.report(0, `downloading (${Math.floor(f * 100)}%)`) },
        );
      } finally {
        await rm(importDir, { recursive: true, force: true }).catch(() => undefined);
      }
      return key;
    }
    const upload = await this.deps.db.uploads.get(job.uploadId);
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
  ): Promise<void> {
    await this.deps.blobs.withLocalFile(sourceKey, async (inputPath) => {
      reporter.report(0, 'probing');
      const meta = await this.probe(inputPath, signal);
      if (!(await this.deps.db.jobs.updateProgress(fence, { probe: meta, progress: 2, stage: 'probed' }))) throw new AbortedError('lost');
      // One run per output, except outputs that share one ffmpeg run (see planRuns).
      let done = 0;
      for (const run of planRuns(outputs.map((o) => o.spec), meta)) {
        const stage = `${run.map((i) => outputs[i].spec.type).join(' + ')} (${run.map((i) => i + 1).join(', ')}/${outputs.length})`;
        const fractions = run.map(() => 0);
        const percent = (units: number) => reporter.percentFor(done + Math.floor(units), units - Math.floor(units));
        for (const i of run) outputs[i].status = 'running';
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
          const products = await produceRun(members);
          run.forEach((i, k) => (outputs[i] = { spec: outputs[i].spec, status: 'succeeded', files: products[k].files, result: products[k].result }));
        } catch (err) {
          if (!signal.aborted) for (const i of run) outputs[i] = { spec: outputs[i].spec, status: 'failed', files: [], error: errorSummary(err) };
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

  private async probe(inputPath: string, signal: AbortSignal): Promise<MediaMetadata> {
    const handle = await open(inputPath, 'r');
    let head: Buffer;
    try {
      const buf = Buffer.alloc(4096);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    if (head.length === 0) throw new DomainError('input_invalid', 'the input file is empty');
    const forbidden = sniffForbiddenText(head);
    if (forbidden) {
      throw new DomainError('input_forbidden', `the input is ${forbidden}, which can make ffmpeg read other files or URLs; upload the media file itself`);
    }
    return probeInput(this.deps.runner, inputPath, { signal, timeoutMs: this.opts.probeTimeoutMs, limits: this.opts.limits });
  }

  private async settleFailure(job: JobRecord, fence: Fence, outputs: OutputState[], err: unknown, signal: AbortSignal, log: Logger) {
    const now = this.deps.clock.now();
    if (signal.aborted || err instanceof AbortedError) {
      const reason = (signal.reason as StopReason | undefined) ?? 'lost';
      if (reason === 'canceled') {
        log.info('attempt stopped: job canceled');
        await this.deps.blobs.deletePrefix(`jobs/${job.id}`).catch(() => undefined);
      } else if (reason === 'shutdown') {
        if (await this.deps.db.jobs.requeue(fence, now, { error: null, refundAttempt: true })) {
          await this.send(job, now);
          await this.emit(job.id, 'status', 'queued', 0, 'handed back at worker shutdown');
          log.warn('handed back at shutdown');
        }
      } else log.warn('attempt stopped: lease lost to another worker');
      return;
    }
    const error = errorSummary(err);
    const permanent = isDomainError(err) ? err.permanent : false;
    if (!permanent && fence.attempt < job.maxAttempts) {
      const delay = retryDelayMs(fence.attempt, this.opts.retryBaseMs);
      if (await this.deps.db.jobs.requeue(fence, now + delay, { error, refundAttempt: false })) {
        await this.send(job, now + delay, delay);
        await this.emit(job.id, 'status', 'queued', 0, 'waiting to retry');
        log.warn({ err: error, delayMs: delay }, 'attempt failed; will retry');
      }
      return;
    }
    if (await this.deps.db.jobs.finish(fence, { status: 'failed', outputs, error, now })) {
      log.warn({ err: error }, 'job failed');
      await this.emit(job.id, 'status', 'failed', job.progress, 'failed');
    }
  }
}
