import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { buildOpenApi } from '../openapi.js';
import type { HttpDeps } from '../http.types.js';
import { consoleRoutes } from './console.routes.js';

const invitePage = new URL('../../../web/invite.html', import.meta.url);
const PAGE_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:";

export async function metaRoutes(app: FastifyInstance, deps: HttpDeps) {
  const openapi = buildOpenApi();
  app.get('/v1/openapi.json', { config: { public: true } }, async () => openapi);
  app.get('/healthz', { config: { public: true } }, async (_request, reply) => {
    const health = await deps.health();
    return reply.status(health.ok ? 200 : 503).send({ status: health.ok ? 'ok' : 'degraded', checks: health.checks });
  });
  // The web console at / (docs/console.md).
  await consoleRoutes(app, deps);
  // Where an invitation link leads (POST /v1/accounts/{id}/invites): set a password, join.
  app.get('/invite', { config: { public: true } }, async (_request, reply) => {
    reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', PAGE_CSP).header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
    return reply.send(await readFile(invitePage));
  });
}
