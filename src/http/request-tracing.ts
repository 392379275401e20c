import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * What the HTTP layer needs of the Tracer port (src/ports/tracer.port.ts, as main passes it):
 * a span per request, active while its handler runs.
 */
export interface RequestSpan {
  setAttributes(a: Record<string, string | number | boolean | undefined>): void;
  fail(err: unknown): void;
  ids(): { traceId: string; spanId: string } | null;
  end(): void;
}
export interface HttpTracer {
  startSpan(name: string, opts: { kind?: 'server'; attributes?: Record<string, string | number | boolean | undefined>; parent?: string | null }): RequestSpan;
  activate<T>(span: RequestSpan, fn: () => T): T;
}

/** An X-Request-Id the API takes as given: 1–128 of letters, digits and `._:-` (no spaces, no quotes, nothing a log line could be forged with). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: its X-Request-Id when that is safe to repeat (REQUEST_ID), else a new UUID. */
export function requestIdOf(raw: IncomingMessage): string {
  const given = raw.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Every answer says which request it was: the id its logs carry (docs/observability.md#logs). */
export function installRequestId(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
}

const spans = new WeakMap<FastifyRequest, RequestSpan>();

/**
 * A server span per request (docs/observability.md#traces), named by the method and the route
 * template (`POST /v1/jobs`, never the raw path: a request that matched no route is only its
 * method), continuing an incoming W3C `traceparent`. It is active from the first hook on, so
 * the services' spans are its children; the request's log lines after routing carry its
 * `traceId` and `spanId`.
 */
export function installRequestTracing(app: FastifyInstance, tracer: HttpTracer): void {
  app.addHook('onRequest', (request, reply, done) => {
    const route = request.is404 ? null : (request.routeOptions.url ?? null);
    const header = request.headers.traceparent;
    const span = tracer.startSpan(route ? `${request.method} ${route}` : request.method, {
      kind: 'server',
      parent: typeof header === 'string' ? header : null,
      attributes: { 'http.request.method': request.method, 'http.route': route ?? undefined, 'mediaforge.request.id': request.id },
    });
    spans.set(request, span);
    // The rest of the request (its hooks, the body's read, the handler) runs inside the span:
    // Fastify carries the async context across the body parser.
    tracer.activate(span, done);
  });
  const end = (request: FastifyRequest, status: number) => {
    const span = spans.get(request);
    if (!span) return;
    spans.delete(request);
    span.setAttributes({ 'http.response.status_code': status });
    if (status >= 500) span.fail(new Error(`answered ${status}`));
    span.end();
  };
  // Callback hooks, not async ones: no promise per request for a few synchronous lines.
  app.addHook('onResponse', (request, reply, done) => {
    end(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    end(request, 499);
    done();
  });
}
