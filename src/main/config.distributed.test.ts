import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadDistributedConfig } from './config.js';

const refused = (env: Record<string, string>, pattern: RegExp) =>
  assert.throws(() => loadDistributedConfig(env), (err: unknown) => err instanceof ConfigError && pattern.test(err.message) && !err.message.includes('\n'));

describe('loadDistributedConfig', () => {
  it('defaults to SQLite, the db queue and the local folder', () => {
    assert.deepEqual(loadDistributedConfig({ MEDIAFORGE_DATA_DIR: '/srv/mf' }), {
      database: { kind: 'sqlite', path: resolve('/srv/mf/mediaforge.db') },
      queue: { kind: 'db' },
      queueName: 'mediaforge-jobs',
      storage: { kind: 'fs', root: resolve('/srv/mf/storage') },
      directUploads: { ttlSeconds: 900, multipartThresholdBytes: 100 * 1024 ** 2, partSizeBytes: 8 * 1024 ** 2 },
      workerTypes: null,
      redis: null,
      eventsBroker: null,
    });
  });

  it('publishes events on the broker only when told, to the exchange or stream of the queue it uses', () => {
    const rabbit = { MEDIAFORGE_QUEUE: 'rabbitmq', AMQP_URL: 'amqp://g:g@mq:5672' };
    const bull = { MEDIAFORGE_QUEUE: 'bullmq', REDIS_URL: 'redis://r:6379' };
    assert.equal(loadDistributedConfig(rabbit).eventsBroker, null, 'off by default');
    assert.equal(loadDistributedConfig({ ...bull, MEDIAFORGE_EVENTS_BROKER: 'off' }).eventsBroker, null);
    assert.deepEqual(loadDistributedConfig({ ...rabbit, MEDIAFORGE_EVENTS_BROKER: 'on' }).eventsBroker, { kind: 'rabbitmq', amqpUrl: 'amqp://g:g@mq:5672', exchange: 'mediaforge.events' });
    assert.deepEqual(loadDistributedConfig({ ...bull, MEDIAFORGE_EVENTS_BROKER: 'on' }).eventsBroker, { kind: 'redis', redisUrl: 'redis://r:6379', stream: 'mediaforge:events', maxLen: 100_000 });
    assert.deepEqual(
      loadDistributedConfig({ ...bull, MEDIAFORGE_REDIS_PREFIX: 'mf-a', MEDIAFORGE_EVENTS_BROKER: 'true', MEDIAFORGE_EVENTS_STREAM_MAXLEN: '5000' }).eventsBroker,
      { kind: 'redis', redisUrl: 'redis://r:6379', stream: 'mf-a:events', maxLen: 5000 },
      'the stream follows the Redis prefix',
    );
    assert.deepEqual(
      loadDistributedConfig({ ...bull, MEDIAFORGE_EVENTS_BROKER: 'on', MEDIAFORGE_EVENTS_STREAM: 'lms:mf:events' }).eventsBroker,
      { kind: 'redis', redisUrl: 'redis://r:6379', stream: 'lms:mf:events', maxLen: 100_000 },
    );
    assert.deepEqual(loadDistributedConfig({ ...rabbit, MEDIAFORGE_EVENTS_BROKER: 'on', MEDIAFORGE_EVENTS_EXCHANGE: 'lms.media' }).eventsBroker, { kind: 'rabbitmq', amqpUrl: 'amqp://g:g@mq:5672', exchange: 'lms.media' });
    refused({ MEDIAFORGE_EVENTS_BROKER: 'on' }, /^invalid configuration: MEDIAFORGE_EVENTS_BROKER=on needs MEDIAFORGE_QUEUE=rabbitmq or bullmq; the db queue has no broker/);
    refused({ ...rabbit, MEDIAFORGE_EVENTS_BROKER: 'sometimes' }, /MEDIAFORGE_EVENTS_BROKER="sometimes".*on or off/);
    refused({ ...bull, MEDIAFORGE_EVENTS_BROKER: 'on', MEDIAFORGE_EVENTS_STREAM_MAXLEN: '10' }, /MEDIAFORGE_EVENTS_STREAM_MAXLEN="10".*from 100/);
    refused({ ...bull, MEDIAFORGE_EVENTS_STREAM: 'has space' }, /MEDIAFORGE_EVENTS_STREAM="has space"/);
    refused({ ...rabbit, MEDIAFORGE_QUEUE_NAME: 'mediaforge', MEDIAFORGE_EVENTS_BROKER: 'on' }, /MEDIAFORGE_EVENTS_EXCHANGE=mediaforge.events is the live-event exchange of queue mediaforge/);
  });

  it('reads the worker types as routes and refuses an unknown one, naming it and the allowed ones', () => {
    assert.deepEqual(loadDistributedConfig({ MEDIAFORGE_WORKER_TYPES: 'frames, hls' }).workerTypes, ['hls', 'frames']);
    assert.equal(loadDistributedConfig({ MEDIAFORGE_WORKER_TYPES: '' }).workerTypes, null);
    refused(
      { MEDIAFORGE_WORKER_TYPES: 'hls,h264' },
      /^invalid configuration: MEDIAFORGE_WORKER_TYPES="hls,h264": unknown output type "h264"; allowed: hls, clips, mp4, gif, webp, audio, frames, thumbnail, image$/,
    );
  });

  it('reads PostgreSQL, BullMQ, RabbitMQ and S3 settings', () => {
    const c = loadDistributedConfig({
      MEDIAFORGE_DATABASE_URL: 'postgres://u:p@db:5432/mf',
      MEDIAFORGE_DATABASE_SCHEMA: 'tenant_a',
      MEDIAFORGE_DATABASE_POOL_SIZE: '4',
      MEDIAFORGE_QUEUE: 'bullmq',
      REDIS_URL: 'redis://redis:6379',
      MEDIAFORGE_REDIS_PREFIX: 'mf-a',
      MEDIAFORGE_STORAGE: 's3',
      MEDIAFORGE_S3_BUCKET: 'media-a',
      MEDIAFORGE_S3_REGION: 'auto',
      MEDIAFORGE_S3_ENDPOINT: 'https://acct.r2.cloudflarestorage.com',
      MEDIAFORGE_S3_FORCE_PATH_STYLE: 'true',
      MEDIAFORGE_S3_PART_SIZE: '16MiB',
      MEDIAFORGE_PRESIGN_TTL_SECONDS: '60',
    });
    assert.deepEqual(c.database, { kind: 'postgres', url: 'postgres://u:p@db:5432/mf', schema: 'tenant_a', poolSize: 4 });
    assert.deepEqual(c.queue, { kind: 'bullmq', redisUrl: 'redis://redis:6379', prefix: 'mf-a' });
    assert.deepEqual(c.redis, { url: 'redis://redis:6379', prefix: 'mf-a' });
    // Redis for the shared rate-limit counters needs no Redis queue.
    assert.deepEqual(loadDistributedConfig({ REDIS_URL: 'redis://r:6379' }).redis, { url: 'redis://r:6379', prefix: 'mediaforge' });
    assert.deepEqual(c.storage, {
      kind: 's3', bucket: 'media-a', region: 'auto', endpoint: 'https://acct.r2.cloudflarestorage.com', forcePathStyle: true, partSizeBytes: 16 * 1024 ** 2,
      publicEndpoint: null, downloads: 'redirect', downloadTtlSeconds: 3600,
    });
    const proxied = loadDistributedConfig({
      MEDIAFORGE_STORAGE: 's3', MEDIAFORGE_S3_BUCKET: 'media', MEDIAFORGE_S3_DOWNLOADS: 'proxy', MEDIAFORGE_S3_DOWNLOAD_TTL_SECONDS: '600', MEDIAFORGE_S3_PUBLIC_ENDPOINT: 'http://localhost:9000',
    }).storage;
    assert.ok(proxied.kind === 's3');
    assert.deepEqual([proxied.downloads, proxied.downloadTtlSeconds, proxied.publicEndpoint], ['proxy', 600, 'http://localhost:9000']);
    assert.equal(c.directUploads.ttlSeconds, 60);
    assert.equal(c.directUploads.partSizeBytes, 16 * 1024 ** 2);
    assert.deepEqual(loadDistributedConfig({ MEDIAFORGE_QUEUE: 'rabbitmq', AMQP_URL: 'amqp://g:g@mq:5672' }).queue, { kind: 'rabbitmq', amqpUrl: 'amqp://g:g@mq:5672' });
  });

  it('refuses bad values and incomplete combinations with one line naming the key', () => {
    refused({ MEDIAFORGE_QUEUE: 'kafka' }, /MEDIAFORGE_QUEUE="kafka".*db, bullmq or rabbitmq/);
    refused({ MEDIAFORGE_QUEUE: 'bullmq' }, /MEDIAFORGE_QUEUE=bullmq needs REDIS_URL/);
    refused({ MEDIAFORGE_QUEUE: 'rabbitmq' }, /MEDIAFORGE_QUEUE=rabbitmq needs AMQP_URL/);
    refused({ REDIS_URL: 'localhost:6379' }, /REDIS_URL/);
    refused({ MEDIAFORGE_DATABASE_URL: 'mysql://db/x' }, /MEDIAFORGE_DATABASE_URL/);
    refused({ MEDIAFORGE_DATABASE_URL: 'postgres://db/x', MEDIAFORGE_DATABASE_SCHEMA: 'Bad-Name' }, /MEDIAFORGE_DATABASE_SCHEMA/);
    refused({ MEDIAFORGE_STORAGE: 's3' }, /MEDIAFORGE_STORAGE=s3 needs MEDIAFORGE_S3_BUCKET/);
    refused({ MEDIAFORGE_STORAGE: 's3', MEDIAFORGE_S3_BUCKET: 'Bad_Bucket' }, /MEDIAFORGE_S3_BUCKET/);
    refused({ MEDIAFORGE_S3_PART_SIZE: '1MiB' }, /minimum part size of 5MiB/);
    refused({ MEDIAFORGE_STORAGE: 's3', MEDIAFORGE_S3_BUCKET: 'media', MEDIAFORGE_S3_FORCE_PATH_STYLE: 'maybe' }, /MEDIAFORGE_S3_FORCE_PATH_STYLE.*true or false/);
    refused({ MEDIAFORGE_PRESIGN_TTL_SECONDS: '604800' }, /MEDIAFORGE_PRESIGN_TTL_SECONDS/);
    const s3 = { MEDIAFORGE_STORAGE: 's3', MEDIAFORGE_S3_BUCKET: 'media' };
    refused({ ...s3, MEDIAFORGE_S3_DOWNLOADS: 'cdn' }, /MEDIAFORGE_S3_DOWNLOADS="cdn".*redirect or proxy/);
    refused({ ...s3, MEDIAFORGE_S3_DOWNLOAD_TTL_SECONDS: '604800' }, /MEDIAFORGE_S3_DOWNLOAD_TTL_SECONDS/);
    refused({ ...s3, MEDIAFORGE_S3_PUBLIC_ENDPOINT: 'localhost:9000' }, /MEDIAFORGE_S3_PUBLIC_ENDPOINT/);
  });
});
