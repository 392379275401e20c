import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Webhook secrets at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the
 * deployment's signing secret with its own label, as the access tokens' key is
 * (src/services/access-tokens.ts). A copy of the database alone does not give the secrets
 * away, and every process with the same MEDIAFORGE_SIGNING_SECRET (API and workers) opens
 * what another sealed. Sealed form: `v1.<iv>.<ciphertext + tag>`, base64url.
 */
export class WebhookSecretBox {
  private readonly key: Buffer;
  constructor(signingSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', signingSecret, 'mediaforge', 'webhook-secret v1', 32));
  }

  seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `v1.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  /** Throws when `sealed` was not sealed with this key (another signing secret) or was changed. */
  open(sealed: string): string {
    const m = /^v1\.([\w-]{16})\.([\w-]{23,})$/.exec(sealed);
    if (!m) throw new Error('not a sealed webhook secret');
    const data = Buffer.from(m[2], 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(m[1], 'base64url'));
    decipher.setAuthTag(data.subarray(data.length - 16));
    try {
      return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('the webhook secret cannot be opened with this process\'s signing secret: every API and worker process must share MEDIAFORGE_SIGNING_SECRET');
    }
  }
}
