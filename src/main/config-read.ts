import { readFileSync } from 'node:fs';
import { parseAllowlist, type AllowEntry } from '../domain/url-policy.js';

/** How configuration values are read and checked (src/main/config.ts uses these). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Source = Record<string, string | undefined>;

export interface Spec<T> {
  parse(raw: string): T | undefined;
  allowed: string;
}

export const int = (min: number, max = Number.MAX_SAFE_INTEGER): Spec<number> => ({
  parse: (raw) => {
    if (!/^\d+$/.test(raw.trim())) return undefined;
    const n = Number(raw);
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
  },
  allowed: `a whole number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any size' : max}`,
});
export const seconds = (min: number, max: number): Spec<number> => ({
  parse: (raw) => {
    const n = Number(raw);
    return raw.trim() !== '' && Number.isFinite(n) && n >= min && n <= max ? n : undefined;
  },
  allowed: `a number of seconds from ${min} to ${max}`,
});
export const bytes: Spec<number> = {
  parse: (raw) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$/i.exec(raw);
    if (!m) return undefined;
    const unit = (m[2] ?? '').toLowerCase().replace(/i?b$/, '');
    const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit];
    const n = mult === undefined ? NaN : Math.floor(Number(m[1]) * mult);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  },
  allowed: 'a size in bytes, optionally with a unit (e.g. 500MB, 10GiB)',
};
export const price: Spec<number> = {
  parse: (raw) => (/^\s*\d+(\.\d+)?\s*$/.test(raw) && Number(raw) <= 1e9 ? Number(raw) : undefined),
  allowed: 'a price: a number from 0, such as 0.05 (in your currency)',
};
/** Seconds to keep something, or `forever` (null: kept until deleted). */
export const keepFor = (max: number): Spec<number | null> => ({
  parse: (raw) => (/^\s*forever\s*$/i.test(raw) ? null : int(0, max).parse(raw)),
  allowed: `a whole number of seconds from 0 to ${max}, or forever`,
});
export const str = (pattern: RegExp, allowed: string): Spec<string> => ({ parse: (raw) => (pattern.test(raw) ? raw : undefined), allowed });
export const bool: Spec<boolean> = {
  parse: (raw) => (/^(1|true|yes|on)$/i.test(raw) ? true : /^(0|false|no|off)$/i.test(raw) ? false : undefined),
  allowed: 'true or false',
};

/** A switch spelled on/off (true/false and the rest of `bool` are taken too). */
export const onOff: Spec<boolean> = { parse: bool.parse, allowed: 'on or off' };

export function read<T>(src: Source, key: string, spec: Spec<T>, fallback: T): T {
  const raw = src[key];
  if (raw === undefined || raw === '') return fallback;
  const value = spec.parse(raw);
  if (value === undefined) throw new ConfigError(`invalid configuration: ${key}=${JSON.stringify(raw)} is not allowed; expected ${spec.allowed}`);
  return value;
}

/** A list of allowlist entries; an entry that could never match stops the start, named. */
export function readAllowlist(src: Source, key: string): AllowEntry[] {
  try {
    return parseAllowlist(src[key]);
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${key}: ${(err as Error).message}`);
  }
}

export function optional(src: Source, key: string, spec: Spec<string>): string | null {
  return read<string | null>(src, key, spec as Spec<string | null>, null);
}

export function fileSource(path: string | undefined): Source {
  if (!path) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`invalid configuration: cannot read config file ${path}: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`invalid configuration: ${path} must hold a JSON object of KEY: value pairs`);
  }
  return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, v == null ? undefined : String(v)]));
}
