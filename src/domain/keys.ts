import { DomainError } from './errors.js';

/**
 * Storage keys are built only from ids we generate and names we choose, never from raw
 * user strings. The pattern below is enforced by every blob store, so even a bug that
 * lets user text through cannot escape the store (no `..`, no leading `/`, no NUL).
 */
const KEY_PATTERN = /^(?:[a-z0-9][a-z0-9._-]{0,127})(?:\/[a-z0-9][a-z0-9._-]{0,127}){0,8}$/i;

export function assertValidKey(key: string): void {
  if (!KEY_PATTERN.test(key) || key.split('/').some((part) => part === '.' || part === '..')) {
    throw new DomainError('validation_failed', `invalid storage key: ${JSON.stringify(key)}`);
  }
}

const ID_PATTERN = /^[a-z0-9_-]{8,64}$/i;
export function isSafeId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/**
 * Every key starts with the owning account's id (`acc_…/uploads/…`, `acc_…/jobs/…`), so one
 * account's media is one prefix: listed, measured, moved or deleted together, and a bucket
 * policy can be written per account. Files stored before accounts (migration 0010) keep
 * their unprefixed keys (`jobs/<id>/…`); the job rows record every file's key, so both
 * layouts are served.
 */
export const keys = {
  uploadSource: (accountId: string, uploadId: string) => `${accountId}/uploads/${uploadId}/source`,
  /** A URL input's downloaded copy, kept while the attempt runs. */
  importSource: (accountId: string, jobId: string) => `${accountId}/imports/${jobId}/source`,
  jobPrefix: (accountId: string, jobId: string) => `${accountId}/jobs/${jobId}/`,
  outputFile: (accountId: string, jobId: string, outputIndex: number, type: string, name: string) =>
    `${accountId}/jobs/${jobId}/${String(outputIndex).padStart(2, '0')}-${type}/${name}`,
};
