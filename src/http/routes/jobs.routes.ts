import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { JOB_STATUSES } from '../../domain/job.js';
import { parseOrThrow } from '../../services/validation.js';
import { presentJob } from '../presenters.js';
import { presentContext, principalOf, type HttpDeps } from '../http.types.js';

export const listQuerySchema = z.strictObject({
  status: z.enum(JOB_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(/^job_[a-z0-9]+$/).optional(),
});

export async function jobRoutes(app: FastifyInstance, deps: HttpDeps) {
  app.post('/v1/jobs', { config: { scope: 'jobs:write' } }, async (request, reply) => {
    const key = request.headers['idempotency-key'];
    const { job, created } = await deps.jobs.submit(principalOf(request), request.body, Array.isArray(key) ? key[0] : key);
    if (!created) reply.header('idempotent-replayed', 'true');
    return reply.status(created ? 202 : 200).send(presentJob(job, presentContext(request, deps)));
  });

  app.get('/v1/jobs', { config: { scope: 'jobs:read' } }, async (request) => {
    const query = parseOrThrow(listQuerySchema, request.query, 'query');
    const page = await deps.jobs.list(principalOf(request), query);
    const ctx = presentContext(request, deps);
    return { jobs: page.jobs.map((j) => presentJob(j, ctx)), nextCursor: page.nextCursor };
  });

  app.get('/v1/jobs/:id', { config: { scope: 'jobs:read' } }, async (request) => {
    const { id } = request.params as { id: string };
    return presentJob(await deps.jobs.get(principalOf(request), id), presentContext(request, deps));
  });

  // Its output files, now; the job stays readable by id with `deletedAt` (docs/lifecycle.md).
  app.delete('/v1/jobs/:id', { config: { scope: 'jobs:write' } }, async (request) => {
    const { id } = request.params as { id: string };
    return presentJob(await deps.deletion.deleteJob(principalOf(request), id), presentContext(request, deps));
  });

  app.post('/v1/jobs/:id/cancel', { config: { scope: 'jobs:write' } }, async (request) => {
    const { id } = request.params as { id: string };
    return presentJob(await deps.jobs.cancel(principalOf(request), id), presentContext(request, deps));
  });

  app.post('/v1/jobs/:id/retry', { config: { scope: 'jobs:write' } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    return reply.status(202).send(presentJob(await deps.jobs.retry(principalOf(request), id), presentContext(request, deps)));
  });
}
