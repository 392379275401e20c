/**
 * Who is asking: resolved once from the request's credentials (src/http/app.ts), then handed
 * to every service call and from there to every repository method that reads or writes a
 * user's rows. Today a principal is an API key; accounts and scopes extend this type, not
 * its callers.
 */
export interface Principal {
  keyId: string;
  keyName: string;
  /**
   * Whose rows this caller may read. `all`: every owner's (every key today is an admin key of
   * the one installation: the bootstrap key, and any key it was rotated from). `own`: only the
   * rows this key wrote. The accounts issue replaces `own` by the caller's account.
   */
  sees: 'all' | 'own';
}

/**
 * The caller of work no request asked for: the worker reading the job it claimed and its
 * upload. It writes nothing as an owner and reads by id only.
 */
export const SYSTEM_PRINCIPAL: Principal = Object.freeze({ keyId: 'system', keyName: 'system', sees: 'all' });

/** The owner id a row is written with (`owner_key_id`): who may read it, and whose Idempotency-Key it was. */
export function ownerOf(principal: Principal): string {
  return principal.keyId;
}

/** The owner a read is limited to, or null for a caller who sees every owner's rows. */
export function readableOwner(principal: Principal): string | null {
  return principal.sees === 'all' ? null : principal.keyId;
}

/**
 * The owner migration 0008 gives rows written before it when the database had no API key,
 * and the column default a process of an older version writes during a rolling upgrade.
 */
export const LEGACY_OWNER = 'legacy';
