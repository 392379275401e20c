import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { DomainError } from '../domain/errors.js';
import { errorHandler } from './error-mapping.js';
import type { HttpDeps } from './http.types.js';
import { eventRoutes } from './routes/events.routes.js';
import { fileRoutes } from './routes/files.routes.js';
import { jobRoutes } from './routes/jobs.routes.js';
import { metaRoutes } from './routes/meta.routes.js';
import { uploadRoutes } from './routes/uploads.routes.js';

const PUBLIC = [/^\/v1\/openapi\.json$/, /^\/v1\/files\//];

export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // Upload bodies can take long on slow links; do not cut them off.
    requestTimeout: 0,
    // SSE streams are long-lived; on shutdown they are closed rather than waited for.
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 512 },
  });
  await app.register(multipart);
  // Any non-JSON, non-multipart body reaches the route as a stream (raw uploads).
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0];
    if (!path.startsWith('/v1/') || PUBLIC.some((p) => p.test(path))) return;
    const key = await deps.auth.verify(request.headers.authorization);
    if (!key) throw new DomainError('unauthorized', 'invalid API key');
  });
  await metaRoutes(app, deps);
  await uploadRoutes(app, deps);
  await jobRoutes(app, deps);
  await eventRoutes(app, deps);
  await fileRoutes(app, deps);
  return app;
}
