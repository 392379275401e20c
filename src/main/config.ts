import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Quotas } from '../domain/account.js';
import type { ChunkingSettings } from '../domain/chunk-plan.js';
import type { AllowEntry } from '../domain/url-policy.js';
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from '../domain/webhook-schedule.js';
import { bool, bytes, ConfigError, fileSource, int, keepFor, onOff, optional, price, read, readAllowlist, seconds, str, type Source, type Spec } from './config-read.js';
import { MAX_RETENTION_SECONDS } from '../domain/retention.js';
import { parseIngestPrefixes, type S3IngestSettings } from '../domain/s3-events.js';
import { DEFAULT_DISABLE_AFTER_SECONDS, isEmailAddress } from '../domain/notify.js';
import { readTracingConfig, type TracingConfig } from './tracing.js';

export { ConfigError };

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
  /** The built web console (vite build output); null: dist/console of this package. */
  consoleDir: string | null;
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
    /** An upload body that sends no byte for this long is cut off. */
    uploadIdleMs: number;
    /** Uploads one API key may have in flight at once, per API process. */
    maxConcurrentUploads: number;
    /** A tus upload left unfinished this long is removed (docs/tus.md). */
    tusExpiryMs: number;
  };
  /** x264 preset and threads for video encodes; the frame-rate cap of HLS rungs; chunking of long HLS/MP4 outputs. */
  encoding: { preset: string; threads: number; maxFps: number; chunking: ChunkingSettings };
  /** Input from a URL: hosts allowed whatever they resolve to, size limit, whole-download deadline. */
  urlImport: {
    allowlist: AllowEntry[];
    maxBytes: number;
    timeoutMs: number;
    maxRedirects: number;
    /** yt-dlp for web pages and streams: a path or a name on PATH, 'off', or null to look for `yt-dlp` on PATH. */
    ytdlp: string | null;
  };
  /**
   * Webhooks (docs/notifications.md): hosts a webhook URL may reach whatever they resolve to
   * (as MEDIAFORGE_URL_ALLOWLIST does for imports), and the waits before each attempt.
   */
  webhooks: { allowlist: AllowEntry[]; retrySchedule: number[]; disableAfterMs: number };
  /**
   * E-mail notifications (docs/notifications.md#e-mail): the SMTP server (smtp:// or smtps://,
   * credentials in the URL) and the From address. Null URL: no e-mail; `notify.email` is refused.
   */
  email: { smtpUrl: string | null; from: string };
  /** Each account's limits unless the admin set its own (docs/accounts.md); null: none. */
  quotas: Quotas;
  /** How long sources and outputs are kept unless an upload, job or account says (seconds; null: until deleted), and the sweep period (docs/lifecycle.md). */
  retention: { sourceSeconds: number | null; outputsSeconds: number | null; sweepMs: number };
  linkTtlSeconds: number;
  /** Prices that turn usage into cost figures (docs/usage.md); null: not set, no figure. */
  costs: { perCpuHour: number | null; perGbMonth: number | null };
  /** Requests per minute per API key (per address without a valid key); 0: no limit. See docs/rate-limits.md. */
  rateLimit: { perMinute: number };
  /**
   * Which peers' X-Forwarded-For is believed (MEDIAFORGE_TRUST_PROXY; docs/operations.md#behind-a-reverse-proxy):
   * false (the default: the client is the TCP peer), a number of proxy hops, or the proxies'
   * addresses and CIDRs (and loopback, linklocal, uniquelocal). The client's address keys the
   * rate limit without a key and the sign-in lockout.
   */
  trustProxy: TrustProxy;
  /** `open`: POST /v1/auth/register creates accounts; `off`: users join by invitation only (docs/login.md). */
  registration: 'open' | 'off';
  /**
   * GET /metrics (on unless MEDIAFORGE_METRICS=off); a worker process's own metrics port
   * (null: none); the bearer token the endpoint then needs (null: none). docs/operations.md#observability.
   */
  metrics: { enabled: boolean; port: number | null; token: string | null };
  /** Traces over OTLP/HTTP (the standard OTEL_* variables): docs/observability.md#traces. */
  tracing: TracingConfig;
  ffmpegPath: string | null;
  ffprobePath: string | null;
  /** Bucket events (docs/lifecycle.md): the sender's shared secret and which prefixes become whose uploads; null: off. */
  ingestS3: S3IngestSettings | null;
}

