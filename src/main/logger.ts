import pino, { type DestinationStream, type Logger } from 'pino';
import type { SpanIds } from '../ports/tracer.port.js';

/**
 * The process's logger. With `activeIds` (the tracer's), every line written inside a span
 * carries its `traceId` and `spanId` (docs/observability.md#logs); outside one, nothing is added.
 * `destination`: where lines go instead of stdout (tests).
 */
export function createLogger(level: string, activeIds?: () => SpanIds | null, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(activeIds ? { mixin: () => activeIds() ?? {} } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
