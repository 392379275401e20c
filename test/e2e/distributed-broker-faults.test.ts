import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chown, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startCluster, type Cluster } from '../helpers/distributed-cluster.js';
import { media } from '../helpers/media.js';
import { TEST_KEY } from '../helpers/platform.js';
import { tempDir, waitFor } from '../helpers/temp.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** A private redis-server (AOF on, as production should run it) that the test may stop and restart. */
async function privateRedis() {
  const port = await freePort();
  const dir = await tempDir('mf-redis-');
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    await waitFor(async () => /Ready to accept connections/.test(out), { timeoutMs: 15_000, what: `redis-server on ${port}` });
  };
  const stop = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM'); // redis-server flushes its AOF and exits
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop, cleanup: async () => (await stop(), await dir.cleanup()) };
}


/**
 * A private RabbitMQ node (own node name, port, data folder) the test may stop and restart.
 * As root, the node runs as the `rabbitmq` user directly (the packaged wrapper would `su`
 * into a new session that the test could not signal).
 */
async function privateRabbitmq(): Promise<Broker> {
  const port = await freePort();
  const distPort = await freePort();
  const dir = await tempDir('mf-rmq-');
  const name = `mftest${port}@localhost`;
  await writeFile(`${dir.dir}/enabled_plugins`, '[].\n');
  await writeFile(`${dir.dir}/rabbitmq.conf`, `listeners.tcp.default = 127.0.0.1:${port}\n`);
  let user: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    user = { uid: Number(execFileSync('id', ['-u', 'rabbitmq']).toString().trim()), gid: Number(execFileSync('id', ['-g', 'rabbitmq']).toString().trim()) };
    for (const f of ['', '/enabled_plugins', '/rabbitmq.conf']) await chown(`${dir.dir}${f}`, user.uid, user.gid);
  }
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn('/usr/lib/rabbitmq/bin/rabbitmq-server', [], {
      cwd: dir.dir,
      detached: true, // own process group: the wrapper script and the Erlang VM stop together
      ...(user ?? {}),
      env: {
        PATH: process.env.PATH,
        HOME: dir.dir,
        RABBITMQ_NODENAME: name,
        RABBITMQ_NODE_PORT: String(port),
        RABBITMQ_DIST_PORT: String(distPort),
        RABBITMQ_CONFIG_FILE: `${dir.dir}/rabbitmq.conf`,
        RABBITMQ_MNESIA_BASE: `${dir.dir}/mnesia`,
        RABBITMQ_LOG_BASE: `${dir.dir}/log`,
        RABBITMQ_ENABLED_PLUGINS_FILE: `${dir.dir}/enabled_plugins`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    await waitFor(async () => /Starting broker\.\.\. completed/.test(out), { timeoutMs: 60_000, what: `rabbitmq-server ${name}` });
  };
  const stop = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    process.kill(-p.pid!, 'SIGTERM'); // the Erlang VM shuts the node down cleanly on SIGTERM
    await exited;
    await waitFor(async () => !(await portOpen(port)), { timeoutMs: 30_000, what: 'rabbitmq-server to stop' });
  };
  await start();
  return { url: `amqp://guest:guest@127.0.0.1:${port}`, start, stop, cleanup: async () => (await stop(), await dir.cleanup()) };
}

interface Broker {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

const scenarios: Array<{ name: string; broker: () => Promise<Broker>; env: (url: string, id: string) => Record<string, string> }> = [
  { name: 'Redis restarted mid-run (BullMQ)', broker: privateRedis, env: (url, id) => ({ MEDIAFORGE_QUEUE: 'bullmq', REDIS_URL: url, MEDIAFORGE_REDIS_PREFIX: `mf-fault-${id}` }) },
  { name: 'RabbitMQ restarted mid-run', broker: privateRabbitmq, env: (url) => ({ MEDIAFORGE_QUEUE: 'rabbitmq', AMQP_URL: url }) },
];

for (const scenario of scenarios)
describe(`e2e distributed broker faults: ${scenario.name}`, () => {
  let redis: Broker;
  let c: Cluster;
  let s3: S3Client;
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const isJson = body !== undefined && !(body instanceof Uint8Array);
    const res = await fetch(`${c.api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_KEY}`, ...(isJson ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : isJson ? JSON.stringify(body) : (body as unknown as BodyInit),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  before(async () => {
    redis = await scenario.broker();
    c = await startCluster((id) => scenario.env(redis.url, id), 2);
    s3 = new S3Client({ region: c.s3.region, endpoint: c.s3.endpoint, forcePathStyle: true, credentials: c.s3.credentials });
  });
  after(async () => {
    s3?.destroy();
    await c?.stop();
    await redis?.cleanup();
  });

  it('every job submitted before the restart still finishes, once', async () => {
    const up = await api('POST', '/v1/uploads?filename=clip.mp4', await readFile(await media('clip20.mp4')), { 'content-type': 'application/octet-stream' });
    assert.equal(up.status, 201);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [i % 2 ? { type: 'thumbnail' } : { type: 'frames', count: 2, width: 64 }] });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      ids.push(res.body.id);
    }
    const states = async () => Promise.all(ids.map(async (id) => (await api('GET', `/v1/jobs/${id}`)).body));
    await waitFor(async () => (await states()).some((j) => j.status === 'succeeded'), { timeoutMs: 60_000, what: 'a first job to finish' });
    const before = (await states()).filter((j) => j.status === 'succeeded').length;
    assert.ok(before < ids.length, 'the restart must happen mid-run');

    await redis.stop();
    await new Promise((r) => setTimeout(r, 2000));
    await redis.start();
    // (Every job above was confirmed by the broker before POST /v1/jobs answered 202.)

    const final = await waitFor(
      async () => {
        const jobs = await states();
        return jobs.every((j) => ['succeeded', 'failed', 'canceled'].includes(j.status)) ? jobs : null;
      },
      { timeoutMs: 180_000, intervalMs: 500, what: 'all jobs to finish after the broker restart' },
    );
    assert.deepEqual(final.filter((j) => j.status !== 'succeeded').map((j) => `${j.id} ${j.status} ${JSON.stringify(j.error)}`), []);
    for (const job of final) {
      const reported = job.outputs.flatMap((o: any) => o.files.map((f: any) => new URL(f.url).pathname.split('/').slice(4).join('/'))).sort();
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: c.s3.bucket, Prefix: `acc_admin/jobs/${job.id}/` }));
      assert.deepEqual((listed.Contents ?? []).map((o) => o.Key!).sort(), reported, `outputs of ${job.id}`);
    }
    // The API still takes work after the restart.
    const after = await api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail' }] });
    assert.equal(after.status, 202, JSON.stringify(after.body));
    await waitFor(async () => (await api('GET', `/v1/jobs/${after.body.id}`)).body.status === 'succeeded', { timeoutMs: 60_000, what: 'a job submitted after the restart' });
  });
});
