import type { FastifyInstance } from 'fastify';
import { isFinal } from '../../domain/job.js';
import type { JobEvent } from '../../services/jobs.service.js';
import { etaSeconds, presentJob } from '../presenters.js';
import { presentContext, principalOf, type HttpDeps } from '../http.types.js';

/**
 * Server-Sent Events for one job: a `status` event with the whole job first, then
 * `progress` events ({ progress, stage, etaSeconds }) and `status` events (whole job) as
 * they happen; the stream ends after the final status.
 */
export async function eventRoutes(app: FastifyInstance, deps: HttpDeps) {
  app.get('/v1/jobs/:id/events', { config: { scope: 'jobs:read' } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const principal = principalOf(request);
    // 404 before we switch to streaming, for another owner's job too: only then does it subscribe.
    const first = await deps.jobs.get(principal, id);
    const ctx = () => presentContext(request, deps);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    let closed = false;
    let queue = Promise.resolve();
    const send = (event: string, data: unknown) => {
      if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const end = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(keepAlive);
      res.end();
    };
    const onEvent = (e: JobEvent) => {
      // Serialise: a status event reads the job, and must not overtake later events.
      queue = queue.then(async () => {
        if (closed) return;
        if (e.type === 'progress') {
          const job = { ...first, status: e.status, progress: e.progress, stage: e.stage };
          send('progress', { id, status: e.status, progress: e.progress, stage: e.stage, etaSeconds: etaSeconds(job, deps.clock.now()) });
          return;
        }
        const job = await deps.jobs.get(principal, id).catch(() => null);
        if (!job) return end();
        send('status', presentJob(job, ctx()));
        if (isFinal(job.status)) end();
      });
    };
    const unsubscribe = deps.jobs.subscribe(id, onEvent);
    const keepAlive = setInterval(() => !closed && res.write(': keep-alive\n\n'), 15_000);
    request.raw.on('close', end);
    // Read again after subscribing so no change between the first read and now is missed.
    const current = await deps.jobs.get(principal, id);
    first.startedAt = current.startedAt;
    send('status', presentJob(current, ctx()));
    if (isFinal(current.status)) end();
  });
}
