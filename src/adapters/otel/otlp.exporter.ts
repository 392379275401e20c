import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

/**
 * The OTLP/HTTP span exporter for `url` (the full traces URL, `…/v1/traces`). `http/json` is
 * the package's own exporter; `http/protobuf` (the OTLP default) is the same HTTP delegate
 * with the protobuf serializer, as the OTel proto exporter builds it. Headers and timeout
 * still come from the standard OTEL_EXPORTER_OTLP_* variables the SDK reads.
 */
export function otlpSpanExporter(url: string, protocol: OtlpProtocol): SpanExporter {
  if (protocol === 'http/json') return new OTLPTraceExporter({ url });
  const delegate = createOtlpHttpExportDelegate(
    convertLegacyHttpOptions({ url }, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
    ProtobufTraceSerializer,
    'otlp_http_span_exporter',
    TraceExporterMetricsHelper,
    undefined,
  );
  return new OTLPExporterBase<ReadableSpan[]>(delegate) as unknown as SpanExporter;
}
