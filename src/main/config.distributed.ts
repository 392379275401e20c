import { resolve } from 'node:path';
import { parseRoutes, type Route } from '../domain/routes.js';
import { bool, bytes, ConfigError, fileSource, int, onOff, optional, read, str, type Source } from './config-read.js';

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
