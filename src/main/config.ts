import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Quotas } from '../domain/account.js';
import { parseRoutes, type Route } from '../domain/routes.js';
import type { AllowEntry } from '../domain/url-policy.js';
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from '../domain/webhook-schedule.js';
import { bool, bytes, ConfigError, fileSource, int, keepFor, optional, price, read, readAllowlist, seconds, str, type Source, type Spec } from './config-read.js';
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
  /** x264 preset and threads for video encodes; the frame-rate cap of HLS rungs. */
  encoding: { preset: string; threads: number; maxFps: number };
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

/**
 * Backends for distributed mode (`mediaforge api`, `worker`, `migrate`, `doctor`); the
 * embedded `start` ignores them. Cross-key rules (a queue needs its broker URL, S3 needs a
 * bucket) are checked here so a bad combination stops the process with one line.
 */
export interface DistributedConfig {
  database: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string; poolSize: number };
  queue: { kind: 'db' } | { kind: 'bullmq'; redisUrl: string; prefix: string } | { kind: 'rabbitmq'; amqpUrl: string };
  queueName: string;
  storage:
    | { kind: 'fs'; root: string }
    | {
        kind: 's3';
        bucket: string;
        region: string;
        endpoint: string | null;
        forcePathStyle: boolean;
        partSizeBytes: number;
        /** Where clients reach the storage, in presigned URLs (default: `endpoint`). */
        publicEndpoint: string | null;
        /** `redirect`: downloads answer 302 to a presigned GET; `proxy`: the API streams the bytes. */
        downloads: 'redirect' | 'proxy';
        downloadTtlSeconds: number;
      };
  directUploads: { ttlSeconds: number; multipartThresholdBytes: number; partSizeBytes: number };
  /** Output types (queue routes) a `mediaforge worker` takes (MEDIAFORGE_WORKER_TYPES); null: all. */
  workerTypes: Route[] | null;
  /**
   * REDIS_URL whatever the queue: API processes keep their shared rate-limit counters there
   * (keys `<prefix>:<queue name>:ratelimit:…`). Null: each API process counts on its own.
   */
  redis: { url: string; prefix: string } | null;
  /**
   * Every event also on the queue's broker for other services (MEDIAFORGE_EVENTS_BROKER=on;
   * docs/notifications.md#events-on-the-broker): a durable topic exchange with `rabbitmq`, a
   * capped stream with `bullmq`. Null: off (the default, and always with the db queue).
   */
  eventsBroker: { kind: 'rabbitmq'; amqpUrl: string; exchange: string } | { kind: 'redis'; redisUrl: string; stream: string; maxLen: number } | null;
}

const NAME = str(/^[a-z0-9][a-z0-9._-]{0,99}$/i, 'letters, digits, dot, dash or underscore (up to 100)');

