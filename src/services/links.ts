import { createHmac } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import { safeEqual } from './auth.service.js';

/**
 * Signed, expiring download links. The token sits in the path and covers a whole key
 * prefix (`jobs/<id>/`), so files that reference each other relatively (an HLS master
 * and its playlists and segments) stay reachable through one link, from any origin.
 */
export class LinkSigner {
  constructor(private readonly secret: string, private readonly ttlSeconds: number) {}

  private mac(scope: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${scope}\n${expires}`).digest('base64url').slice(0, 32);
  }

  token(scope: string, nowMs: number): string {
    const expires = Math.floor(nowMs / 1000) + this.ttlSeconds;
    return `${expires}.${this.mac(scope, expires)}`;
  }

  /** Throws `link_invalid` / `link_expired`; answers when the link expires (epoch ms). */
  verify(token: string, scope: string, nowMs: number): number {
    const m = /^(\d{1,12})\.([\w-]{32})$/.exec(token);
    if (!m || !safeEqual(m[2], this.mac(scope, Number(m[1])))) throw new DomainError('link_invalid', 'this download link is not valid; ask the API for the job again to get fresh links');
    const expiresAtMs = Number(m[1]) * 1000;
    if (expiresAtMs < nowMs) throw new DomainError('link_expired', 'this download link has expired; ask the API for the job again to get fresh links');
    return expiresAtMs;
  }
}

/**
 * The scope a key falls under, which a link's token is signed for: the output's folder,
 * `<account>/jobs/<job>/<NN-type>/` (or `jobs/<job>/<NN-type>/` for files stored before
 * accounts). So a link names its account, job and output: editing any of them in the URL
 * breaks the signature. An output's folder holds that output's files only (one file, or an
 * HLS package whose playlists refer to each other relatively).
 */
export function scopeOf(key: string): string | null {
  const m = /^((?:acc_[a-z0-9_]+\/)?jobs\/[A-Za-z0-9_-]+\/\d{2}-[a-z0-9]+\/)[^/]/.exec(key);
  return m ? m[1] : null;
}
