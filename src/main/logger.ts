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
    // Fastify's request serializer, with the capabilities a URL may carry taken out (Fastify
    // takes a logger instance's own serializers over its defaults).
    serializers: { req: requestForLog },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(activeIds ? { mixin: () => activeIds() ?? {} } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * A request URL fit for logs: the bearer capabilities some URLs carry are replaced by
 * `[redacted]`: a signed download link's token (`/v1/files/<token>/…`) and a tus upload's
 * capability (`?token=`). Anyone who reads the logs could otherwise use them until they expire.
 */
export function logSafeUrl(url: string): string {
  const [path, query] = splitOnce(url, '?');
  const safePath = path.replace(/^\/v1\/files\/[^/]+/, '/v1/files/[redacted]');
  if (query === null) return safePath;
  const safeQuery = query.split('&').map((pair) => (/^(token|sig|signature|X-Amz-Signature|X-Amz-Credential)=/i.test(pair) ? `${pair.split('=')[0]}=[redacted]` : pair)).join('&');
  return `${safePath}?${safeQuery}`;
}

function splitOnce(s: string, sep: string): [string, string | null] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, null] : [s.slice(0, i), s.slice(i + 1)];
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

function requestForLog(req: LoggedRequest) {
  return { method: req.method, url: typeof req.url === 'string' ? logSafeUrl(req.url) : req.url, host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}
