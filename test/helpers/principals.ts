import type { Principal } from '../../src/domain/principal.js';

/** An admin key's principal, as AuthService.verify returns for every key today: sees every owner's rows. */
export const ADMIN: Principal = { keyId: 'key_admin', keyName: 'admin', sees: 'all' };

/** A principal that sees only its own rows (no key has that today; the accounts issue's keys will). */
export const ownOnly = (keyId: string): Principal => ({ keyId, keyName: keyId, sees: 'own' });
