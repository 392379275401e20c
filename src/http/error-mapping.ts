import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode } from '../domain/errors.js';

/** The one place where error codes become HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  quota_exceeded: 403,
  email_invalid: 422,
  email_not_configured: 422,
  not_found: 404,
  upload_not_found: 422,
  idempotency_conflict: 409,
  job_not_cancelable: 409,
  job_not_retryable: 409,
  upload_too_large: 413,
  upload_empty: 400,
  upload_missing_file: 400,
  upload_incomplete: 409,
  upload_size_mismatch: 422,
  upload_checksum_mismatch: 422,
  upload_malformed: 400,
  upload_aborted: 400,
  upload_timeout: 408,
  upload_too_many_files: 400,
  too_many_uploads: 429,
  rate_limited: 429,
  too_many_attempts: 429,
  registration_closed: 403,
  email_taken: 409,
  invite_invalid: 410,
  last_owner: 409,
  webhook_disabled: 409,
  presigned_unavailable: 400,
  ingest_not_configured: 404,
  ingest_unauthorized: 401,
  preset_not_found: 422,
  preset_invalid: 422,
  preset_exists: 409,
  preset_read_only: 409,
  job_not_deletable: 409,
  upload_in_use: 409,
  upload_expired: 410,
  upload_deleted: 410,
  file_expired: 410,
  file_deleted: 410,
  queue_unavailable: 503,
  unsupported_media_type: 415,
  input_invalid: 422,
  input_truncated: 422,
  input_unsupported: 422,
  input_forbidden: 422,
  limit_exceeded: 422,
  output_unsupported: 422,
  input_has_no_audio: 422,
  url_forbidden: 422,
  url_unreachable: 422,
  url_not_found: 422,
  url_http_error: 422,
  url_wrong_content: 422,
  url_too_large: 413,
  url_no_media: 422,
  url_needs_ytdlp: 422,
  link_invalid: 403,
  link_expired: 403,
  upload_token_invalid: 403,
  upload_complete: 409,
  upload_locked: 423,
  upload_token_expired: 403,
  range_not_satisfiable: 416,
  ffmpeg_failed: 500,
  ffmpeg_stalled: 500,
  worker_lost: 500,
  storage_failed: 503,
  internal: 500,
};

export function statusFor(code: ErrorCode): number {
  return STATUS[code];
}

/** Fastify's own errors (bad JSON, wrong content type, body limit) in our shape. */
function fromFastify(err: FastifyError): DomainError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new DomainError('validation_failed', `the request body is not valid JSON: ${err.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DomainError('validation_failed', 'the JSON body is too large (1 MiB at most); upload media with POST /v1/uploads');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DomainError('unsupported_media_type', `this route does not accept that Content-Type: ${err.message}`);
    case 'FST_REQ_FILE_TOO_LARGE':
      return new DomainError('upload_too_large', 'the file is larger than the upload limit');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new DomainError('unsupported_media_type', 'the request is not multipart/form-data');
    default:
      if (err instanceof SyntaxError) return new DomainError('validation_failed', `the request body is not valid JSON: ${err.message}`);
      return null;
  }
}

/** The client went away mid-request: nothing to answer, nothing to alarm an operator about. */
function isClientGone(err: Error, request: FastifyRequest): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE') return true;
  return err.message === 'aborted' || (request.raw.destroyed && !request.raw.complete);
}

export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  // A request whose body was not read to the end (refused early, cut, malformed) closes its
  // connection: draining an unread, possibly endless body would only hold the socket open.
  if (!request.raw.complete) reply.header('connection', 'close');
  const domain = err instanceof DomainError ? err : fromFastify(err as FastifyError);
  if (!domain) {
    const status = (err as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.status(status).send({ error: { code: 'validation_failed', message: err.message } });
    }
    if (isClientGone(err, request)) {
      request.log.info({ reason: err.message }, 'client closed the connection before the answer');
      return reply.status(400).send({ error: { code: 'upload_aborted', message: 'the connection closed before the request was complete' } });
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'internal', message: 'internal error; the server log has the details' } });
  }
  const status = statusFor(domain.code);
  if (status >= 500) request.log.error({ err }, domain.message);
  else if (domain.code === 'upload_aborted' || domain.code === 'upload_timeout') request.log.info({ code: domain.code }, domain.message);
  // A refusal that ends by itself (failed-login throttle) says when, as a 429 should.
  const retryAfter = (domain.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  return reply.status(status).send({ error: { code: domain.code, message: domain.message, ...(domain.details !== undefined ? { details: domain.details } : {}) } });
}
