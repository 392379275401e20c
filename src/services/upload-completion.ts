import { isDomainError } from '../domain/errors.js';
import type { JobRecord, UploadRecord } from '../domain/job.js';
import type { ProcessError } from '../domain/process-spec.js';
import type { Principal } from '../domain/principal.js';
import type { Database, UnitOfWork } from '../ports/db.port.js';
import type { JobsService, PlannedJob } from './jobs.service.js';

/**
 * The one place an upload becomes ready, whichever way it came (a body through the API, a
 * presigned PUT and its complete call, a bucket event; tus would call it the same way).
 * `becomeReady` writes the transition inside the unit of work (inserts the ready row, or
 * moves a pending one to ready) and says whether it applied; only when it did is the job
 * of the upload's `process` inserted in the same transaction, and the upload's `job_id`
 * with it. A completion reported twice (two concurrent complete calls) applies once: the
 * second finds the row ready, writes nothing and makes no job.
 *
 * The job is checked and built first (quotas, preset, retention: reads outside the unit of
 * work, which on SQLite holds the one connection). When that refuses (over a quota, a
 * preset deleted since the upload began), the upload still becomes ready and carries the
 * refusal as `processError`; the client can submit a job on it itself.
 */
export class UploadCompletion {
  constructor(private readonly deps: { db: Pick<Database, 'transaction'>; jobs: Pick<JobsService, 'planForUpload' | 'started'> }) {}

  /** True when this call made the upload ready (false: it already was, or the transition refused). */
  async complete(principal: Principal, upload: UploadRecord, becomeReady: (tx: UnitOfWork) => Promise<boolean>): Promise<boolean> {
    const plan = upload.process ? await this.plan(principal, upload) : null;
    const made = await this.deps.db.transaction(async (tx): Promise<{ job: JobRecord | null } | null> => {
      if (!(await becomeReady(tx))) return null;
      if (!plan) return { job: null };
      if ('error' in plan) {
        await tx.uploads.setProcessOutcome(principal, upload.id, { processError: plan.error });
        return { job: null };
      }
      const { job } = await tx.jobs.create(principal, plan.job);
      await tx.uploads.setProcessOutcome(principal, upload.id, { jobId: job.id });
      return { job };
    });
    if (made?.job && plan && !('error' in plan)) await this.deps.jobs.started(made.job, plan.events);
    return made !== null;
  }

  private async plan(principal: Principal, upload: UploadRecord): Promise<PlannedJob | { error: ProcessError }> {
    try {
      return await this.deps.jobs.planForUpload(principal, upload.process!, upload);
    } catch (err) {
      if (!isDomainError(err)) throw err;
      return { error: { code: err.code, message: err.message } };
    }
  }
}
