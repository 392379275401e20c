import { ADMIN_ACCOUNT_ID, ALL_SCOPES, type Scope } from '../../src/domain/account.js';
import type { Principal } from '../../src/domain/principal.js';

/** The bootstrap admin key's principal, as AuthService.verify returns it: the built-in admin account, every scope. */
export const ADMIN: Principal = { accountId: ADMIN_ACCOUNT_ID, keyId: 'key_admin', keyName: 'admin', scopes: ALL_SCOPES, sees: 'account' };

/** A key of another account: reads and writes only that account's rows. */
export const inAccount = (accountId: string, scopes: readonly Scope[] = ['uploads:write', 'jobs:read', 'jobs:write'], keyId = `key_of_${accountId}`): Principal => ({
  accountId,
  keyId,
  keyName: keyId,
  scopes,
  sees: 'account',
});
