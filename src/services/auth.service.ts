import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/principal.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');
export const generateApiKey = () => `mf_${randomBytes(24).toString('base64url')}`;

export class AuthService {
  constructor(private readonly deps: { db: Pick<Database, 'apiKeys'>; clock: Clock }) {}

  /** Keys are stored as SHA-256 hashes; a stolen database does not give working keys. */
  async verify(header: string | undefined): Promise<Principal> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) throw new DomainError('unauthorized', 'send your API key as `Authorization: Bearer <key>`');
    const found = await this.deps.db.apiKeys.findByHash(hashApiKey(m[1]));
    if (!found) throw new DomainError('unauthorized', 'that API key is not valid');
    // Every key today is an admin key of the installation: it sees every owner's rows. Keys
    // with fewer rights (an account's, scoped) come with the accounts issue.
    return { keyId: found.id, keyName: found.name, sees: 'all' };
  }

  /** Registers a key (idempotent: an existing hash is left alone). */
  async ensureKey(key: string, name: string): Promise<void> {
    const hash = hashApiKey(key);
    if (await this.deps.db.apiKeys.findByHash(hash)) return;
    await this.deps.db.apiKeys.create({ id: newId('key', this.deps.clock.now()), name, hash, createdAt: this.deps.clock.now() });
  }
}

/** Constant-time string comparison for HMAC signatures. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
