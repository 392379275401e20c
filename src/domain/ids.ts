import { randomBytes } from 'node:crypto';

/**
 * Time-ordered ids (48-bit ms timestamp + 80 random bits, base32 Crockford) so that
 * "newest first" and cursor pagination follow the id order. Same idea as ULID.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export function newId(prefix: string, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rand = randomBytes(10);
  let random = '';
  for (let i = 0; i < 16; i++) {
    const bitIndex = i * 5;
    const byte = bitIndex >> 3;
    const offset = bitIndex & 7;
    const value = ((rand[byte] << 8) | (rand[byte + 1] ?? 0)) >> (11 - offset);
    random += ALPHABET[value & 31];
  }
  return `${prefix}_${time}${random}`;
}
