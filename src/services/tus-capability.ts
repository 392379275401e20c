import { createHmac, hkdfSync } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import { safeEqual } from './auth.service.js';

/**
 * The capability of a browser-side tus upload (docs/tus.md#browser-uploads): a token that
 * lets its bearer HEAD, PATCH and DELETE one upload, for a short time, without the account's
 * key. `<account>.<expires>.<mac>`, the MAC over the upload id, the account and the expiry
 * with a key derived from the signing secret (its own, so no other token can pass as one).
 */
export class TusCapabilities {
  private readonly key: Buffer;
  constructor(signingSecret: string, private readonly ttlSeconds: number) {
    this.key = Buffer.from(hkdfSync('sha256', signingSecret, 'mediaforge', 'tus-capability v1', 32));
  }

  private mac(uploadId: string, accountId: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${uploadId}\n${accountId}\n${expires}`).digest('base64url');
  }

  issue(uploadId: string, accountId: string, now: number): { token: string; expiresAt: number } {
    const expires = Math.floor(now / 1000) + this.ttlSeconds;
    return { token: `${accountId}.${expires}.${this.mac(uploadId, accountId, expires)}`, expiresAt: expires * 1000 };
  }

  /** The account the token was issued for; 403 upload_token_invalid / upload_token_expired. */
  verify(uploadId: string, token: string, now: number): string {
    const m = /^([A-Za-z0-9_-]{1,64})\.(\d{1,12})\.([\w-]{43})$/.exec(token);
    if (!m || !safeEqual(m[3], this.mac(uploadId, m[1], Number(m[2])))) {
      throw new DomainError('upload_token_invalid', 'this upload token is not valid for this upload; ask the backend for a new upload URL (POST /v1/uploads {"method": "tus"})');
    }
    if (Number(m[2]) * 1000 < now) {
      throw new DomainError('upload_token_expired', 'this upload token has expired; ask the backend for a new upload URL (POST /v1/uploads {"method": "tus"})');
    }
    return m[1];
  }
}
