import { Redis } from 'ioredis';
import amqp from 'amqplib';
import pg from 'pg';
import type { DistributedConfig } from '../../main/config.js';
import { openBlobStore } from '../../main/distributed.js';

type Report = { ok(msg: string): void; warn(msg: string): void; bad(msg: string): void };

const TIMEOUT_MS = 5000;
const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

async function withTimeout<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** `doctor` for distributed mode: connects to each configured backend and says what is wrong. */
export async function checkBackends(d: DistributedConfig, r: Report): Promise<void> {
  if (d.database.kind === 'postgres') {
    const db = d.database;
    const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: TIMEOUT_MS });
    try {
      await client.connect();
      const v = await client.query<{ server_version: string }>('SHOW server_version');
      r.ok(`PostgreSQL ${v.rows[0]?.server_version} at ${redact(db.url)}`);
      const t = await client.query<{ n: string }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'mediaforge_migrations'`, [db.schema]);
      if (Number(t.rows[0]?.n) === 0) r.warn(`schema ${db.schema} has no migrations yet: run \`mediaforge migrate\` (api and worker also migrate at start)`);
      else {
        const m = await client.query<{ name: string }>(`SELECT name FROM "${db.schema}".mediaforge_migrations ORDER BY name DESC LIMIT 1`);
        r.ok(`schema ${db.schema} migrated to ${m.rows[0]?.name ?? '(none)'}`);
      }
    } catch (err) {
      r.bad(`PostgreSQL at ${redact(db.url)}: ${(err as Error).message}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  } else {
    r.ok(`database is SQLite (${d.database.path}): fine for \`mediaforge start\`; \`mediaforge api\`/\`worker\` need MEDIAFORGE_DATABASE_URL=postgres://…`);
  }

  if (d.queue.kind === 'bullmq') {
    const redis = new Redis(d.queue.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: TIMEOUT_MS, retryStrategy: () => null });
    redis.on('error', () => undefined);
    try {
      await withTimeout('Redis', redis.connect());
      const info = await withTimeout('Redis', redis.info('server'));
      const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
      const policy = /maxmemory_policy:(\S+)/.exec(await redis.info('memory'))?.[1];
      r.ok(`Redis ${version} at ${redact(d.queue.redisUrl)} (BullMQ queue ${d.queueName})`);
      if (policy && policy !== 'noeviction') r.bad(`Redis maxmemory-policy is ${policy}; BullMQ needs noeviction or jobs can silently disappear`);
    } catch (err) {
      r.bad(`Redis at ${redact(d.queue.redisUrl)}: ${(err as Error).message}`);
    } finally {
      redis.disconnect();
    }
  } else if (d.queue.kind === 'rabbitmq') {
    try {
      const conn = await withTimeout('RabbitMQ', amqp.connect(d.queue.amqpUrl));
      const product = String(conn.connection.serverProperties.product ?? 'RabbitMQ');
      r.ok(`${product} ${String(conn.connection.serverProperties.version ?? '')} at ${redact(d.queue.amqpUrl)}`);
      await conn.close();
    } catch (err) {
      r.bad(`RabbitMQ at ${redact(d.queue.amqpUrl)}: ${(err as Error).message}`);
    }
  } else {
    r.ok(`queue: db (rows in the database${d.database.kind === 'postgres' ? ', woken by LISTEN/NOTIFY' : ''})`);
  }

  const events = d.eventsBroker;
  if (events) r.ok(`events on the broker: ${events.kind === 'rabbitmq' ? `topic exchange ${events.exchange}` : `Redis stream ${events.stream} (MAXLEN ~ ${events.maxLen})`}, published by the workers`);
  else r.ok('events on the broker: off (MEDIAFORGE_EVENTS_BROKER=on publishes them with the rabbitmq or bullmq queue)');

  const { s3 } = openBlobStore(d);
  if (s3) {
    try {
      await withTimeout('S3', s3.check());
      r.ok(`S3 bucket ${s3.bucket} is reachable${d.storage.kind === 's3' && d.storage.endpoint ? ` at ${d.storage.endpoint}` : ''}`);
    } catch (err) {
      r.bad((err as Error).message);
    } finally {
      s3.destroy();
    }
  } else {
    r.ok(`storage: local folder ${d.storage.kind === 'fs' ? d.storage.root : ''} (every api and worker must see the same folder)`);
  }
}
