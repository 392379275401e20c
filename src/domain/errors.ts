/**
 * Domain errors carry a stable `code` that clients can switch on. Exactly one place
 * (src/http/error-mapping.ts) turns codes into HTTP statuses; services never speak HTTP.
 * `permanent` errors are not retried by the worker (BullMQ's UnrecoverableError idea).
 */
export const ERROR_CODES = {
  validation_failed: { permanent: true },
  unauthorized: { permanent: true },
  forbidden: { permanent: true },
  quota_exceeded: { permanent: true },
  email_invalid: { permanent: true },
  email_not_configured: { permanent: true },
  not_found: { permanent: true },
  upload_not_found: { permanent: true },
  idempotency_conflict: { permanent: true },
  job_not_cancelable: { permanent: true },
  job_not_retryable: { permanent: true },
  upload_too_large: { permanent: true },
  upload_empty: { permanent: true },
  upload_missing_file: { permanent: true },
  upload_incomplete: { permanent: true },
  upload_size_mismatch: { permanent: true },
  upload_checksum_mismatch: { permanent: true },
  upload_malformed: { permanent: true },
  upload_aborted: { permanent: true },
  upload_timeout: { permanent: true },
  upload_too_many_files: { permanent: true },
  too_many_uploads: { permanent: false },
  rate_limited: { permanent: false },
  too_many_attempts: { permanent: true },
  registration_closed: { permanent: true },
  email_taken: { permanent: true },
  invite_invalid: { permanent: true },
  last_owner: { permanent: true },
  webhook_disabled: { permanent: true },
  presigned_unavailable: { permanent: true },
  ingest_not_configured: { permanent: true },
  ingest_unauthorized: { permanent: true },
  preset_not_found: { permanent: true },
  preset_invalid: { permanent: true },
  preset_exists: { permanent: true },
  preset_read_only: { permanent: true },
  job_not_deletable: { permanent: true },
  upload_in_use: { permanent: true },
  upload_expired: { permanent: true },
  upload_deleted: { permanent: true },
  file_expired: { permanent: true },
  file_deleted: { permanent: true },
  queue_unavailable: { permanent: false },
  unsupported_media_type: { permanent: true },
  input_invalid: { permanent: true },
  input_truncated: { permanent: true },
  input_unsupported: { permanent: true },
  input_forbidden: { permanent: true },
  limit_exceeded: { permanent: true },
  output_unsupported: { permanent: true },
  input_has_no_audio: { permanent: true },
  url_forbidden: { permanent: true },
  url_unreachable: { permanent: false },
  url_not_found: { permanent: true },
  url_http_error: { permanent: false },
  url_wrong_content: { permanent: true },
  url_too_large: { permanent: true },
  url_no_media: { permanent: true },
  url_needs_ytdlp: { permanent: true },
  link_invalid: { permanent: true },
  link_expired: { permanent: true },
  upload_token_invalid: { permanent: true },
  upload_complete: { permanent: true },
  upload_locked: { permanent: false },
  upload_token_expired: { permanent: true },
  range_not_satisfiable: { permanent: true },
  ffmpeg_failed: { permanent: false },
  ffmpeg_stalled: { permanent: false },
  worker_lost: { permanent: false },
  storage_failed: { permanent: false },
  internal: { permanent: false },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
  get permanent(): boolean {
    return ERROR_CODES[this.code].permanent;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

/** Raised when an operation was aborted on purpose (cancel, shutdown); never reported as a failure. */
export class AbortedError extends Error {
  constructor(message = 'aborted') {
    super(message);
    this.name = 'AbortedError';
  }
}

export function errorSummary(err: unknown): { code: ErrorCode; message: string } {
  if (isDomainError(err)) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message };
}
