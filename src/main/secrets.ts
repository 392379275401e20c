import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuthService } from '../services/auth.service.js';
import { generateApiKey } from '../services/auth.service.js';

/** Reads a secret file, or creates it (mode 0600, exclusive create so two processes cannot both win). */
async function readOrCreate(path: string, make: () => string): Promise<{ value: string; created: boolean }> {
  try {
    return { value: (await readFile(path, 'utf8')).trim(), created: false };
  } catch (caught) {
    const err = caught as NodeJS.ErrnoException;
    if (err.code !== 'ENOENT') throw err;
  }
  const value = make();
  try {
    await writeFile(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
    return { value, created: true };
  } catch (caught) {
    const err = caught as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') return { value: (await readFile(path, 'utf8')).trim(), created: false };
    throw err;
  }
}

export const adminKeyPath = (dataDir: string) => join(dataDir, 'admin.key');

/**
 * The bootstrap admin key: MEDIAFORGE_API_KEY if set, else `<data dir>/admin.key`,
 * created on first start. Only its hash goes into the database.
 */
export async function ensureAdminKey(
  auth: AuthService,
  dataDir: string,
  preset: string | null,
): Promise<{ key: string; created: boolean; file: string | null; revoked: boolean }> {
  if (preset) {
    const { revoked } = await auth.ensureKey(preset, 'admin (MEDIAFORGE_API_KEY)');
    return { key: preset, created: false, file: null, revoked };
  }
  const file = adminKeyPath(dataDir);
  const { value, created } = await readOrCreate(file, generateApiKey);
  const { revoked } = await auth.ensureKey(value, 'admin');
  return { key: value, created, file, revoked };
}

export async function ensureSigningSecret(dataDir: string, preset: string | null): Promise<string> {
  if (preset) return preset;
  return (await readOrCreate(join(dataDir, 'signing.key'), () => randomBytes(32).toString('base64url'))).value;
}
