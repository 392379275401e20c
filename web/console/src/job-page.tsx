import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import { JobDeliveries } from './job-deliveries.js';
import { JobErrors } from './job-list.js';
import { useLiveJob } from './live-job.js';
import { OutputView } from './output-view.js';
import type { Job } from './types.js';

const LIVE = new Set(['queued', 'running']);

/** Input metadata worth a line each, in this order; anything else the probe found follows. */
const FIRST = ['kind', 'container', 'duration', 'width', 'height', 'fps', 'videoCodec', 'audioCodec', 'bitrate', 'hasAudio', 'rotation'];

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function Metadata({ meta }: { meta: Record<string, unknown> }) {
  const keys = [...FIRST.filter((k) => k in meta), ...Object.keys(meta).filter((k) => !FIRST.includes(k)).sort()];
  return (
    <dl class="meta">
      {keys.map((k) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{show(meta[k])}</dd>
        </div>
      ))}
    </dl>
  );
}

/** `#/jobs/job_…`: one job, its input, what each output made (players, gallery, files) and its webhook deliveries. */
export function JobPage({ id }: { id: string }) {
  const [job, setJob] = useState<Job | null>(null);
  const [missing, setMissing] = useState('');
  const [error, setError] = useState('');

  useEffect(() => {
    setJob(null);
    setMissing('');
    api<Job>('GET', `/v1/jobs/${encodeURIComponent(id)}`)
      .then(setJob)
      .catch((err) => {
        if (err instanceof ApiError && err.status === 404) setMissing(`There is no job ${id} in this account (${err.status} ${err.code}). It may belong to another account, or have been deleted.`);
        else setError(err instanceof ApiError ? `${err.message} (${err.code})` : String(err));
      });
  }, [id]);
  const live = job ? LIVE.has(job.status) : false;
  useLiveJob(id, live, (update) => setJob((j) => (j ? update(j) : j)), setError);

  useEffect(() => {
    document.title = `${id} · mediaforge console`;
    return () => {
      document.title = 'mediaforge console';
    };
  }, [id]);

  const back = (
    <p>
      <a href="#/" class="back">
        ← All jobs
      </a>
    </p>
  );
  if (missing)
    return (
      <>
        {back}
        <section class="card" aria-labelledby="job-missing-h">
          <h2 id="job-missing-h">Job not found</h2>
          <p class="error" role="alert" id="job-not-found">
            {missing}
          </p>
        </section>
      </>
    );
  if (!job)
    return (
      <>
        {back}
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : (
          <p role="status">Loading {id}…</p>
        )}
      </>
    );

  const pct = Math.round(Number(job.progress ?? 0));
  return (
    <>
      {back}
      <section class="card job-detail" aria-labelledby="job-page-h" data-job={job.id} data-status={job.status}>
        <h2 id="job-page-h">
          Job <code>{job.id}</code>
        </h2>
        <div class="job-progress">
          <span class={`status ${job.status}`}>{job.status}</span>
          <progress max={100} value={pct} aria-label={`Progress of ${job.id}`} />
          <span class="pct">{pct} %</span>
          <small>{job.stage ?? ''}</small>
        </div>
        <JobErrors job={job} error={error} />
        {(job.warnings ?? []).map((w) => (
          <p class="warning">
            {w.code}
            {w.output != null ? ` (output ${w.output + 1})` : ''}: {w.message}
          </p>
        ))}
        <p>
          <small>
            Created {job.createdAt ? new Date(job.createdAt).toLocaleString() : '—'}
            {job.finishedAt ? `, finished ${new Date(job.finishedAt).toLocaleString()}` : ''}; attempt {job.attempts ?? 0} of {job.maxAttempts ?? '—'}
            {job.usage?.cpuSeconds != null ? `; ${job.usage.cpuSeconds} CPU s` : ''}
          </small>
        </p>
        <h3>Input {job.input?.uploadId ? <code>{job.input.uploadId}</code> : job.input?.url}</h3>
        {job.input?.metadata ? <Metadata meta={job.input.metadata} /> : <p>Not probed yet.</p>}
      </section>
      {(job.outputs ?? []).map((o, i) => (
        <OutputView key={i} output={o} index={i} />
      ))}
      <JobDeliveries jobId={job.id} version={job.status} />
    </>
  );
}
