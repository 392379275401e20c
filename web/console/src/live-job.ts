import { useEffect } from 'preact/hooks';
import { api, ApiError } from './api.js';
import { readEvents } from './sse.js';
import type { Job, JobUpdate } from './types.js';

/**
 * Event streams open at once. A browser keeps at most 6 HTTP/1.1 connections to one origin:
 * a stream per running job would leave none for the console's other requests. Past this
 * many, a job is read every POLL_MS until a stream is free.
 */
export const MAX_STREAMS = 3;
const POLL_MS = 2000;
let open = 0;

/** Keeps `job` current while `live`: its event stream (GET /v1/jobs/{id}/events), else polling. */
export function useLiveJob(id: string, live: boolean, setJob: (update: (j: Job) => Job) => void, setError: (e: string) => void): void {
  useEffect(() => {
    if (!live) return;
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const replace = (job: Job) => setJob(() => job);
    const fail = (err: unknown) => {
      if (!abort.signal.aborted) setError(`live updates stopped: ${err instanceof ApiError ? err.message : err}`);
    };
    const stream = () => {
      open++;
      readEvents(
        `/v1/jobs/${id}/events`,
        (e) => {
          const update = e.data as JobUpdate;
          if (e.event === 'status' || e.event === 'progress') setJob((j) => ({ ...j, ...update, id: j.id }));
        },
        abort.signal,
      )
        .finally(() => open--)
        // The stream ends after the final status: the whole job once more, for its files' links.
        .then(() => api<Job>('GET', `/v1/jobs/${id}`).then(replace))
        .catch(fail);
    };
    const poll = () => {
      if (abort.signal.aborted) return;
      if (open < MAX_STREAMS) return stream();
      api<Job>('GET', `/v1/jobs/${id}`)
        .then((job) => {
          replace(job);
          timer = setTimeout(poll, POLL_MS);
        })
        .catch(fail);
    };
    poll();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [id, live]);
}
