import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ADMIN_ACCOUNT_ID } from '../domain/account.js';
import { DomainError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/principal.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import { scopesOfRole } from '../domain/users.js';
import type { AccessTokens } from './access-tokens.js';

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');
export const generateApiKey = () => `mf_${randomBytes(24).toString('base64url')}`;

/** A key's last-used time is written at most this often (one write per key per minute, not per request). */
export const LAST_USED_RESOLUTION_MS = 60_000;

export class AuthService {
  constructor(private readonly deps: { db: Pick<Database, 'apiKeys' | 'sessions'>; clock: Clock; /** Absent: only API keys are accepted. */ tokens?: AccessTokens }) {}

  /**
   * The caller of a request: an API key (`mf_…`) or a signed-in user's access token (a JWT
   * from POST /v1/auth/login, docs/login.md).
   *
   * Keys are stored as SHA-256 hashes; a stolen database does not give working keys. Every
   * request reads the key's row, so a revoked key stops working at once on every API process.
   * A user's request reads its session and user the same way: logout, removal or disabling
   * end it at once, and a role change applies to the next request.
   */
  async verify(header: string | undefined): Promise<Principal> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) throw new DomainError('unauthorized', 'send your API key (or access token) as `Authorization: Bearer <key>`');
    if (this.deps.tokens && !m[1].startsWith('mf_') && m[1].split('.').length === 3) return this.verifyUser(m[1]);
    const found = await this.deps.db.apiKeys.findByHash(hashApiKey(m[1]));
    if (!found) throw new DomainError('unauthorized', 'that API key is not valid (unknown or revoked)');
    const now = this.deps.clock.now();
    if (found.lastUsedAt === null || found.lastUsedAt < now - LAST_USED_RESOLUTION_MS) {
      // Bookkeeping only: a failed write must not fail the request.
      void this.deps.db.apiKeys.touch(found.id, now, now - LAST_USED_RESOLUTION_MS).catch(() => undefined);
    }
    return { accountId: found.accountId, keyId: found.id, keyName: found.name, scopes: found.scopes, sees: 'account' };
  }

  private async verifyUser(token: string): Promise<Principal> {
    const now = this.deps.clock.now();
    const claims = await this.deps.tokens!.verify(token, now);
    if (claims?.expired) throw new DomainError('unauthorized', 'the access token has expired: get a new one with POST /v1/auth/refresh', { reason: 'token_expired' });
    if (!claims) throw new DomainError('unauthorized', 'that access token is not valid');
    const signedIn = await this.deps.db.sessions.signedIn(claims.userId, claims.sessionId, now);
    if (!signedIn) throw new DomainError('unauthorized', 'this session has ended (signed out, or the user was disabled or removed): sign in again', { reason: 'session_ended' });
    const { user } = signedIn;
    return { accountId: user.accountId, keyId: user.id, keyName: user.email, scopes: scopesOfRole(user.role, user.accountId), sees: 'account' };
  }

  /**
   * Registers the operator's bootstrap key in the admin account with the `admin` scope
   * (idempotent: a known hash is left alone). A revoked bootstrap key stays revoked: the
   * answer says so, and the start warns.
   */
  async ensureKey(key: string, name: string): Promise<{ revoked: boolean }> {
    const hash = hashApiKey(key);
    const known = await this.deps.db.apiKeys.findByHash(hash, { includeRevoked: true });
    if (known) return { revoked: known.revokedAt !== null };
    const now = this.deps.clock.now();
    await this.deps.db.apiKeys.create({ id: newId('key', now), name, hash, createdAt: now, accountId: ADMIN_ACCOUNT_ID, scopes: ['admin'] });
    return { revoked: false };
  }
}

/** Constant-time string comparison for HMAC signatures. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