/** MEDIAFORGE_INGEST_S3_SECRET and MEDIAFORGE_INGEST_S3_PREFIXES: both, or neither. */
function readIngestS3(src: Source): S3IngestSettings | null {
  const secret = optional(src, 'MEDIAFORGE_INGEST_S3_SECRET', str(/^[\x21-\x7e]{16,256}$/, 'at least 16 printable characters, no spaces'));
  let prefixes;
  try {
    prefixes = parseIngestPrefixes(src.MEDIAFORGE_INGEST_S3_PREFIXES);
  } catch (err) {
    throw new ConfigError(`invalid configuration: MEDIAFORGE_INGEST_S3_PREFIXES: ${(err as Error).message}`);
  }
  if (secret === null && prefixes.length === 0) return null;
  if (secret === null) throw new ConfigError('invalid configuration: MEDIAFORGE_INGEST_S3_PREFIXES needs MEDIAFORGE_INGEST_S3_SECRET, the bearer token event senders present');
  if (prefixes.length === 0) throw new ConfigError('invalid configuration: MEDIAFORGE_INGEST_S3_SECRET needs MEDIAFORGE_INGEST_S3_PREFIXES (bucket/prefix=acc_id:preset, comma-separated)');
  return { secret, prefixes };
}

const retrySchedule: Spec<number[]> = {
  parse: (raw) => {
    try {
      return parseRetrySchedule(raw);
    } catch {
      return undefined;
    }
  },
  allowed: `the waits before each attempt, comma-separated, such as ${DEFAULT_RETRY_SCHEDULE} (units ms, s, m, h, d; a bare number is seconds; at most 50 entries of up to 7d)`,
};

export type TrustProxy = false | number | string[];

