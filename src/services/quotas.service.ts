import { effectiveQuotas, type Quotas } from '../domain/account.js';
import { DomainError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';

/** The UTC month `now` is in: [first day, first day of the next month). */
export function monthOf(now: number): { from: number; to: number } {
  const d = new Date(now);
  return { from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

const exceeded = (quota: keyof Quotas, used: number, limit: number, what: string) =>
  new DomainError('quota_exceeded', `${what}: this account has used ${used} of its ${quota} quota of ${limit}; delete what it no longer needs, or ask the operator for a higher quota`, {
    quota,
    used,
    limit,
  });

/**
 * An account's quotas at the door: storage and processing minutes refuse new work with
 * `403 quota_exceeded` (the quota, the amount used, the limit); the upload-size quota narrows
 * the upload limit. Running jobs are not refused here: over that quota jobs wait queued (the
 * worker's fair claim, src/domain/fair-share.ts).
 */
export class QuotasService {
  constructor(private readonly deps: { db: Pick<Database, 'accounts' | 'jobs'>; clock: Clock; defaults: Quotas }) {}

  async quotasOf(principal: Principal): Promise<Quotas> {
    const account = await this.deps.db.accounts.get(principal.accountId);
    return account ? effectiveQuotas(account, this.deps.defaults) : this.deps.defaults;
  }

  /** Before a job: the account still has storage and processing minutes left this month. */
  async assertCanSubmit(principal: Principal): Promise<void> {
    const quotas = await this.quotasOf(principal);
    if (quotas.storageBytes !== null) {
      const { storageBytes } = await this.deps.db.jobs.accountUsage(principal.accountId);
      if (storageBytes >= quotas.storageBytes) throw exceeded('storageBytes', storageBytes, quotas.storageBytes, 'no storage left for new outputs');
    }
    if (quotas.processingMinutesPerMonth !== null) {
      const days = await this.deps.db.jobs.usageByDay(principal, monthOf(this.deps.clock.now()));
      const minutes = Math.ceil(days.reduce((s, d) => s + d.inputSeconds, 0) / 60);
      if (minutes >= quotas.processingMinutesPerMonth) throw exceeded('processingMinutesPerMonth', minutes, quotas.processingMinutesPerMonth, 'no processing minutes left this month');
    }
  }

  /**
   * The most bytes one upload of this account may have: the server's limit, the account's
   * upload-size quota and the storage it has left, whichever is least; `storageBound` says the
   * storage quota is what binds (a body cut off there is `quota_exceeded`, not `upload_too_large`).
   */
  async uploadAllowance(principal: Principal, serverLimit: number): Promise<{ maxBytes: number; storageBound: boolean; quotas: Quotas; usedBytes: number }> {
    const quotas = await this.quotasOf(principal);
    let maxBytes = Math.min(serverLimit, quotas.uploadBytes ?? Infinity);
    let storageBound = false;
    let usedBytes = 0;
    if (quotas.storageBytes !== null) {
      usedBytes = (await this.deps.db.jobs.accountUsage(principal.accountId)).storageBytes;
      const left = quotas.storageBytes - usedBytes;
      if (left <= 0) throw exceeded('storageBytes', usedBytes, quotas.storageBytes, 'no storage left for uploads');
      if (left < maxBytes) [maxBytes, storageBound] = [left, true];
    }
    return { maxBytes, storageBound, quotas, usedBytes };
  }

  /** The error for a body that passed the allowance. */
  tooLarge(allowance: { maxBytes: number; storageBound: boolean; quotas: Quotas; usedBytes: number }): DomainError {
    if (allowance.storageBound) return exceeded('storageBytes', allowance.usedBytes, allowance.quotas.storageBytes!, 'the file is larger than the storage this account has left');
    return new DomainError('upload_too_large', `the file is larger than the limit of ${allowance.maxBytes} bytes for this account`, { limitBytes: allowance.maxBytes });
  }
}
