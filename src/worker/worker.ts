import { rm } from 'node:fs/promises';
import { decideLeaseExpiry, type StopReason } from '../domain/job-lifecycle.js';
import type { JobEvent } from '../domain/job.js';
import type { Route } from '../domain/routes.js';
import type { JobQueue, QueueConsumer, QueueMessage } from '../ports/queue.port.js';
import type { Quotas } from '../domain/account.js';
import { Attempt } from './attempt.js';
import type { AttemptDeps, AttemptSettings } from './attempt-context.js';
import { queueMessages, type QueueMessages } from './queue-messages.js';
import { createScratchRoot } from './scratch.js';
import { SYSTEM_PRINCIPAL } from '../domain/principal.js';
import { runTraced } from './attempt-traces.js';

/** What the attempts use, plus the queue the loop consumes (the worker builds the attempts' `messages` from it). */
export interface WorkerDeps extends Omit<AttemptDeps, 'messages'> {
  queue: JobQueue;
}

export interface WorkerOptions extends AttemptSettings {
  id: string;
  concurrency: number;
  /**
   * How long an outbox row may wait unsent before the sweeper sends it
   * (default: the lease, at least 15 s).
   */
  dispatchGraceMs?: number;
  /** Output types (queue routes) this worker takes; absent: every route. */
  routes?: Route[];
  shutdownGraceMs: number;
  tmpRoot: string;
  /** The configured default quotas: the running-jobs quota of accounts without their own. */
  quotas?: Quotas;
  /** How long a token waits before it looks again when every waiting account is at its running-jobs quota. */
  heldRecheckMs?: number;
}

const NO_QUOTAS: Quotas = { storageBytes: null, runningJobs: null, processingMinutesPerMonth: null, uploadBytes: null };

/**
 * The loop around attempts: takes messages from the queue, claims the job in the database
 * (the claim's attempt count is the fence), runs one `Attempt` per claimed job (attempt.ts,
 * its steps in steps/), sweeps expired leases of dead workers, and at shutdown lets running
 * attempts finish within the grace period before aborting them (they hand their jobs back).
 */
export class Worker {
  private consumer: QueueConsumer | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private scratch = '';
  private readonly running = new Set<Attempt>();
  private stopping = false;
  private untrackSlots: (() => void) | null = null;
  private readonly messages: QueueMessages;

  constructor(private readonly deps: WorkerDeps, private readonly opts: WorkerOptions) {
    this.messages = queueMessages(deps, { owner: opts.id, leaseMs: opts.leaseMs, graceMs: opts.dispatchGraceMs ?? Math.max(opts.leaseMs, 15_000) });
  }

  async start(): Promise<void> {
    const { dir, removedStale } = await createScratchRoot(this.opts.tmpRoot);
    this.scratch = dir;
    if (removedStale) this.deps.logger.info({ removedStale }, 'removed scratch folders left by dead workers');
    this.untrackSlots = this.deps.metrics?.workerSlots({ total: this.opts.concurrency, busy: () => this.running.size }) ?? null;
    this.consumer = this.deps.queue.consume((m) => this.handle(m), { concurrency: this.opts.concurrency, routes: this.opts.routes });
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
      for (const a of this.running) a.abort('shutdown' satisfies StopReason);
    }, this.opts.shutdownGraceMs);
    await this.consumer?.close();
    clearTimeout(grace);
    await rm(this.scratch, { recursive: true, force: true }).catch(() => undefined);
    this.untrackSlots?.();
    this.deps.logger.info({ worker: this.opts.id }, 'worker stopped');
  }

  /** Stopping: it claims nothing more and lets its running jobs finish (readiness answers 503). */
  get draining(): boolean {
    return this.stopping;
  }

  /** Jobs whose worker is gone go back to the queue (or fail); then messages that never reached it are sent. */
  async sweep(): Promise<void> {
    const now = this.deps.clock.now();
    for (const fence of await this.deps.db.jobs.expiredLeases(now, 50)) {
      // expiredLeases returns fences only; the decision and the route come from the job itself.
      const job = await this.deps.db.jobs.get(SYSTEM_PRINCIPAL, fence.id);
      const decision = job && decideLeaseExpiry(job, fence, now);
      if (!decision || !(await this.deps.db.jobs.recoverExpired(fence, decision.write))) continue;
      const { status } = decision.write;
      this.deps.logger.warn({ jobId: fence.id, accountId: job.accountId, attempt: fence.attempt, status }, 'lease expired; the worker is gone');
      if (status === 'queued') await this.messages.send(job);
      await this.emit(decision.events);
    }
    await this.messages.resendUndispatched();
  }

  /**
   * A message is a token for one waiting job of its route; the fair claim decides which job
   * (src/domain/fair-share.ts). When every waiting account is at its running-jobs quota the
   * token is put back, delayed: it is tried again then, and sooner when a slot of a limited
   * account frees (the wake below).
   */
  private async handle(message: QueueMessage): Promise<void> {
    // Rejecting gives the message back: another worker (or this one, restarted) takes it.
    if (this.stopping) throw new Error('worker is stopping');
    const claimed = await this.deps.db.jobs.claimNext({
      route: message.route,
      owner: this.opts.id,
      now: this.deps.clock.now(),
      leaseMs: this.opts.leaseMs,
      expiredHint: message.jobId,
      defaults: this.opts.quotas ?? NO_QUOTAS,
    });
    if (claimed === 'held') return void (await this.deps.queue.enqueue(message, { delayMs: this.opts.heldRecheckMs ?? 10_000 }));
    if (!claimed) return; // nothing due on this route (finished, canceled, not due, or another slot took it)
    const attempt = new Attempt({ ...this.deps, messages: this.messages }, this.opts, claimed.job, this.scratch);
    this.running.add(attempt);
    try {
      await runTraced(this.deps.tracer, message, claimed.job, () => attempt.run());
    } finally {
      this.running.delete(attempt);
      // A slot of a limited account is free: a token for its waiting jobs, so they need not wait for a held token's recheck.
      if (claimed.limited) await this.deps.queue.enqueue({ jobId: claimed.job.id, route: message.route }).catch(() => undefined);
    }
  }

  private async emit(events: JobEvent[]): Promise<void> {
    for (const e of events) await this.deps.events.publish(e).catch(() => undefined);
  }
}
