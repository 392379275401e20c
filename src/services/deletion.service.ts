import { DomainError } from '../domain/errors.js';
import type { JobRecord, UploadRecord } from '../domain/job.js';
import type { Principal } from '../domain/principal.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import type { Removed } from '../ports/lifecycle.port.js';
import { deleteStored } from './storage-deletions.js';

export interface DeletionLogger {
  warn(obj: object, msg: string): void;
}

/**
 * DELETE /v1/jobs/{id} and DELETE /v1/uploads/{id} (docs/lifecycle.md): the row is marked and
 * its keys recorded in one transaction, then the files are deleted at once. Storage usage
 * goes down at the commit. When storage refuses, the answer is still the deletion (it is
 * recorded and cannot be undone) and the sweeper deletes the files on its next pass.
 */
export class DeletionService {
  constructor(
    private readonly deps: {
      db: Pick<Database, 'jobs' | 'uploads' | 'retention'>;
      blobs: Pick<BlobStore, 'deleteMany'>;
      clock: Clock;
      /** When storage refused a deletion now: it is tried again from then on (default 60 s). */
      retryMs?: number;
      logger?: DeletionLogger;
    },
  ) {}

  /** Its output files; the job row stays, marked deleted (usage, Idempotency-Key). Refused while it is queued or running. */
  async deleteJob(principal: Principal, id: string): Promise<JobRecord> {
    const removed = await this.deps.db.retention.deleteJob(principal, id, this.deps.clock.now());
    if (removed.status === 'not_found') throw new DomainError('not_found', `no job with id ${id}`);
    if (removed.status === 'in_use') {
      throw new DomainError('job_not_deletable', `job ${id} is queued or running: cancel it first (POST /v1/jobs/${id}/cancel), then delete it`, { jobId: id });
    }
    await this.deleteFiles(removed);
    const job = await this.deps.db.jobs.get(principal, id);
    if (!job) throw new DomainError('not_found', `no job with id ${id}`);
    return job;
  }

  /** Its source; refused while a queued or running job uses it. Jobs made from it keep their outputs. */
  async deleteUpload(principal: Principal, id: string): Promise<UploadRecord> {
    const removed = await this.deps.db.retention.deleteUpload(principal, id, this.deps.clock.now());
    if (removed.status === 'not_found') throw new DomainError('not_found', `no upload with id ${id}`);
    if (removed.status === 'in_use') {
      throw new DomainError('upload_in_use', `upload ${id} is the input of job ${removed.jobId}, which is queued or running: wait for it to finish or cancel it, then delete the upload`, {
        jobId: removed.jobId,
      });
    }
    await this.deleteFiles(removed);
    const upload = await this.deps.db.uploads.get(principal, id);
    if (!upload) throw new DomainError('not_found', `no upload with id ${id}`);
    return upload;
  }

  private async deleteFiles(removed: Removed): Promise<void> {
    if (removed.status !== 'removed') return;
    const now = this.deps.clock.now();
    const { error } = await deleteStored(this.deps, removed.deletions, now + (this.deps.retryMs ?? 60_000));
    if (error) this.deps.logger?.warn({ err: error.message, keys: removed.deletions.length }, 'storage refused a deletion; the retention sweeper tries again');
  }
}
