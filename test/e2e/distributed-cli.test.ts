import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { dropSchema, freshSchema, PG_URL } from '../contracts/postgres.schema.js';
import { runCli } from '../helpers/process.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { tempDir } from '../helpers/temp.js';

describe('e2e: distributed CLI commands (migrate, doctor, refusals)', () => {
  let t: { dir: string; cleanup: () => Promise<void> };
  let s3: TestS3Server;
  const schema = freshSchema('mf_cli');
  before(async () => {
    t = await tempDir('mf-cli-');
    s3 = await startS3Server();
  });
  after(async () => {
    await s3.stop();
    await dropSchema(schema);
    await t.cleanup();
  });
  const base = () => ({ MEDIAFORGE_DATA_DIR: t.dir, AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1' });

  it('migrate applies every migration once, then has nothing to do', async () => {
    const env = { ...base(), MEDIAFORGE_DATABASE_URL: PG_URL, MEDIAFORGE_DATABASE_SCHEMA: schema };
    const first = await runCli(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /applied \d+ migration\(s\): 0001_initial, .*0002_direct_uploads/);
    const second = await runCli(['migrate'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /up to date/);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const cols = await client.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'uploads'`, [schema]);
      assert.ok(cols.rows.some((r) => r.column_name === 'status'));
    } finally {
      await client.end();
    }
  });

  it('api and worker refuse SQLite, and bad settings, with one line and exit code 2', async () => {
    const api = await runCli(['api'], base());
    assert.equal(api.code, 2);
    assert.match(api.stderr, /need a shared database: set MEDIAFORGE_DATABASE_URL=postgres:\/\//);
    const worker = await runCli(['worker', '--concurrency', '0'], base());
    assert.equal(worker.code, 2);
    assert.match(worker.stderr, /--concurrency "0" is not allowed/);
    const queue = await runCli(['worker'], { ...base(), MEDIAFORGE_QUEUE: 'bullmq' });
    assert.equal(queue.code, 2);
    assert.match(queue.stderr, /MEDIAFORGE_QUEUE=bullmq needs REDIS_URL/);
    const types = await runCli(['worker', '--types', 'hls,mp3'], base());
    assert.equal(types.code, 2);
    assert.equal(types.stderr.trim(), 'mediaforge: --types "hls,mp3": unknown output type "mp3"; allowed: hls, clips, mp4, gif, webp, audio, frames, thumbnail, image');
    const envTypes = await runCli(['worker'], { ...base(), MEDIAFORGE_WORKER_TYPES: 'frames,video' });
    assert.equal(envTypes.code, 2);
    assert.match(envTypes.stderr, /MEDIAFORGE_WORKER_TYPES="frames,video": unknown output type "video"; allowed: hls, clips/);
  });

  it('doctor connects to every configured backend and names what is wrong', async () => {
    const good = await runCli(['doctor'], {
      ...base(),
      ...s3.env,
      MEDIAFORGE_DATABASE_URL: PG_URL,
      MEDIAFORGE_DATABASE_SCHEMA: schema,
      MEDIAFORGE_QUEUE: 'bullmq',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    assert.match(good.stdout, /ok +PostgreSQL \d.* at postgres:\/\/postgres@127\.0\.0\.1:5432/);
    assert.match(good.stdout, /ok +schema mf_cli_\w+ migrated to 0\d{3}_\w+/);
    assert.equal(good.code, 0, good.stdout);
    assert.match(good.stdout, /ok +Redis \S+ at redis:\/\/127\.0\.0\.1:6379/);
    assert.match(good.stdout, /ok +S3 bucket mediaforge-test is reachable/);

    const bad = await runCli(['doctor'], {
      ...base(),
      ...s3.env,
      MEDIAFORGE_S3_BUCKET: 'no-such-bucket',
      MEDIAFORGE_DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/postgres',
      MEDIAFORGE_QUEUE: 'rabbitmq',
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:1',
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /FAIL +PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/postgres: /);
    assert.doesNotMatch(bad.stdout, /secret/);
    assert.match(bad.stdout, /FAIL +RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1: /);
    assert.match(bad.stdout, /FAIL +S3 bucket no-such-bucket: the bucket does not exist/);
  });
});
