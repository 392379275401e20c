import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { grants, type Scope } from '../domain/account.js';
import { DomainError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import { accountRoutes } from './routes/accounts.routes.js';
import { authRoutes } from './routes/auth.routes.js';
import { userRoutes } from './routes/users.routes.js';
import { errorHandler } from './error-mapping.js';
import type { HttpDeps } from './http.types.js';
import { installRateLimit } from './rate-limit.js';
import { installHttpMetrics, observabilityRoutes } from './observability.js';
import { installRequestId, installRequestTracing, requestIdOf } from './request-tracing.js';
import { eventRoutes } from './routes/events.routes.js';
import { fileRoutes } from './routes/files.routes.js';
import { jobRoutes } from './routes/jobs.routes.js';
import { metaRoutes } from './routes/meta.routes.js';
import { uploadRoutes } from './routes/uploads.routes.js';
import { tusRoutes } from './routes/tus.routes.js';
import { webhookRoutes } from './routes/webhooks.routes.js';
import { presetRoutes } from './routes/presets.routes.js';
import { ingestRoutes } from './routes/ingest.routes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without an API key (health, the OpenAPI document, the web console, signed file links). */
    public?: boolean;
    /**
     * The scope a key needs for this route (`any`: any valid key). Every route that is not
     * public must say: registering one without is refused at start.
     */
    scope?: Scope | 'any';
  }
  interface FastifyRequest {
    /** The verified caller; set on every route that is not `public`. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Every route registered, for the tests that walk them all. */
    routeTable: ReadonlyArray<{ method: string; url: string; public: boolean; scope: Scope | 'any' | null }>;
    /** Base of download links: the public URL, or the listen address once listening (null: from each request). */
    linkBase: string | null;
  }
}

/** Believe X-Forwarded-For through the first `n` proxies (a hop count; Fastify's typing wants the function). */
const hops = (n: number) => (_address: string, hop: number) => hop < n;

export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // Upload bodies can take long on slow links; do not cut them off.
    requestTimeout: 0,
    // SSE streams are long-lived; on shutdown they are closed rather than waited for.
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 512 },
    // X-Request-Id is honoured when it is safe to log and repeat; otherwise the request gets a new id.
    genReqId: requestIdOf,
    // Behind a load balancer the TCP peer is the balancer: request.ip is the client only when
    // the operator says which proxies' X-Forwarded-For to believe (MEDIAFORGE_TRUST_PROXY).
    trustProxy: typeof deps.trustProxy === 'number' ? hops(deps.trustProxy) : (deps.trustProxy ?? false),
  });
  installRequestId(app);
  if (deps.tracer) installRequestTracing(app, deps.tracer);
  await app.register(multipart);
  // Any non-JSON, non-multipart body reaches the route as a stream (raw uploads).
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.setErrorHandler(errorHandler);
  if (deps.observability?.metrics) installHttpMetrics(app, deps.observability.metrics);
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
  const routeTable: Array<{ method: string; url: string; public: boolean; scope: Scope | 'any' | null }> = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    const isPublic = route.config?.public === true;
    const scope = route.config?.scope ?? null;
    // A route added later cannot forget its scope: the app does not start.
    if (!isPublic && scope === null) throw new Error(`route ${[route.method].flat().join(',')} ${route.url} is neither public nor given a scope`);
    for (const method of [route.method].flat()) routeTable.push({ method, url: route.url, public: isPublic, scope });
  });
  app.decorateRequest('principal', null);
  app.decorate('linkBase', deps.publicUrl ? deps.publicUrl.replace(/\/+$/, '') : null);
  app.addHook('onListen', async () => {
    if (app.linkBase) return;
    const address = app.server.address();
    if (!address || typeof address !== 'object') return;
    if (address.address === '0.0.0.0' || address.address === '::') {
      deps.logger.warn('MEDIAFORGE_PUBLIC_URL is not set and the API listens on every interface: download links take their host from each request\'s Host header; set MEDIAFORGE_PUBLIC_URL to the address clients use');
      return;
    }
    const host = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
    app.linkBase = `http://${host}:${address.port}`;
  });
  // Authentication is decided by the route the router matched, never by reading the URL: the
  // router decodes percent-escapes and takes absolute-form targets, so any string test on
  // `request.url` can be walked around. Every route needs a key unless it is flagged public;
  // a request that matched no route gets the 404 answer, which reveals nothing.
  const authenticate = async (request: FastifyRequest) => {
    if (request.is404 || request.routeOptions.config.public === true) return;
    const principal = await deps.auth.verify(request.headers.authorization);
    request.principal = principal;
    const needed = request.routeOptions.config.scope;
    if (needed !== 'any' && (needed === undefined || !grants(principal.scopes, needed))) {
      throw new DomainError(
        'forbidden',
        `this ${principal.keyId.startsWith('usr_') ? 'user' : 'API key'} lacks the scope \`${needed}\` that ${request.method} ${request.routeOptions.url} needs; its scopes are ${principal.scopes.join(', ') || 'none'}. Ask an account owner for a key with it (POST /v1/accounts/{id}/keys)`,
        { scope: needed },
      );
    }
  };
  // Around authentication, so a request counts against its key (docs/rate-limits.md).
  await installRateLimit(app, deps.rateLimit, deps.logger, authenticate);
  await metaRoutes(app, deps);
  if (deps.observability) await observabilityRoutes(app, deps.observability);
  await uploadRoutes(app, deps);
  await tusRoutes(app, deps);
  await jobRoutes(app, deps);
  await presetRoutes(app, deps);
  await ingestRoutes(app, deps);
  await eventRoutes(app, deps);
  await accountRoutes(app, deps);
  await authRoutes(app, deps);
  await userRoutes(app, deps);
  await webhookRoutes(app, deps);
  await fileRoutes(app, deps);
  return app;
}
