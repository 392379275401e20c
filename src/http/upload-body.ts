import type { FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';

export interface UploadGuardOptions {
  /** A body that sends no byte for this long is cut off (steady uploads may run for hours). */
  idleMs: number;
}

/**
 * Watches one upload body: a client that goes away, or goes silent, aborts the returned
 * signal with `upload_aborted` / `upload_timeout`, so the store removes its partial file and
 * closes its descriptor. Idleness is judged on the socket (no byte received), except while
 * the request is paused by our own back-pressure (slow storage is not the client's fault).
 */
export function guardUploadBody(request: FastifyRequest, opts: UploadGuardOptions): { signal: AbortSignal; release(): void } {
  const req = request.raw;
  const socket = req.socket;
  const controller = new AbortController();
  const abort = (err: DomainError) => {
    if (!controller.signal.aborted) controller.abort(err);
  };
  const onClose = () => {
    if (!req.complete) abort(new DomainError('upload_aborted', 'the connection closed before the upload was complete; send the file again'));
  };
  const onTimeout = () => {
    if (req.isPaused() || req.readableLength > 0) {
      socket.setTimeout(opts.idleMs); // our back-pressure, not the client: wait again
      return;
    }
    abort(new DomainError('upload_timeout', `no data arrived for ${Math.round(opts.idleMs / 1000)} s; the upload was cut off (send it again)`));
    req.destroy();
  };
  req.on('close', onClose);
  socket.setTimeout(opts.idleMs);
  socket.on('timeout', onTimeout);
  return {
    signal: controller.signal,
    release() {
      req.off('close', onClose);
      socket.off('timeout', onTimeout);
      socket.setTimeout(0);
    },
  };
}

/** What busboy says about a broken multipart body, as an answer a client can act on. */
export function multipartError(err: unknown): DomainError | null {
  const message = err instanceof Error ? err.message : '';
  const code = (err as { code?: string }).code;
  if (code === 'FST_FILES_LIMIT') return new DomainError('upload_too_many_files', 'send one file per upload: the request has more than one file part');
  if (/boundary not found/i.test(message)) return new DomainError('upload_malformed', 'the multipart Content-Type has no boundary parameter (multipart/form-data; boundary=…)');
  if (/terminated early|unexpected end of (form|multipart)/i.test(message)) {
    return new DomainError('upload_malformed', 'the multipart body ended inside a part, before its closing boundary: the upload was cut short; send it again');
  }
  if (/malformed part header|malformed urlencoded/i.test(message)) return new DomainError('upload_malformed', `the multipart body is malformed: ${message}`);
  return null;
}
