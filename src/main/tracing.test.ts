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

  it('reads OTEL_TRACES_SAMPLER and its ratio, and refuses what the specification does not name', () => {
    assert.deepEqual(tracing({}).sampler, { name: 'parentbased_always_on', ratio: 1 });
    assert.deepEqual(tracing({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).sampler, { name: 'parentbased_traceidratio', ratio: 0.25 });
    assert.throws(() => tracing({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }), (err: unknown) => err instanceof ConfigError && /OTEL_TRACES_SAMPLER="jaeger_remote"/.test(err.message) && /parentbased_traceidratio/.test(err.message));
    for (const bad of ['1.5', '-0.1', 'half']) {
      assert.throws(() => tracing({ OTEL_TRACES_SAMPLER_ARG: bad }), (err: unknown) => err instanceof ConfigError && /OTEL_TRACES_SAMPLER_ARG/.test(err.message) && /from 0 to 1/.test(err.message), bad);
    }
  });

  it('samples as configured: a ratio of the root traces, a parent\'s decision followed', async () => {
    const sampled = (t: Awaited<ReturnType<typeof createTracer>>, parent?: string | null) => /-01$/.test(t.startSpan('x', { parent }).traceparent() ?? '');
    const make = (env: Record<string, string>) => createTracer(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', ...env }), 'api');
    const off = await make({ OTEL_TRACES_SAMPLER: 'always_off' });
    assert.equal(sampled(off), false);
    const on = await make({});
    assert.equal(sampled(on), true);
    const ratio = await make({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.3' });
    let n = 0;
    for (let i = 0; i < 2000; i++) if (sampled(ratio, null)) n++;
    // The trace id decides (its low 8 bytes against the ratio): 600 expected, far from 0 and 2000.
    assert.ok(n > 450 && n < 750, `${n} of 2000 root traces sampled at 0.3`);
    // A parent's flag wins over the ratio, both ways.
    assert.equal(sampled(ratio, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), true);
    assert.equal(sampled(ratio, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00'), false);
    // Without parentbased_, a parent's decision is not followed.
    const plain = await make({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    assert.equal(sampled(plain, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), false);
    for (const t of [off, on, ratio, plain]) await t.shutdown();
  });
});
