import type { Scope } from './account.js';

/**
 * Who is asking: resolved once from the request's credentials (src/http/app.ts), then handed
 * to every service call and from there to every repository method that reads or writes a
 * user's rows. A principal is an API key of one account, with that key's scopes, or a
 * signed-in user of one account, with its role's scopes (src/domain/users.ts).
 */
export interface Principal {
  /** The account every row this caller writes belongs to, and the only one it reads. */
  accountId: string;
  /** The key's id (`key_…`), or the signed-in user's (`usr_…`). */
  keyId: string;
  /** The key's name, or the user's email. */
  keyName: string;
  scopes: readonly Scope[];
  /**
   * Whose rows this caller may read: `account`, only its own account's (every request);
   * `all`, any account's (the worker's system calls by id, never a request).
   */
  sees: 'all' | 'account';
}

/**
 * The caller of work no request asked for: the worker reading the job it claimed and its
 * upload. It writes nothing as an owner and reads by id only.
 */
export const SYSTEM_PRINCIPAL: Principal = Object.freeze({ accountId: 'system', keyId: 'system', keyName: 'system', scopes: [], sees: 'all' });

/** The account a row is written with (`account_id`): who may read it, and whose Idempotency-Key it was. */
export function ownerOf(principal: Principal): string {
  return principal.accountId;
}

/** The key that wrote a row (`owner_key_id`), kept for the audit trail. */
export function creatorOf(principal: Principal): string {
  return principal.keyId;
}

/** The account a read is limited to, or null for the system caller, who reads any account's rows by id. */
export function readableOwner(principal: Principal): string | null {
  return principal.sees === 'all' ? null : principal.accountId;
}

/**
 * The owner migration 0008 gives rows written before it when the database had no API key,
 * and the column default a process of an older version writes during a rolling upgrade.
 */
export const LEGACY_OWNER = 'legacy';
