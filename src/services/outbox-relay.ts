import { newId } from '../domain/ids.js';
import { outboxJobId, outboxRetryDelayMs, type OutboxKind } from '../domain/outbox.js';
import { jobRoute } from '../domain/routes.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import type { OutboxEntry } from '../ports/outbox.port.js';
import type { JobQueue } from '../ports/queue.port.js';
import { noopTracer, type Tracer } from '../ports/tracer.port.js';
import { SYSTEM_PRINCIPAL } from '../domain/principal.js';

export interface OutboxRelayOptions {
  /** This relay's name on its leases; default a fresh id. */
  owner?: string;
  /** How long a taken row is this relay's; past it, another relay may send it again. Default 30 s. */
  leaseMs?: number;
  /**
   * A row nobody has taken yet is left to its writer this long (the writer sends what it
   * committed right away: the API answers only once the queue has it). Default 15 s.
   */
  graceMs?: number;
  /** Backoff after a refusal: base, doubling per attempt, up to max. Defaults 1 s and 60 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Sent rows are deleted after this long. Default 24 h. */
  keepSentMs?: number;
}

export type SendResult = { status: 'sent' } | { status: 'nothing' } | { status: 'refused'; error: Error };

const KINDS: readonly OutboxKind[] = ['queue.dispatch'];

/**
 * Sends the outbox's messages (src/ports/outbox.port.ts) and marks them sent. Two ways in:
 * `sendForJob` right after a transition has committed (the writer's own send, so latency
 * stays one enqueue), and `pass`, run by every worker's sweeper, for whatever a writer did
 * not get to send (the queue refused it, or the process died after its commit). A row is
 * leased while it is being sent; a relay that dies between the send and the mark lets the
 * lease run out and the row is sent again: at most the rows it had not marked, and a
 * duplicate queue message is harmless (the worker's claim is fenced).
 */
export class OutboxRelay {
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly graceMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly keepSentMs: number;

  constructor(private readonly deps: { db: Pick<Database, 'jobs' | 'outbox'>; queue: JobQueue; clock: Clock; tracer?: Tracer }, opts: OutboxRelayOptions = {}) {
    this.owner = opts.owner ?? newId('relay', deps.clock.now());
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.graceMs = opts.graceMs ?? 15_000;
    this.retryBaseMs = opts.retryBaseMs ?? 1000;
    this.retryMaxMs = opts.retryMaxMs ?? 60_000;
    this.keepSentMs = opts.keepSentMs ?? 24 * 3600_000;
  }

  /**
   * Sends the job's unsent messages now, whatever their due time: what its writer just
   * committed. `nothing` when there was none to take (already sent, or another relay holds
   * it). On `refused` the rows stay for a later pass, after their backoff.
   */
  async sendForJob(jobId: string): Promise<SendResult> {
    const lease = { owner: this.owner, now: this.deps.clock.now(), leaseMs: this.leaseMs };
    const entries = await this.deps.db.outbox.claimForJob(jobId, lease);
    if (!entries.length) return { status: 'nothing' };
    const error = await this.deliver(jobId, entries);
    return error ? { status: 'refused', error } : { status: 'sent' };
  }

  /**
   * One pass over due rows, oldest first. Stops at the first refusal (the queue is away; the
   * next pass tries again) and gives the untried rows back. Returns the job ids it sent for.
   */
  async pass(limit = 50): Promise<{ sent: string[]; refused: Error | null }> {
    const now = this.deps.clock.now();
    const entries = await this.deps.db.outbox.claimDue({ owner: this.owner, now, leaseMs: this.leaseMs, kinds: KINDS, limit, freshAfterMs: this.graceMs });
    // One job may have several rows (a retry after a refused create): one message covers them.
    const byJob = new Map<string, OutboxEntry[]>();
    for (const e of entries) {
      const jobId = outboxJobId(e.message);
      if (jobId) byJob.set(jobId, [...(byJob.get(jobId) ?? []), e]);
    }
    const sent: string[] = [];
    const groups = [...byJob];
    for (let i = 0; i < groups.length; i++) {
      const [jobId, rows] = groups[i];
      const refused = await this.deliver(jobId, rows);
      if (refused) {
        await this.deps.db.outbox.release(groups.slice(i + 1).flatMap(([, r]) => r.map((e) => e.id)), this.owner, null);
        return { sent, refused };
      }
      sent.push(jobId);
    }
    return { sent, refused: null };
  }

  /** Deletes rows sent longer ago than `keepSentMs`. */
  async prune(limit = 500): Promise<number> {
    return this.deps.db.outbox.prune(this.deps.clock.now() - this.keepSentMs, limit);
  }

  /**
   * Puts one job on the queue for `rows` (all its `queue.dispatch` rows this relay holds),
   * then marks them. A job that is no longer queued needs no message (it was canceled,
   * failed, or claimed through another message; every later return to `queued` writes a
   * row of its own): the rows are marked without sending. Returns the refusal, if any.
   */
  private async deliver(jobId: string, rows: OutboxEntry[]): Promise<Error | null> {
    const ids = rows.map((r) => r.id);
    const job = await this.deps.db.jobs.get(SYSTEM_PRINCIPAL, jobId);
    if (job && job.status === 'queued') {
      const delayMs = Math.max(0, job.runAfter - this.deps.clock.now());
      try {
        await this.enqueue(jobId, jobRoute(job.outputs), delayMs, rows);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        const attempts = Math.max(...rows.map((r) => r.attempts));
        const availableAt = this.deps.clock.now() + outboxRetryDelayMs(attempts, this.retryBaseMs, this.retryMaxMs);
        await this.deps.db.outbox.release(ids, this.owner, { availableAt, error: error.message }).catch(() => undefined);
        return error;
      }
    }
    // A failed mark only lets the lease run out: the row is sent once more, a harmless duplicate.
    await this.deps.db.outbox.complete(ids, this.owner, this.deps.clock.now()).catch(() => undefined);
    return null;
  }

  /**
   * The enqueue as a `job.enqueue` span continuing the trace its row was written in (the
   * creating request's, whichever process sends it); the message carries this span's
   * traceparent for the worker's `job.run`.
   */
  private enqueue(jobId: string, route: ReturnType<typeof jobRoute>, delayMs: number, rows: OutboxEntry[]): Promise<void> {
    const written = rows.map((r) => (r.message.kind === 'queue.dispatch' ? r.message.traceparent : undefined)).filter((t) => t !== undefined).at(-1);
    const tracer = this.deps.tracer ?? noopTracer;
    const attributes = { 'mediaforge.job.id': jobId, 'mediaforge.job.route': route, 'messaging.operation.type': 'send', 'mediaforge.queue.delay_ms': delayMs };
    return tracer.inSpan('job.enqueue', { kind: 'producer', attributes, ...(written ? { parent: written } : {}) }, async (span) => {
      const traceparent = span.traceparent();
      await this.deps.queue.enqueue({ jobId, route, ...(traceparent ? { traceparent } : {}) }, delayMs > 0 ? { delayMs } : undefined);
    });
  }
}
