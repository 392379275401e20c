import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

/**
 * The only reader of configuration. Sources, later wins: defaults, an optional JSON file
 * (MEDIAFORGE_CONFIG or --config), environment variables. A bad value stops the process
 * with one line naming the key, the value and what is allowed.
 */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  publicUrl: string | null;
  apiKey: string | null;
  signingSecret: string | null;
  logLevel: string;
  worker: {
    enabled: boolean;
    concurrency: number;
    leaseMs: number;
    heartbeatMs: number;
    stallTimeoutMs: number;
    retryBaseMs: number;
    maxAttempts: number;
    shutdownGraceMs: number;
    probeTimeoutMs: number;
    progressIntervalMs: number;
  };
  limits: {
    maxUploadBytes: number;
    maxDurationSeconds: number;
    maxPixels: number;
    maxFramesPerJob: number;
  };
  linkTtlSeconds: number;
  ffmpegPath: string | null;
  ffprobePath: string | null;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

interface Spec<T> {
  parse(raw: string): T | undefined;
  allowed: string;
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER): Spec<number> => ({
  parse: (raw) => {
    if (!/^\d+$/.test(raw.trim())) return undefined;
    const n = Number(raw);
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
  },
  allowed: `a whole number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any size' : max}`,
});
const seconds = (min: number, max: number): Spec<number> => ({
  parse: (raw) => {
    const n = Number(raw);
    return raw.trim() !== '' && Number.isFinite(n) && n >= min && n <= max ? n : undefined;
  },
  allowed: `a number of seconds from ${min} to ${max}`,
});
const bytes: Spec<number> = {
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
const str = (pattern: RegExp, allowed: string): Spec<string> => ({ parse: (raw) => (pattern.test(raw) ? raw : undefined), allowed });
const bool: Spec<boolean> = {
  parse: (raw) => (/^(1|true|yes|on)$/i.test(raw) ? true : /^(0|false|no|off)$/i.test(raw) ? false : undefined),
  allowed: 'true or false',
};

function read<T>(src: Source, key: string, spec: Spec<T>, fallback: T): T {
  const raw = src[key];
  if (raw === undefined || raw === '') return fallback;
  const value = spec.parse(raw);
  if (value === undefined) throw new ConfigError(`invalid configuration: ${key}=${JSON.stringify(raw)} is not allowed; expected ${spec.allowed}`);
  return value;
}

function optional(src: Source, key: string, spec: Spec<string>): string | null {
  return read<string | null>(src, key, spec as Spec<string | null>, null);
}

function fileSource(path: string | undefined): Source {
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

export function defaultConcurrency(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: { configFile?: string; overrides?: Source } = {}): Config {
  const src: Source = { ...fileSource(opts.configFile ?? env.MEDIAFORGE_CONFIG), ...env, ...(opts.overrides ?? {}) };
  const port = read(src, 'PORT', int(0, 65535), 3000);
  return {
    port,
    host: read(src, 'HOST', str(/^[\w.:-]+$/, 'a host name or IP address (0.0.0.0 for all interfaces)'), '127.0.0.1'),
    dataDir: resolve(read(src, 'MEDIAFORGE_DATA_DIR', str(/^[^\0]+$/, 'a folder path'), './data')),
    publicUrl: optional(src, 'MEDIAFORGE_PUBLIC_URL', str(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, 'an http(s) URL such as https://media.example.com')),
    apiKey: optional(src, 'MEDIAFORGE_API_KEY', str(/^[\x21-\x7e]{16,256}$/, 'at least 16 visible ASCII characters')),
    signingSecret: optional(src, 'MEDIAFORGE_SIGNING_SECRET', str(/^[\x21-\x7e]{32,512}$/, 'at least 32 visible ASCII characters')),
    logLevel: read(src, 'LOG_LEVEL', str(/^(fatal|error|warn|info|debug|trace|silent)$/, 'fatal, error, warn, info, debug, trace or silent'), 'info'),
    worker: {
      enabled: read(src, 'MEDIAFORGE_WORKER', bool, true),
      concurrency: read(src, 'MEDIAFORGE_WORKER_CONCURRENCY', int(1, 256), defaultConcurrency()),
      leaseMs: read(src, 'MEDIAFORGE_LEASE_SECONDS', seconds(1, 3600), 30) * 1000,
      heartbeatMs: read(src, 'MEDIAFORGE_HEARTBEAT_SECONDS', seconds(0.1, 600), 2) * 1000,
      stallTimeoutMs: read(src, 'MEDIAFORGE_STALL_TIMEOUT_SECONDS', seconds(1, 86_400), 120) * 1000,
      retryBaseMs: read(src, 'MEDIAFORGE_RETRY_BASE_SECONDS', seconds(0, 3600), 2) * 1000,
      maxAttempts: read(src, 'MEDIAFORGE_MAX_ATTEMPTS', int(1, 10), 3),
      shutdownGraceMs: read(src, 'MEDIAFORGE_SHUTDOWN_GRACE_SECONDS', seconds(0, 86_400), 30) * 1000,
      probeTimeoutMs: read(src, 'MEDIAFORGE_PROBE_TIMEOUT_SECONDS', seconds(1, 3600), 60) * 1000,
      progressIntervalMs: read(src, 'MEDIAFORGE_PROGRESS_INTERVAL_MS', int(50, 60_000), 500),
    },
    limits: {
      maxUploadBytes: read(src, 'MEDIAFORGE_MAX_UPLOAD_BYTES', bytes, 5 * 1024 ** 3),
      maxDurationSeconds: read(src, 'MEDIAFORGE_MAX_DURATION_SECONDS', seconds(1, 7 * 86_400), 4 * 3600),
      maxPixels: read(src, 'MEDIAFORGE_MAX_PIXELS', int(1), 7680 * 4320),
      maxFramesPerJob: read(src, 'MEDIAFORGE_MAX_FRAMES_PER_JOB', int(1), 10_000),
    },
    linkTtlSeconds: read(src, 'MEDIAFORGE_LINK_TTL_SECONDS', int(10, 30 * 86_400), 86_400),
    ffmpegPath: optional(src, 'FFMPEG_PATH', str(/^[^\0]+$/, 'a path to an ffmpeg binary')),
    ffprobePath: optional(src, 'FFPROBE_PATH', str(/^[^\0]+$/, 'a path to an ffprobe binary')),
  };
}

/** Documented in the README's configuration table; kept here so `doctor` can print it. */
export const CONFIG_KEYS = [
  'PORT', 'HOST', 'MEDIAFORGE_DATA_DIR', 'MEDIAFORGE_PUBLIC_URL', 'MEDIAFORGE_API_KEY', 'MEDIAFORGE_SIGNING_SECRET', 'LOG_LEVEL',
  'MEDIAFORGE_WORKER', 'MEDIAFORGE_WORKER_CONCURRENCY', 'MEDIAFORGE_LEASE_SECONDS', 'MEDIAFORGE_HEARTBEAT_SECONDS',
  'MEDIAFORGE_STALL_TIMEOUT_SECONDS', 'MEDIAFORGE_RETRY_BASE_SECONDS', 'MEDIAFORGE_MAX_ATTEMPTS', 'MEDIAFORGE_SHUTDOWN_GRACE_SECONDS',
  'MEDIAFORGE_PROBE_TIMEOUT_SECONDS', 'MEDIAFORGE_PROGRESS_INTERVAL_MS', 'MEDIAFORGE_MAX_UPLOAD_BYTES', 'MEDIAFORGE_MAX_DURATION_SECONDS',
  'MEDIAFORGE_MAX_PIXELS', 'MEDIAFORGE_MAX_FRAMES_PER_JOB', 'MEDIAFORGE_LINK_TTL_SECONDS', 'FFMPEG_PATH', 'FFPROBE_PATH', 'MEDIAFORGE_CONFIG',
] as const;