export function loadDistributedConfig(env: NodeJS.ProcessEnv = process.env, opts: { configFile?: string; overrides?: Source } = {}): DistributedConfig {
  const src: Source = { ...fileSource(opts.configFile ?? env.MEDIAFORGE_CONFIG), ...env, ...(opts.overrides ?? {}) };
  const dataDir = resolve(read(src, 'MEDIAFORGE_DATA_DIR', str(/^[^\0]+$/, 'a folder path'), './data'));
  const dbUrl = optional(src, 'MEDIAFORGE_DATABASE_URL', str(/^(postgres(ql)?:\/\/\S+|sqlite:[^\0]+)$/, 'postgres://user:password@host:5432/db or sqlite:<file path>'));
  const database: DistributedConfig['database'] =
    dbUrl === null || dbUrl.startsWith('sqlite:')
      ? { kind: 'sqlite', path: dbUrl ? resolve(dbUrl.slice('sqlite:'.length)) : resolve(dataDir, 'mediaforge.db') }
      : {
          kind: 'postgres',
          url: dbUrl,
          schema: read(src, 'MEDIAFORGE_DATABASE_SCHEMA', str(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case PostgreSQL schema name'), 'public'),
          poolSize: read(src, 'MEDIAFORGE_DATABASE_POOL_SIZE', int(2, 1000), 10),
        };
  const queueKind = read(src, 'MEDIAFORGE_QUEUE', str(/^(db|bullmq|rabbitmq)$/, 'db, bullmq or rabbitmq'), 'db') as 'db' | 'bullmq' | 'rabbitmq';
  const redisUrl = optional(src, 'REDIS_URL', str(/^rediss?:\/\/\S+$/, 'redis://host:6379 or rediss://…'));
  const amqpUrl = optional(src, 'AMQP_URL', str(/^amqps?:\/\/\S+$/, 'amqp://user:password@host:5672 or amqps://…'));
  const redisPrefix = read(src, 'MEDIAFORGE_REDIS_PREFIX', NAME, 'mediaforge');
  let queue: DistributedConfig['queue'] = { kind: 'db' };
  if (queueKind === 'bullmq') {
    if (!redisUrl) throw new ConfigError('invalid configuration: MEDIAFORGE_QUEUE=bullmq needs REDIS_URL (e.g. redis://127.0.0.1:6379)');
    queue = { kind: 'bullmq', redisUrl, prefix: redisPrefix };
  } else if (queueKind === 'rabbitmq') {
    if (!amqpUrl) throw new ConfigError('invalid configuration: MEDIAFORGE_QUEUE=rabbitmq needs AMQP_URL (e.g. amqp://guest:guest@127.0.0.1:5672)');
    queue = { kind: 'rabbitmq', amqpUrl };
  }
  const partSizeBytes = read(src, 'MEDIAFORGE_S3_PART_SIZE', bytes, 8 * 1024 ** 2);
  if (partSizeBytes < 5 * 1024 ** 2) throw new ConfigError(`invalid configuration: MEDIAFORGE_S3_PART_SIZE=${partSizeBytes} is below S3's minimum part size of 5MiB`);
  const storageKind = read(src, 'MEDIAFORGE_STORAGE', str(/^(fs|s3)$/, 'fs or s3'), 'fs');
  let storage: DistributedConfig['storage'] = { kind: 'fs', root: resolve(dataDir, 'storage') };
  if (storageKind === 's3') {
    const bucket = optional(src, 'MEDIAFORGE_S3_BUCKET', str(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (3–63 lower-case letters, digits, dots, dashes)'));
    if (!bucket) throw new ConfigError('invalid configuration: MEDIAFORGE_STORAGE=s3 needs MEDIAFORGE_S3_BUCKET');
    storage = {
      kind: 's3',
      bucket,
      region: read(src, 'MEDIAFORGE_S3_REGION', str(/^[a-z0-9-]{1,40}$/, 'a region such as us-east-1 (R2: auto)'), 'us-east-1'),
      endpoint: optional(src, 'MEDIAFORGE_S3_ENDPOINT', str(/^https?:\/\/[^\s/]+\/?$/, 'an http(s) URL such as http://minio:9000')),
      forcePathStyle: read(src, 'MEDIAFORGE_S3_FORCE_PATH_STYLE', bool, false),
      partSizeBytes,
      publicEndpoint: optional(src, 'MEDIAFORGE_S3_PUBLIC_ENDPOINT', str(/^https?:\/\/[^\s/]+\/?$/, 'an http(s) URL clients can reach, such as http://localhost:9000')),
      downloads: read(src, 'MEDIAFORGE_S3_DOWNLOADS', str(/^(redirect|proxy)$/, 'redirect or proxy'), 'redirect') as 'redirect' | 'proxy',
      downloadTtlSeconds: read(src, 'MEDIAFORGE_S3_DOWNLOAD_TTL_SECONDS', int(2, 7 * 86_400 - 1), 3600),
    };
  }
  const queueName = read(src, 'MEDIAFORGE_QUEUE_NAME', NAME, 'mediaforge-jobs');
  return {
    database,
    queue,
    queueName,
    eventsBroker: eventsBroker(src, queue, queueName, redisPrefix),
    workerTypes: workerTypes(src.MEDIAFORGE_WORKER_TYPES),
    redis: redisUrl ? { url: redisUrl, prefix: redisPrefix } : null,
    storage,
    directUploads: {
      ttlSeconds: read(src, 'MEDIAFORGE_PRESIGN_TTL_SECONDS', int(1, 7 * 86_400 - 1), 900),
      multipartThresholdBytes: read(src, 'MEDIAFORGE_PRESIGN_MULTIPART_THRESHOLD', bytes, 100 * 1024 ** 2),
      partSizeBytes,
    },
  };
}

const onOff: Spec<boolean> = { parse: bool.parse, allowed: 'on or off' };

/** MEDIAFORGE_EVENTS_BROKER and its destination; on with the db queue stops the start (there is no broker to publish to). */
function eventsBroker(src: Source, queue: DistributedConfig['queue'], queueName: string, redisPrefix: string): DistributedConfig['eventsBroker'] {
  const on = read(src, 'MEDIAFORGE_EVENTS_BROKER', onOff, false);
  const exchange = read(src, 'MEDIAFORGE_EVENTS_EXCHANGE', NAME, 'mediaforge.events');
  const stream = read(src, 'MEDIAFORGE_EVENTS_STREAM', str(/^[a-z0-9][a-z0-9._:-]{0,199}$/i, 'a Redis key: letters, digits, dot, colon, dash or underscore (up to 200)'), `${redisPrefix}:events`);
  const maxLen = read(src, 'MEDIAFORGE_EVENTS_STREAM_MAXLEN', int(100, 1_000_000_000), 100_000);
  if (!on) return null;
  if (queue.kind === 'rabbitmq') {
    if (exchange === `${queueName}.events`) {
      throw new ConfigError(`invalid configuration: MEDIAFORGE_EVENTS_EXCHANGE=${exchange} is the live-event exchange of queue ${queueName}; choose another name`);
    }
    return { kind: 'rabbitmq', amqpUrl: queue.amqpUrl, exchange };
  }
  if (queue.kind === 'bullmq') return { kind: 'redis', redisUrl: queue.redisUrl, stream, maxLen };
  throw new ConfigError('invalid configuration: MEDIAFORGE_EVENTS_BROKER=on needs MEDIAFORGE_QUEUE=rabbitmq or bullmq; the db queue has no broker to publish events to (set MEDIAFORGE_EVENTS_BROKER=off)');
}

function workerTypes(value: string | undefined): Route[] | null {
  if (value === undefined || value.trim() === '') return null;
  try {
    return parseRoutes(value);
  } catch (err) {
    throw new ConfigError(`invalid configuration: MEDIAFORGE_WORKER_TYPES=${JSON.stringify(value)}: ${(err as Error).message}`);
  }
}

export { CONFIG_KEYS } from './config-keys.js';
