import { readFileSync } from 'node:fs';
import type { Tracer } from '../ports/tracer.port.js';
import { noopTracer } from '../ports/tracer.port.js';
import { int, read, str, type Source } from './config-read.js';

/**
 * Traces (docs/observability.md#traces), configured by the standard OpenTelemetry variables:
 * exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the full URL) or
 * OTEL_EXPORTER_OTLP_ENDPOINT (the base: `/v1/traces` is appended) is set. Unset: the no-op
 * tracer, and the SDK is never loaded.
 */
export interface TracingConfig {
  /** The traces URL, or null: no traces. */
  url: string | null;
  protocol: 'http/protobuf' | 'http/json';
  /** OTEL_SERVICE_NAME; null: mediaforge-<role>. */
  serviceName: string | null;
  /** OTEL_BSP_SCHEDULE_DELAY: how long spans wait to be sent in a batch (default 5000 ms). */
  scheduleDelayMs: number | null;
  /** OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG (the ratio of the `traceidratio` ones). */
  sampler: { name: SamplerName; ratio: number };
}

/** The samplers of the OpenTelemetry specification's OTEL_TRACES_SAMPLER that need no extension. */
export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

const SAMPLER_SPEC = str(new RegExp(`^(${SAMPLERS.join('|')})$`), SAMPLERS.join(', '));
const RATIO_SPEC = { parse: (raw: string) => (/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(raw.trim()) ? Number(raw) : undefined), allowed: 'a number from 0 to 1, such as 0.1' };

const URL_SPEC = str(/^https?:\/\/[^\s]+$/, 'an http(s) URL such as http://otel-collector:4318');

export function readTracingConfig(src: Source): TracingConfig {
  const traces = read<string | null>(src, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', URL_SPEC, null);
  const base = read<string | null>(src, 'OTEL_EXPORTER_OTLP_ENDPOINT', URL_SPEC, null);
  const protocol = read(src, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', str(/^http\/(protobuf|json)$/, 'http/protobuf or http/json (grpc is not supported)'),
    read(src, 'OTEL_EXPORTER_OTLP_PROTOCOL', str(/^http\/(protobuf|json)$/, 'http/protobuf or http/json (grpc is not supported)'), 'http/protobuf')) as TracingConfig['protocol'];
  const disabled = read(src, 'OTEL_SDK_DISABLED', str(/^(true|false)$/, 'true or false'), 'false') === 'true';
  const url = disabled ? null : (traces ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : null));
  const sampler = {
    name: read(src, 'OTEL_TRACES_SAMPLER', SAMPLER_SPEC, 'parentbased_always_on') as SamplerName,
    // The specification's default ratio is 1.0 (every trace), as without the variable.
    ratio: read(src, 'OTEL_TRACES_SAMPLER_ARG', RATIO_SPEC, 1),
  };
  return { url, protocol, sampler, scheduleDelayMs: read<number | null>(src, 'OTEL_BSP_SCHEDULE_DELAY', int(1, 3_600_000), null), serviceName: read<string | null>(src, 'OTEL_SERVICE_NAME', str(/^[\x21-\x7e]{1,128}$/, '1–128 visible ASCII characters'), null) };
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The process's tracer: the OpenTelemetry adapter when an endpoint is configured (loaded
 * only then), the no-op tracer otherwise. `role` names the default service
 * (mediaforge-api, mediaforge-worker, mediaforge for the embedded platform).
 */
export async function createTracer(config: TracingConfig, role: 'api' | 'worker' | 'embedded'): Promise<Tracer> {
  if (!config.url) return noopTracer;
  const [{ OtelTracer }, { otlpSpanExporter }] = await Promise.all([import('../adapters/otel/otel.tracer.js'), import('../adapters/otel/otlp.exporter.js')]);
  return new OtelTracer({
    exporter: otlpSpanExporter(config.url, config.protocol),
    serviceName: config.serviceName ?? (role === 'embedded' ? 'mediaforge' : `mediaforge-${role}`),
    serviceVersion: version(),
    scheduledDelayMs: config.scheduleDelayMs ?? undefined,
    sampler: config.sampler,
  });
}
