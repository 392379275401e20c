import { hkdfSync } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { ACCESS_TOKEN_TTL_S } from '../domain/users.js';

const ISSUER = 'mediaforge';
const AUDIENCE = 'mediaforge-api';

/**
 * The console's short-lived access tokens: JWTs (HS256) naming the user and its session.
 * The key is derived from the deployment's signing secret (MEDIAFORGE_SIGNING_SECRET or
 * `<data dir>/signing.key`), under its own label, so every API process of a deployment
 * accepts the tokens of the others and no download-link signature can pass for a token.
 * A token proves who signed in; whether the session and the user still stand is read on
 * every request (src/services/auth.service.ts), so logout and removal act at once.
 */
export class AccessTokens {
  private readonly key: Uint8Array;
  constructor(signingSecret: string) {
    this.key = new Uint8Array(hkdfSync('sha256', signingSecret, 'mediaforge', 'access-token v1', 32));
  }

  async sign(claims: { userId: string; accountId: string; sessionId: string }, now: number): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(now / 1000);
    const token = await new SignJWT({ acc: claims.accountId, sid: claims.sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ACCESS_TOKEN_TTL_S)
      .sign(this.key);
    return { token, expiresAt: (iat + ACCESS_TOKEN_TTL_S) * 1000 };
  }

  /** The user and session a valid, unexpired token names; null for any other string. */
  async verify(token: string, now: number): Promise<{ userId: string; sessionId: string; expired: false } | { expired: true } | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], currentDate: new Date(now) });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') return null;
      return { userId: payload.sub, sessionId: payload.sid, expired: false };
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { expired: true };
      return null;
    }
  }
}
