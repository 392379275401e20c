/**
 * Traces (docs/observability.md#traces): what the platform says about the work it does, as
 * spans of one trace from the HTTP request to the worker's last ffmpeg run. Callers name the
 * work; the adapter (src/adapters/otel) decides how it is recorded and exported. Without an
 * exporter configured the composition roots pass `noopTracer`: no SDK is loaded and every
 * call is a few property reads.
 *
 * A trace crosses processes as a W3C `traceparent` string
 * (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`): in the outbox row and the queue
 * message of a job, and in an HTTP request's header.
 */

export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface SpanIds {
  traceId: string;
  spanId: string;
}

export interface Span {
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the span failed with the error's message (and code, for a DomainError). */
  fail(err: unknown): void;
  /** The W3C traceparent naming this span as a parent; null when nothing is recorded. */
  traceparent(): string | null;
  ids(): SpanIds | null;
  end(): void;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: SpanAttributes;
  /**
   * A traceparent to continue (from a message or a header). Absent: the active span is the
   * parent; null: a new trace. An unreadable one starts a new trace too.
   */
  parent?: string | null;
}

export interface Tracer {
  /**
   * Runs `fn` in a new span, active for everything `fn` awaits; ends it when `fn` settles, and
   * marks it failed when `fn` rejects (rethrowing).
   */
  inSpan<T>(name: string, opts: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T>;
  /** A span the caller ends (an HTTP request across its hooks); not made active: see `activate`. */
  startSpan(name: string, opts: SpanOptions): Span;
  /** Runs `fn` with `span` active (a span from startSpan). */
  activate<T>(span: Span, fn: () => T): T;
  /** The active span's ids (for log lines), or null. */
  activeIds(): SpanIds | null;
  /** The active span as a W3C traceparent (to write into a message), or null. */
  activeTraceparent(): string | null;
  /** Sends what is buffered; the roots call it at shutdown. */
  shutdown(): Promise<void>;
}

const noopSpan: Span = {
  setAttributes: () => undefined,
  fail: () => undefined,
  traceparent: () => null,
  ids: () => null,
  end: () => undefined,
};

/** Records nothing: the default of every caller, and what the roots pass when no exporter is set. */
export const noopTracer: Tracer = {
  inSpan: (_name, _opts, fn) => fn(noopSpan),
  startSpan: () => noopSpan,
  activate: (_span, fn) => fn(),
  activeIds: () => null,
  activeTraceparent: () => null,
  shutdown: async () => undefined,
};

/** `00-<trace>-<span>-<flags>` with non-zero ids: the only form taken from outside. */
export const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
