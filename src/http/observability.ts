import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { statusFor } from './error-mapping.js';

/** What the HTTP layer reports per answer (the Metrics port's HttpMetrics, as main passes it). */
export interface HttpMetrics {
  request(r: { method: string; route: string; status: number; seconds: number }): void;
}

/** The metrics the API counts into and GET /metrics shows. */
export interface MetricsEndpoint extends HttpMetrics {
  render(): Promise<{ contentType: string; body: string }>;
}

/** What `/readyz` reports: each check `ok`, or what is wrong with it. */
export interface Readiness {
  ok: boolean;
  checks: Record<string, string>;
}

export interface Observability {
  /** Null: metrics are off (MEDIAFORGE_METRICS=off), GET /metrics answers 404. */
  metrics: MetricsEndpoint | null;
  /** MEDIAFORGE_METRICS_TOKEN: GET /metrics then needs it as a bearer token. */
  token: string | null;
  ready(): Promise<Readiness>;
}

/** The label of a request that matched no route: a fixed value, so probing random paths adds no series. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Counts every answer under its route template (`/v1/jobs/:id`), never the path it was asked for. */
export function installHttpMetrics(app: FastifyInstance, metrics: HttpMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
    metrics.request({ method: request.method, route, status: reply.statusCode, seconds: reply.elapsedTime / 1000 });
    done();
  });
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compares the bearer token in constant time (both sides hashed first, so their lengths do not show either). */
function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return m !== null && timingSafeEqual(digest(m[1].trim()), digest(token));
}

function refuse(reply: FastifyReply, request: FastifyRequest) {
  const given = request.headers.authorization !== undefined;
  return reply
    .status(statusFor('unauthorized'))
    .header('www-authenticate', 'Bearer realm="metrics"')
    .send({
      error: {
        code: 'unauthorized',
        message: given
          ? 'the bearer token does not match MEDIAFORGE_METRICS_TOKEN: send `Authorization: Bearer <MEDIAFORGE_METRICS_TOKEN>` (the metrics token, not an API key)'
          : 'GET /metrics needs `Authorization: Bearer <MEDIAFORGE_METRICS_TOKEN>` (set as the scrape job\'s bearer token: deploy/observability/prometheus.yml)',
      },
    });
}

/**
 * GET /metrics (Prometheus text format) and GET /readyz, outside the API keys and the rate
 * limit (a scraper or a kubelet must never be refused for asking often): without
 * MEDIAFORGE_METRICS_TOKEN anyone who reaches the port reads the metrics (docs/operations.md#observability).
 */
export async function observabilityRoutes(app: FastifyInstance, obs: Observability): Promise<void> {
  app.get('/metrics', { config: { public: true } }, async (request, reply) => {
    if (!obs.metrics) {
      return reply.status(404).send({ error: { code: 'not_found', message: 'metrics are off in this process (MEDIAFORGE_METRICS=off)' } });
    }
    if (obs.token !== null && !tokenMatches(request.headers.authorization, obs.token)) return refuse(reply, request);
    const { contentType, body } = await obs.metrics.render();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
  app.get('/readyz', { config: { public: true } }, async (_request, reply) => {
    const r = await obs.ready();
    const down = Object.entries(r.checks).filter(([, v]) => v !== 'ok').map(([k]) => k);
    return reply.status(r.ok ? 200 : 503).header('cache-control', 'no-store').send({ status: r.ok ? 'ready' : 'not_ready', down, checks: r.checks });
  });
}

/**
 * The small HTTP server of a worker process (MEDIAFORGE_METRICS_PORT): /metrics, /readyz and
 * /healthz (alive while the process answers), nothing else. Its own requests are not counted:
 * http_* metrics describe the API.
 */
export async function buildObservabilityApp(obs: Observability, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, forceCloseConnections: true });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}: this port serves /metrics, /readyz and /healthz` } });
  });
  await observabilityRoutes(app, obs);
  app.get('/healthz', async () => ({ status: 'ok' }));
  return app;
}