const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);
/** One trusted proxy: an address, a CIDR (address/prefix), or one of proxy-addr's keywords. */
function proxyEntry(raw: string): boolean {
  if (PROXY_KEYWORDS.has(raw)) return true;
  const [addr, prefix, extra] = raw.split('/');
  const family = isIP(addr ?? '');
  if (!family || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
const trustProxySpec: Spec<TrustProxy> = {
  parse: (raw) => {
    const v = raw.trim();
    if (/^(off|false|no|0)$/i.test(v)) return false;
    if (/^\d{1,2}$/.test(v)) return Number(v) <= 20 ? Number(v) : undefined;
    const list = v.split(',').map((e) => e.trim()).filter(Boolean);
    return list.length > 0 && list.every(proxyEntry) ? list : undefined;
  },
  allowed: 'off, a number of proxy hops (1–20), or the proxies\' addresses or CIDRs, comma-separated (10.0.0.0/8, 192.168.1.10, loopback, linklocal, uniquelocal)',
};

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
    consoleDir: optional(src, 'MEDIAFORGE_CONSOLE_DIR', str(/^[^\0]+$/, 'a folder path (the output of vite build)')),
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
      uploadIdleMs: read(src, 'MEDIAFORGE_UPLOAD_IDLE_TIMEOUT_SECONDS', seconds(1, 3600), 60) * 1000,
      maxConcurrentUploads: read(src, 'MEDIAFORGE_MAX_CONCURRENT_UPLOADS', int(1, 10_000), 8),
      tusExpiryMs: read(src, 'MEDIAFORGE_TUS_EXPIRY_SECONDS', seconds(1, 30 * 86_400), 86_400) * 1000,
    },
    encoding: {
      preset: read(src, 'MEDIAFORGE_ENCODER_PRESET', str(/^(ultrafast|superfast|veryfast|faster|fast|medium|slow|slower|veryslow)$/, 'an x264 preset: ultrafast … veryslow'), 'veryfast'),
      threads: read(src, 'MEDIAFORGE_ENCODER_THREADS', int(0, 256), 0),
      maxFps: read(src, 'MEDIAFORGE_HLS_MAX_FPS', int(1, 240), 60),
      chunking: {
        mode: read(src, 'MEDIAFORGE_CHUNKING', str(/^(auto|off)$/, 'auto or off'), 'auto') as ChunkingSettings['mode'],
        minSeconds: read(src, 'MEDIAFORGE_CHUNK_MIN_SECONDS', int(10, 86_400), 120),
      },
    },
    urlImport: {
      allowlist: readAllowlist(src, 'MEDIAFORGE_URL_ALLOWLIST'),
      maxBytes: read(src, 'MEDIAFORGE_URL_MAX_BYTES', bytes, 5 * 1024 ** 3),
      timeoutMs: read(src, 'MEDIAFORGE_URL_TIMEOUT_SECONDS', seconds(1, 86_400), 3600) * 1000,
      maxRedirects: read(src, 'MEDIAFORGE_URL_MAX_REDIRECTS', int(0, 20), 5),
      ytdlp: optional(src, 'MEDIAFORGE_YTDLP', str(/^[^\0]+$/, 'a path to yt-dlp, or off')),
    },
    webhooks: {
      allowlist: readAllowlist(src, 'MEDIAFORGE_WEBHOOK_ALLOWLIST'),
      retrySchedule: read(src, 'MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE', retrySchedule, parseRetrySchedule(DEFAULT_RETRY_SCHEDULE)),
      disableAfterMs: read(src, 'MEDIAFORGE_WEBHOOK_DISABLE_AFTER_SECONDS', seconds(1, 365 * 86_400), DEFAULT_DISABLE_AFTER_SECONDS) * 1000,
    },
    email: {
      smtpUrl: optional(src, 'MEDIAFORGE_SMTP_URL', str(/^smtps?:\/\/[^\s/]+\/?(\?\S*)?$/, 'smtp://host:port or smtps://user:password@host:465')),
      from: read(src, 'MEDIAFORGE_SMTP_FROM', { parse: (raw: string) => (isEmailAddress(raw) ? raw : undefined), allowed: 'a plain address such as mediaforge@example.com' }, 'mediaforge@localhost'),
    },
    quotas: {
      storageBytes: read<number | null>(src, 'MEDIAFORGE_QUOTA_STORAGE_BYTES', bytes, null),
      runningJobs: read<number | null>(src, 'MEDIAFORGE_QUOTA_RUNNING_JOBS', int(1, 100_000), null),
      processingMinutesPerMonth: read<number | null>(src, 'MEDIAFORGE_QUOTA_PROCESSING_MINUTES', int(1), null),
      uploadBytes: read<number | null>(src, 'MEDIAFORGE_QUOTA_UPLOAD_BYTES', bytes, null),
    },
    retention: {
      sourceSeconds: read<number | null>(src, 'MEDIAFORGE_RETENTION_SOURCE_SECONDS', keepFor(MAX_RETENTION_SECONDS), 7 * 86_400),
      outputsSeconds: read<number | null>(src, 'MEDIAFORGE_RETENTION_OUTPUTS_SECONDS', keepFor(MAX_RETENTION_SECONDS), null),
      sweepMs: read(src, 'MEDIAFORGE_RETENTION_SWEEP_SECONDS', seconds(0.1, 86_400), 300) * 1000,
    },
    linkTtlSeconds: read(src, 'MEDIAFORGE_LINK_TTL_SECONDS', int(10, 30 * 86_400), 86_400),
    costs: {
      perCpuHour: read<number | null>(src, 'MEDIAFORGE_COST_PER_CPU_HOUR', price, null),
      perGbMonth: read<number | null>(src, 'MEDIAFORGE_COST_PER_GB_MONTH', price, null),
    },
    rateLimit: { perMinute: read(src, 'MEDIAFORGE_RATE_LIMIT_PER_MINUTE', int(0, 1_000_000), 100) },
    trustProxy: read(src, 'MEDIAFORGE_TRUST_PROXY', trustProxySpec, false),
    registration: read(src, 'MEDIAFORGE_REGISTRATION', str(/^(open|off)$/, 'open or off'), 'off') as 'open' | 'off',
    metrics: {
      enabled: read(src, 'MEDIAFORGE_METRICS', onOff, true),
      port: read<number | null>(src, 'MEDIAFORGE_METRICS_PORT', int(0, 65_535), null),
      token: optional(src, 'MEDIAFORGE_METRICS_TOKEN', str(/^[\x21-\x7e]{16,256}$/, 'at least 16 printable characters, no spaces')),
    },
    tracing: readTracingConfig(src),
    ffmpegPath: optional(src, 'FFMPEG_PATH', str(/^[^\0]+$/, 'a path to an ffmpeg binary')),
    ffprobePath: optional(src, 'FFPROBE_PATH', str(/^[^\0]+$/, 'a path to an ffprobe binary')),
    ingestS3: readIngestS3(src),
  };
}

export { loadDistributedConfig, type DistributedConfig } from './config.distributed.js';
export { CONFIG_KEYS } from './config-keys.js';
