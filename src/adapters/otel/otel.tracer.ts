import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, SpanKind as OtelKind, SpanStatusCode, trace, type Context, type Span as OtelSpan, type Tracer as ApiTracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { TRACEPARENT, type Span, type SpanAttributes, type SpanKind, type SpanOptions, type Tracer } from '../../ports/tracer.port.js';

const KINDS: Record<SpanKind, OtelKind> = {
  internal: OtelKind.INTERNAL,
  server: OtelKind.SERVER,
  client: OtelKind.CLIENT,
  producer: OtelKind.PRODUCER,
  consumer: OtelKind.CONSUMER,
};

const propagator = new W3CTraceContextPropagator();
const getter = { get: (carrier: Record<string, string>, key: string) => carrier[key], keys: (carrier: Record<string, string>) => Object.keys(carrier) };
const setter = { set: (carrier: Record<string, string>, key: string, value: string) => void (carrier[key] = value) };

/** `a` without its undefined values (a loop: this runs for every span, twice for a request's). */
function clean(a: SpanAttributes | undefined): Record<string, string | number | boolean> | undefined {
  if (!a) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const k in a) {
    const v = a[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** OTEL_TRACES_SAMPLER's sampler by name (validated by the configuration: src/main/tracing.ts). */
export function samplerOf(s: { name: string; ratio: number }): Sampler {
  const root = s.name.endsWith('always_off') ? new AlwaysOffSampler() : s.name.endsWith('traceidratio') ? new TraceIdRatioBasedSampler(s.ratio) : new AlwaysOnSampler();
  return s.name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

class RecordedSpan implements Span {
  constructor(readonly otel: OtelSpan, readonly context: Context) {}
  setAttributes(attributes: SpanAttributes): void {
    this.otel.setAttributes(clean(attributes) ?? {});
  }
  fail(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.otel.recordException(e);
    const code = (err as { code?: unknown })?.code;
    if (typeof code === 'string') this.otel.setAttribute('error.type', code);
    this.otel.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  }
  traceparent(): string | null {
    const carrier: Record<string, string> = {};
    propagator.inject(this.context, carrier, setter);
    return carrier.traceparent ?? null;
  }
  ids() {
    const c = this.otel.spanContext();
    return { traceId: c.traceId, spanId: c.spanId };
  }
  end(): void {
    this.otel.end();
  }
}

/**
 * The Tracer port on the OpenTelemetry SDK (docs/observability.md#traces). The active span
 * lives in this object's own AsyncLocalStorage: nothing is registered globally (no global
 * tracer provider, context manager or propagator), so two platforms in one process (tests)
 * keep their traces apart. Spans go to `exporter` in batches; `shutdown` sends the rest.
 */
export class OtelTracer implements Tracer {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: ApiTracer;
  private readonly active = new AsyncLocalStorage<Context>();

  constructor(opts: { exporter: SpanExporter; serviceName: string; serviceVersion: string; scheduledDelayMs?: number; sampler?: { name: string; ratio: number } }) {
    this.provider = new BasicTracerProvider({
      // Passed, not left to the SDK's own reading of process.env: the configuration file counts too, and a bad value stopped the start.
      sampler: samplerOf(opts.sampler ?? { name: 'parentbased_always_on', ratio: 1 }),
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName, [ATTR_SERVICE_VERSION]: opts.serviceVersion }),
      spanProcessors: [new BatchSpanProcessor(opts.exporter, opts.scheduledDelayMs ? { scheduledDelayMillis: opts.scheduledDelayMs } : {})],
    });
    this.tracer = this.provider.getTracer('mediaforge', opts.serviceVersion);
  }

  private parentOf(parent: string | null | undefined): Context {
    if (parent === undefined) return this.active.getStore() ?? ROOT_CONTEXT;
    if (parent === null || !TRACEPARENT.test(parent)) return ROOT_CONTEXT;
    return propagator.extract(ROOT_CONTEXT, { traceparent: parent }, getter);
  }

  startSpan(name: string, opts: SpanOptions): RecordedSpan {
    const parent = this.parentOf(opts.parent);
    const otel = this.tracer.startSpan(name, { kind: KINDS[opts.kind ?? 'internal'], attributes: clean(opts.attributes) }, parent);
    return new RecordedSpan(otel, trace.setSpan(parent, otel));
  }

  activate<T>(span: Span, fn: () => T): T {
    return span instanceof RecordedSpan ? this.active.run(span.context, fn) : fn();
  }

  async inSpan<T>(name: string, opts: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
    const span = this.startSpan(name, opts);
    try {
      return await this.active.run(span.context, () => fn(span));
    } catch (err) {
      span.fail(err);
      throw err;
    } finally {
      span.end();
    }
  }

  activeIds() {
    const ctx = this.active.getStore();
    const s = ctx && trace.getSpan(ctx);
    if (!s) return null;
    const c = s.spanContext();
    return { traceId: c.traceId, spanId: c.spanId };
  }

  /** Sends what is buffered now, and goes on recording. */
  async flush(): Promise<void> {
    await this.provider.forceFlush();
  }

  activeTraceparent(): string | null {
    const ctx = this.active.getStore();
    if (!ctx || !trace.getSpan(ctx)) return null;
    const carrier: Record<string, string> = {};
    propagator.inject(ctx, carrier, setter);
    return carrier.traceparent ?? null;
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
