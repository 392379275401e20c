import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noopTracer } from '../ports/tracer.port.js';
import { ConfigError, loadConfig } from './config.js';
import { createTracer } from './tracing.js';

const tracing = (env: Record<string, string>) => loadConfig(env).tracing;

describe('tracing configuration (the standard OTEL_* variables)', () => {
  it('is off without an endpoint, and the tracer is then the no-op one (no SDK loaded)', async () => {
    const config = tracing({});
    assert.equal(config.url, null);
    assert.equal(await createTracer(config, 'api'), noopTracer);
  });

  it('appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT; the traces endpoint is taken as it is and wins', () => {
    assert.equal(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).url, 'http://collector:4318/v1/traces');
    assert.equal(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp' }).url, 'https://traces.example.com/otlp');
  });

  it('takes http/protobuf (default) and http/json, the traces protocol over the general one, and OTEL_SDK_DISABLED', () => {
    assert.equal(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).protocol, 'http/protobuf');
    assert.equal(tracing({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).protocol, 'http/json');
    assert.equal(tracing({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }).protocol, 'http/protobuf');
    assert.equal(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).url, null);
    assert.equal(tracing({ OTEL_SERVICE_NAME: 'media-eu' }).serviceName, 'media-eu');
  });

  it('refuses grpc and a URL that is not http(s), naming the variable and what it takes', () => {
    assert.throws(() => tracing({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), (err: unknown) => err instanceof ConfigError && /OTEL_EXPORTER_OTLP_PROTOCOL/.test(err.message) && /grpc is not supported/.test(err.message));
    assert.throws(() => tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }), (err: unknown) => err instanceof ConfigError && /OTEL_EXPORTER_OTLP_ENDPOINT/.test(err.message) && /http:\/\/otel-collector:4318/.test(err.message));
  });

  it('starts the OpenTelemetry tracer when an endpoint is set', async () => {
    const t = await createTracer(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }), 'worker');
    assert.notEqual(t, noopTracer);
    const span = t.startSpan('x', {});
    assert.match(span.traceparent() ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(t.activeIds(), null);
    assert.deepEqual(t.activate(span, () => t.activeIds()), span.ids());
    // Never ended: nothing to send to the absent collector, so the shutdown is immediate.
    await t.shutdown();
  });
});
