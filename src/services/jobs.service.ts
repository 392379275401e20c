import { checkNotifyEmail } from '../domain/notify.js';
import { createHash } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { jobRequestSchema, type JobRequest, type OutputSpec } from '../domain/job-spec.js';
import { decideCancel, decideCreate, decideRetryByUser, decideUndispatched } from '../domain/job-lifecycle.js';
import { dispatchMessage } from '../domain/outbox.js';
import type { JobEvent, JobRecord, JobStatus, UploadRecord } from '../domain/job.js';
import { MAX_OUTPUTS } from '../domain/presets.js';
import { processJobRequest, processSpecSchema, type ProcessSpec } from '../domain/process-spec.js';
import type { Principal } from '../domain/principal.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database, NewJob } from '../ports/db.port.js';
import type { EventBus } from '../ports/events.port.js';
import type { JobQueue } from '../ports/queue.port.js';
import { noopTracer, type Tracer } from '../ports/tracer.port.js';
import { OutboxRelay } from './outbox-relay.js';
import type { QuotasService } from './quotas.service.js';
import type { PresetsService } from './presets.service.js';
import type { RetentionService } from './retention.service.js';
import { parseOrThrow } from './validation.js';

export type { JobEvent };

/** A job checked and built, not yet written: its row and the events its creation publishes. */
export interface PlannedJob {
  job: NewJob;
  events: JobEvent[];
}

