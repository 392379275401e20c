import { effectiveRetention, jobRetention, sourceExpiry, type Retention, type RetentionSettings } from '../domain/retention.js';
import { retentionSchema } from '../domain/retention-spec.js';
import { DomainError } from '../domain/errors.js';
import type { UploadRecord } from '../domain/job.js';
import type { Principal } from '../domain/principal.js';
import type { Database } from '../ports/db.port.js';
import { parseOrThrow } from './validation.js';

/**
 * The retention a new upload or job gets (src/domain/retention.ts): what it asked for, else
 * its account's settings, else the configured defaults. Read once, at creation.
 */
export class RetentionService {
  constructor(private readonly deps: { db: Pick<Database, 'accounts'>; defaults: RetentionSettings }) {}

  async settingsOf(principal: Principal): Promise<RetentionSettings> {
    const account = await this.deps.db.accounts.get(principal.accountId);
    return effectiveRetention(account?.retention, this.deps.defaults);
  }

  /** An upload's `retention` as stored and when its source goes (counted from `from`: stored, or a presigned upload completed). */
  async forUpload(principal: Principal, requested: Retention | undefined, from: number): Promise<Pick<UploadRecord, 'retention' | 'sourceExpiresAt'>> {
    const settings = await this.settingsOf(principal);
    return { ...(requested && Object.keys(requested).length > 0 ? { retention: requested } : {}), sourceExpiresAt: sourceExpiry(requested, settings, from) };
  }

  /** A new job's outputs' seconds and its own limit on its upload's source. */
  async forJob(principal: Principal, requested: Retention | undefined, upload: Pick<UploadRecord, 'retention'> | null): Promise<RetentionSettings> {
    return jobRetention(requested, upload?.retention, await this.settingsOf(principal));
  }
}

/**
 * `retention` sent in a multipart form field or a query parameter: JSON text (or, from a
 * JSON-typed form field, the object) of
 * `{ sourceSeconds?, outputsSeconds? }` (absent: undefined). Refused with `validation_failed`
 * naming the field.
 */
export function parseRetention(raw: unknown, where: string): Retention | undefined {
  if (raw === undefined || raw === '') return undefined;
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new DomainError('validation_failed', `invalid ${where}: not JSON; send e.g. {"sourceSeconds":86400}`, { problems: [{ path: 'retention', message: 'not JSON' }] });
    }
  }
  return parseOrThrow(retentionSchema, value, where);
}
