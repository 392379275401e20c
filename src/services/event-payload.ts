import type { JobRecord, UploadRecord } from '../domain/job.js';
import type { Principal } from '../domain/principal.js';
import type { Database } from '../ports/db.port.js';

/** How an event's `data` is shown: as GET /v1/jobs/{id} and GET /v1/uploads/{id} answer, links signed now (main passes the HTTP presenters). */
export interface EventPresenter {
  job(job: JobRecord): unknown;
  upload(upload: UploadRecord): unknown;
}

/**
 * The `data` of an event about a job or an upload, for webhook deliveries and broker
 * events alike: the resource as its account reads it now (so links are fresh at every
 * attempt); undefined when it is gone.
 */
export async function subjectData(
  deps: { db: Pick<Database, 'jobs' | 'uploads'>; presenter: EventPresenter },
  event: { accountId: string; subject: 'job' | 'upload'; subjectId: string },
  readerName: string,
): Promise<unknown> {
  const reader: Principal = { accountId: event.accountId, keyId: readerName, keyName: readerName, scopes: [], sees: 'account' };
  if (event.subject === 'upload') {
    const upload = await deps.db.uploads.get(reader, event.subjectId);
    return upload ? deps.presenter.upload(upload) : undefined;
  }
  const job = await deps.db.jobs.get(reader, event.subjectId);
  return job ? deps.presenter.job(job) : undefined;
}
