import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { buildOpenApi } from '../openapi.js';
import type { HttpDeps } from '../http.types.js';

const statusPage = new URL('../../../web/index.html', import.meta.url);

export async function metaRoutes(app: FastifyInstance, deps: HttpDeps) {
  const openapi = buildOpenApi();
  app.get('/v1/openapi.json', { config: { public: true } }, async () => openapi);
  app.get('/healthz', { config: { public: true } }, async (_request, reply) => {
    const health = await deps.health();
    return reply.status(health.ok ? 200 : 503).send({ status: health.ok ? 'ok' : 'degraded', checks: health.checks });
  });
  app.get('/', { config: { public: true } }, async (_request, reply) => {
    reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:");
    return reply.send(await readFile(statusPage));
  });
}