/** A job can run from this upload: complete, and its source still stored. */
function assertUsable(upload: UploadRecord): void {
  const path = { path: 'input.uploadId' };
  if (upload.status === 'pending') {
    throw new DomainError('upload_incomplete', `upload ${upload.id} is not complete yet; send the rest of it (tus: PATCH /v1/uploads/tus/${upload.id}), or PUT it to its presigned URL and POST /v1/uploads/${upload.id}/complete`, path);
  }
  if (upload.status === 'expired') throw new DomainError('upload_expired', `the source of upload ${upload.id} expired under its retention and was removed; upload the file again`, path);
  if (upload.status === 'deleted') throw new DomainError('upload_deleted', `upload ${upload.id} was deleted; upload the file again`, path);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class JobsService {
  constructor(
    private readonly deps: {
      db: Pick<Database, 'jobs' | 'uploads' | 'outbox'>;
      queue: JobQueue;
      events: EventBus;
      clock: Clock;
      defaultMaxAttempts: number;
      /** The account's storage and processing-minute quotas; absent: none. */
      quotas?: Pick<QuotasService, 'assertCanSubmit'>;
      /** `"preset": "name"`; absent: a job naming one is refused as an unknown preset. */
      presets?: Pick<PresetsService, 'outputsFor'>;
      /** The account's and the configured retention; absent: outputs kept until deleted. */
      retention?: Pick<RetentionService, 'forJob'>;
      /** This server sends e-mail (MEDIAFORGE_SMTP_URL); absent or false: `notify.email` is refused. */
      emailEnabled?: boolean;
      /** `job.create` and `job.enqueue` spans (docs/observability.md#traces); absent: none. */
      tracer?: Tracer;
    },
  ) {
    this.relay = new OutboxRelay(deps);
    this.tracer = deps.tracer ?? noopTracer;
  }

  private readonly tracer: Tracer;

  /** Sends what this service's transitions just committed to the outbox (the workers' relays send what it could not). */
  private readonly relay: OutboxRelay;

  /** A job owned by `principal`; its Idempotency-Key replays only that owner's earlier job. */
  async submit(principal: Principal, body: unknown, idempotencyKey?: string): Promise<{ job: JobRecord; created: boolean }> {
    return this.tracer.inSpan('job.create', { attributes: { 'mediaforge.account.id': principal.accountId } }, async (span) => {
      const result = await this.create(principal, body, idempotencyKey, span.traceparent());
      span.setAttributes({ 'mediaforge.job.id': result.job.id, 'mediaforge.job.created': result.created, 'mediaforge.job.outputs': result.job.outputs.length });
      return result;
    });
  }

  /** `traceparent`: the job.create span's, written into the job's queue message. */
  private async create(principal: Principal, body: unknown, idempotencyKey: string | undefined, traceparent: string | null): Promise<{ job: JobRecord; created: boolean }> {
    const request = parseOrThrow(jobRequestSchema, body, 'job request');
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
      throw new DomainError('validation_failed', 'Idempotency-Key must be 1–255 visible ASCII characters');
    }
    const requestHash = createHash('sha256').update(canonical(request)).digest('hex');
    // A replay answers with the earlier job before any check a new job meets: the client
    // retrying a request that was accepted must get its job, even once the account is over
    // its quota or the upload is gone.
    if (idempotencyKey !== undefined) {
      const earlier = await this.deps.db.jobs.findByIdempotencyKey(principal, idempotencyKey);
      if (earlier) return this.replay(principal, earlier.job, earlier.requestHash, requestHash);
    }
    const notifyEmail = this.notifyEmailOf(request);
    await this.deps.quotas?.assertCanSubmit(principal);
    const outputs = await this.outputsOf(principal, request);
    const upload = request.input.url !== undefined ? null : await this.deps.db.uploads.get(principal, request.input.uploadId!);
    if (!upload && request.input.url === undefined) throw new DomainError('upload_not_found', `no upload with id ${request.input.uploadId}; upload the file first with POST /v1/uploads`, { path: 'input.uploadId' });
    if (upload) assertUsable(upload);

    const planned = await this.plan(principal, request, upload, outputs, notifyEmail, traceparent);
    const { job, created, requestHash: earlierHash } = await this.deps.db.jobs.create(principal, planned.job, idempotencyKey ? { key: idempotencyKey, requestHash } : undefined);
    // Another API process created it with the same key between the lookup above and this insert.
    if (!created) return this.replay(principal, job, earlierHash, requestHash);
    await this.dispatch(job);
    await this.publish(planned.events);
    return { job, created };
  }

  private notifyEmailOf(request: Pick<JobRequest, 'notify'>): string | null {
    return request.notify ? checkNotifyEmail(request.notify.email, 'notify.email', this.deps.emailEnabled === true) : null;
  }

  /** The row of a new job and the events its creation publishes once committed. */
  private async plan(principal: Principal, request: JobRequest, upload: UploadRecord | null, outputs: OutputSpec[], notifyEmail: string | null, traceparent: string | null): Promise<PlannedJob> {
    const now = this.deps.clock.now();
    const id = newId('job', now);
    const decision = decideCreate(id, now, traceparent);
    return {
      job: {
        id,
        uploadId: upload?.id ?? '',
        inputUrl: request.input.url ?? null,
        onDamage: request.input.onDamage,
        outputs: outputs.map((spec) => ({ spec, status: 'pending', files: [] })),
        userMetadata: request.metadata ?? null,
        maxAttempts: request.maxAttempts ?? this.deps.defaultMaxAttempts,
        createdAt: now,
        retention: this.deps.retention ? await this.deps.retention.forJob(principal, request.retention, upload) : undefined,
        notifyEmail,
        initial: decision.write,
      },
      events: decision.events,
    };
  }

  /**
   * Checks an upload's `process` (docs/lifecycle.md) as a job request is checked, before a
   * byte of the upload is stored: its schema, its notify address, its preset (422
   * preset_not_found). Quotas are checked when the job is made, at the completion.
   */
  async checkProcess(principal: Principal, raw: unknown, what: string): Promise<ProcessSpec> {
    const spec = parseOrThrow(processSpecSchema, raw, what);
    const request = parseOrThrow(jobRequestSchema, processJobRequest(spec, 'upl_check'), what);
    this.notifyEmailOf(request);
    await this.outputsOf(principal, request);
    return spec;
  }

  /**
   * The job an upload's `process` makes at its completion, read and checked now (outside the
   * unit of work that makes the upload ready and inserts this row: src/services/upload-completion.ts).
   */
  async planForUpload(principal: Principal, spec: ProcessSpec, upload: UploadRecord): Promise<PlannedJob> {
    const request = parseOrThrow(jobRequestSchema, processJobRequest(spec, upload.id), 'process');
    const notifyEmail = this.notifyEmailOf(request);
    await this.deps.quotas?.assertCanSubmit(principal);
    const outputs = await this.outputsOf(principal, request);
    // The job of an upload's completion starts its own trace at its enqueue.
    return this.plan(principal, request, upload, outputs, notifyEmail, null);
  }

  /**
   * After the commit of a job made inside another unit of work: hands it to the queue and
   * publishes its events. A queue that refuses leaves the job failed with queue_unavailable
   * (retry it), which the caller need not hear about: the upload it came with is stored.
   */
  async started(job: JobRecord, events: JobEvent[]): Promise<void> {
    try {
      await this.dispatch(job);
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'queue_unavailable')) throw err;
    }
    await this.publish(events);
  }

  /** A preset's outputs first (checked again now), then the job's own. */
  private async outputsOf(principal: Principal, request: JobRequest): Promise<OutputSpec[]> {
    if (request.preset === undefined) return request.outputs;
    if (!this.deps.presets) throw new DomainError('preset_not_found', `no preset named "${request.preset}"`, { path: 'preset' });
    const outputs = [...(await this.deps.presets.outputsFor(principal, request.preset)), ...request.outputs];
    if (outputs.length > MAX_OUTPUTS) {
      throw new DomainError('validation_failed', `invalid job request: outputs: the preset "${request.preset}" and outputs make ${outputs.length} outputs; at most ${MAX_OUTPUTS}`, {
        problems: [{ path: 'outputs', message: `at most ${MAX_OUTPUTS} outputs with the preset's` }],
      });
    }
    return outputs;
  }

  /**
   * The answer to a request whose Idempotency-Key already made `job`. A replay of a job that is
   * still queued enqueues again (a duplicate message is harmless, and it replaces one a broker
   * may have lost); a replay of a job whose message never reached the queue runs it again.
   */
  private async replay(principal: Principal, job: JobRecord, earlierHash: string | undefined, requestHash: string): Promise<{ job: JobRecord; created: boolean }> {
    if (earlierHash !== requestHash) {
      throw new DomainError('idempotency_conflict', 'this Idempotency-Key was already used with a different request body', { jobId: job.id });
    }
    if (job.status === 'failed' && job.error?.code === 'queue_unavailable') return { job: await this.retry(principal, job.id), created: false };
    if (job.status === 'queued') {
      await this.deps.db.outbox.add([dispatchMessage(job.id)], this.deps.clock.now());
      await this.dispatch(job);
    }
    return { job, created: false };
  }

  /** `not_found` too for a job `principal` may not see: another owner's ids are not confirmed. */
  async get(principal: Principal, id: string): Promise<JobRecord> {
    const job = await this.deps.db.jobs.get(principal, id);
    if (!job) throw new DomainError('not_found', `no job with id ${id}`);
    return job;
  }

  /** Live events of one job (status and progress) as they are published; returns the unsubscribe function. */
  subscribe(id: string, listener: (event: JobEvent) => void): () => void {
    return this.deps.events.subscribe(id, listener);
  }

  async list(principal: Principal, query: { status?: JobStatus; limit: number; cursor?: string }) {
    return this.deps.db.jobs.list(principal, query);
  }

  // The transition is by id: the `get` before it is what checks that `principal` may see the job.
  async cancel(principal: Principal, id: string): Promise<JobRecord> {
    const decision = decideCancel(await this.get(principal, id), this.deps.clock.now());
    if (!(await this.deps.db.jobs.transition(id, decision))) {
      const current = await this.get(principal, id);
      throw new DomainError('job_not_cancelable', `job ${id} is already ${current.status}`);
    }
    await this.publish(decision.events);
    return this.get(principal, id);
  }

  async retry(principal: Principal, id: string): Promise<JobRecord> {
    const now = this.deps.clock.now();
    const current = await this.get(principal, id);
    if (current.deletedAt !== null) throw new DomainError('job_not_retryable', `job ${id} was deleted; submit a new job`);
    if (current.uploadId) {
      const upload = await this.deps.db.uploads.get(principal, current.uploadId);
      if (upload) assertUsable(upload);
    }
    const decision = decideRetryByUser(current, now);
    const job = (await this.deps.db.jobs.transition(id, decision)) ? await this.deps.db.jobs.get(principal, id) : null;
    if (!job || job.status !== 'queued') throw new DomainError('job_not_retryable', `job ${id} changed state; try again`);
    await this.dispatch(job);
    await this.publish(decision.events);
    return job;
  }

  /**
   * Hands the job to the queue. The client hears "accepted" only once the queue has the
   * message (for RabbitMQ: confirmed by the broker). When the queue does not take it, the
   * job is marked failed with `queue_unavailable` rather than left queued with no message
   * (nothing would ever run it), and the caller gets a 503 that says how to run it again.
   * The message is the outbox row the transition just committed; `nothing` means another
   * relay holds it (this process stalled past the relays' grace) and sends it.
   */
  private async dispatch(job: JobRecord): Promise<void> {
    const result = await this.relay.sendForJob(job.id);
    if (result.status === 'refused') {
      const reason = `the job queue did not take job ${job.id}: ${result.error.message}`;
      const decision = decideUndispatched(job, reason, this.deps.clock.now());
      const failed = await this.deps.db.jobs.transition(job.id, decision).catch(() => false);
      if (failed) await this.publish(decision.events).catch(() => undefined);
      throw new DomainError(
        'queue_unavailable',
        `${reason}. Nothing was started${failed ? ` and the job is marked failed` : ''}; once the queue is back, send the same request again with its Idempotency-Key, or POST /v1/jobs/${job.id}/retry`,
        { jobId: job.id },
      );
    }
  }

  /** Publishes exactly the events the lifecycle decision lists. */
  private async publish(events: JobEvent[]) {
    for (const e of events) await this.deps.events.publish(e);
  }
}
