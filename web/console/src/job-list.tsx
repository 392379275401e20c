import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import { useLiveJob } from './live-job.js';
import type { Job } from './types.js';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
const LIVE = new Set(['queued', 'running']);

const eta = (s: number | null | undefined) => (s == null ? '' : s >= 90 ? `ETA ${Math.round(s / 60)} min` : `ETA ${Math.round(s)} s`);

/** One job; while it is queued or running, useLiveJob keeps it current (its event stream). */
/** The job's own error (what the API recorded) and the console's (a request that failed), as the row and the job page show them. */
export function JobErrors({ job, error }: { job: Job; error: string }) {
  return (
    <>
      {job.error && (
        <p class="error">
          {job.error.code}: {job.error.message}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

function JobRow({ initial }: { initial: Job }) {
  const [job, setJob] = useState<Job>(initial);
  const [error, setError] = useState('');
  const [open, setOpen] = useState(false);
  const live = LIVE.has(job.status);

  useEffect(() => setJob(initial), [initial]);
  useLiveJob(job.id, live, setJob, setError);

  const act = async (what: 'cancel' | 'retry') => {
    setError('');
    try {
      setJob(await api<Job>('POST', `/v1/jobs/${job.id}/${what}`));
    } catch (err) {
      setError(err instanceof ApiError ? `${err.message} (${err.code})` : String(err));
    }
  };

  const pct = Math.round(Number(job.progress ?? 0));
  const files = (job.outputs ?? []).flatMap((o, i) => (o.files ?? []).map((f) => ({ ...f, output: i, type: o.type })));
  return (
    <li class="job" data-job={job.id} data-status={job.status}>
      <div class="job-head">
        <a href={`#/jobs/${job.id}`} class="job-link" aria-label={`Open job ${job.id}`}>
          <code>{job.id}</code>
        </a>
        <span class={`status ${job.status}`}>{job.status}</span>
        <span class="types">{(job.outputs ?? []).map((o) => o.type).join(', ')}</span>
      </div>
      <div class="job-progress">
        <progress max={100} value={pct} aria-label={`Progress of ${job.id}`} />
        <span class="pct">{pct} %</span>
        <small>
          {job.stage ?? ''} {live ? eta(job.etaSeconds) : ''}
        </small>
      </div>
      <JobErrors job={job} error={error} />
      <div class="job-actions">
        {live && (
          <button type="button" onClick={() => act('cancel')} aria-label={`Cancel ${job.id}`}>
            Cancel
          </button>
        )}
        {(job.status === 'failed' || job.status === 'canceled') && (
          <button type="button" onClick={() => act('retry')} aria-label={`Retry ${job.id}`}>
            Retry
          </button>
        )}
        <button type="button" aria-expanded={open} aria-controls={`files-${job.id}`} onClick={() => setOpen(!open)}>
          {open ? 'Hide files' : `Files (${files.length})`}
        </button>
      </div>
      {open && (
        <ul class="files" id={`files-${job.id}`}>
          {files.length === 0 && <li>No files yet.</li>}
          {files.map((f) => (
            <li>
              <a href={f.url} download={f.name}>
                {f.name}
              </a>{' '}
              <small>
                {f.type}, {f.size != null ? `${(f.size / 1024).toFixed(1)} KiB` : ''}
              </small>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** GET /v1/jobs, newest first, with a status filter. */
export function JobList({ version }: { version: number }) {
  const [status, setStatus] = useState('');
  const [jobs, setJobs] = useState<Job[]>([]);
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let stale = false;
    api<{ jobs: Job[] }>('GET', `/v1/jobs?limit=25${status ? `&status=${status}` : ''}`)
      .then((page) => !stale && (setJobs(page.jobs), setError('')))
      .catch((err) => !stale && setError(err instanceof ApiError ? `${err.message} (${err.code})` : String(err)));
    return () => {
      stale = true;
    };
  }, [status, version, tick]);

  return (
    <section class="card" aria-labelledby="jobs-h">
      <h2 id="jobs-h">Jobs</h2>
      <div class="filter">
        <label for="status-filter">Status</label>
        <select id="status-filter" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          <option value="">all</option>
          {STATUSES.map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
        <button type="button" onClick={() => setTick((t) => t + 1)}>
          Refresh
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {jobs.length === 0 && !error && <p id="no-jobs">No jobs{status ? ` with status ${status}` : ''}.</p>}
      <ul class="jobs">
        {jobs.map((j) => (
          <JobRow key={j.id} initial={j} />
        ))}
      </ul>
    </section>
  );
}
