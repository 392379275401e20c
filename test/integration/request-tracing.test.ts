import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { OtelTracer } from '../../src/adapters/otel/otel.tracer.js';
import { createLogger } from '../../src/main/logger.js';
import { installRequestId, installRequestTracing, requestIdOf } from '../../src/http/request-tracing.js';

/** A Fastify app wired as src/http/app.ts wires the real one, a route that makes a child span and logs. */
async function rig() {
  const exporter = new InMemorySpanExporter();
  const tracer = new OtelTracer({ exporter, serviceName: 'test-api', serviceVersion: '0', scheduledDelayMs: 10 });
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(JSON.parse(String(chunk))), cb()) });
  const captured = createLogger('info', () => tracer.activeIds(), sink);
  const app = Fastify({ loggerInstance: captured as FastifyBaseLogger, genReqId: requestIdOf });
  installRequestId(app);
  installRequestTracing(app, tracer);
  app.post('/v1/things/:id', async (request) => {
    // After the body was read: the service's span must still be the request's child.
    await new Promise((r) => setTimeout(r, 5));
    return tracer.inSpan('thing.create', {}, async (span) => {
      request.log.info({ thing: (request.params as { id: string }).id }, 'creating a thing');
      return { ids: span.ids() };
    });
  });
  await app.ready();
  const spans = async () => {
    await tracer.flush();
    return exporter.getFinishedSpans();
  };
  return { app, lines, spans };
}

const byName = (spans: ReadableSpan[], name: string) => spans.find((s) => s.name === name);

describe('request spans, request ids and log lines', () => {
  it('names the span by route template, makes the service span its child, and puts traceId/spanId on the request log lines', async () => {
    const { app, lines, spans } = await rig();
    // Over a socket, with the body sent after the headers: the handler runs after the body's read.
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const body = new ReadableStream({
      async start(c) {
        await new Promise((r) => setTimeout(r, 50));
        c.enqueue(new TextEncoder().encode('{"a":1}'));
        c.close();
      },
    });
    const res = await fetch(`${base}/v1/things/th_123?x=1`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    assert.equal(res.status, 200);
    await res.text();
    await app.close();
    const all = await spans();
    const server = byName(all, 'POST /v1/things/:id');
    assert.ok(server, `spans: ${all.map((s) => s.name).join(', ')}`);
    assert.ok(!all.some((s) => s.name.includes('th_123')), 'no raw path in a span name');
    assert.equal(server.attributes['http.route'], '/v1/things/:id');
    assert.equal(server.attributes['http.request.method'], 'POST');
    assert.equal(server.attributes['http.response.status_code'], 200);
    const child = byName(all, 'thing.create')!;
    assert.equal(child.spanContext().traceId, server.spanContext().traceId);
    assert.equal(child.parentSpanContext?.spanId, server.spanContext().spanId);
    const line = lines.find((l) => l.msg === 'creating a thing')!;
    assert.equal(line.traceId, server.spanContext().traceId);
    assert.equal(line.spanId, child.spanContext().spanId);
    assert.equal(typeof line.reqId, 'string');
    const done = lines.find((l) => l.msg === 'request completed')!;
    assert.equal(done.traceId, server.spanContext().traceId, 'the request log line carries the trace id');
    assert.equal(done.reqId, line.reqId);
  });

  it('continues an incoming traceparent', async () => {
    const { app, spans } = await rig();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await app.inject({ method: 'POST', url: '/v1/things/a', payload: {}, headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const server = byName(await spans(), 'POST /v1/things/:id')!;
    assert.equal(server.spanContext().traceId, traceId);
    assert.equal(server.parentSpanContext?.spanId, '00f067aa0ba902b7');
  });

  it('starts a new trace for a malformed traceparent', async () => {
    const { app, spans } = await rig();
    await app.inject({ method: 'POST', url: '/v1/things/a', payload: {}, headers: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' } });
    const server = byName(await spans(), 'POST /v1/things/:id')!;
    assert.match(server.spanContext().traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(server.spanContext().traceId, '0'.repeat(32));
    assert.equal(server.parentSpanContext, undefined);
  });

  it('honours a safe X-Request-Id and returns it; replaces an unsafe one with a new id', async () => {
    const { app, lines } = await rig();
    const ok = await app.inject({ method: 'POST', url: '/v1/things/a', payload: {}, headers: { 'x-request-id': 'lb-7f3a:42.x_y' } });
    assert.equal(ok.headers['x-request-id'], 'lb-7f3a:42.x_y');
    assert.ok(lines.some((l) => l.reqId === 'lb-7f3a:42.x_y' && l.msg === 'request completed'));
    for (const bad of ['has space', 'a'.repeat(129), 'quote"d', 'new\nline', '']) {
      const res = await app.inject({ method: 'POST', url: '/v1/things/a', payload: {}, headers: { 'x-request-id': bad } });
      const id = String(res.headers['x-request-id']);
      assert.notEqual(id, bad);
      assert.match(id, /^[0-9a-f-]{36}$/, `a fresh UUID instead of ${JSON.stringify(bad)}`);
    }
    const none = await app.inject({ method: 'GET', url: '/nowhere' });
    assert.match(String(none.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  it('names a request that matched no route by its method only', async () => {
    const { app, spans } = await rig();
    await app.inject({ method: 'GET', url: '/no/such/path/job_1' });
    const all = await spans();
    assert.deepEqual(all.map((s) => s.name), ['GET']);
    assert.equal(all[0].attributes['http.response.status_code'], 404);
  });
});
