import { newId } from '../../src/domain/ids.js';
import type { JobWarning } from '../../src/domain/damage.js';
import { decideCreate, decideFailure, decideSuccess } from '../../src/domain/job-lifecycle.js';
import type { JobError, JobRecord, OutputState } from '../../src/domain/job.js';
import type { NewJob } from '../../src/ports/db.port.js';

/** What the db contracts (db.contract.ts, job-transitions.contract.ts) build their jobs from. */
export const outputs: OutputState[] = [{ spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' }, status: 'pending', files: [] }];
export const newJob = (now: number, extra: Partial<NewJob> = {}): NewJob => {
  const id = newId('job', now);
  return { id, uploadId: 'upl_x', outputs, userMetadata: { team: 'a' }, maxAttempts: 3, createdAt: now, initial: decideCreate(id, now).write, ...extra };
};
// The repository persists what src/domain/job-lifecycle.ts decides; these build the decisions.
export const transient: JobError = { code: 'ffmpeg_failed', message: 'x' };
export const succeeded = (job: JobRecord, now: number, warnings: JobWarning[] = []) => decideSuccess(job, { outputs, warnings }, now).write;
/** A requeue for a retry, due at `now + delayMs` (the first attempt's backoff is the base). */
export const requeued = (job: JobRecord, now: number, delayMs: number) => decideFailure(job, transient, { outputs, warnings: [] }, now, { baseMs: delayMs }).write;
