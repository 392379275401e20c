import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import amqp from 'amqplib';
import { BullmqJobQueue } from '../../src/adapters/bullmq/bullmq.job-queue.js';
import pg from 'pg';
import { RabbitmqJobQueue } from '../../src/adapters/rabbitmq/rabbitmq.job-queue.js';
import { PG_URL } from '../contracts/postgres.schema.js';
import { startCluster, type Cluster } from '../helpers/distributed-cluster.js';
import { media } from '../helpers/media.js';
import { collectEvents, TEST_KEY } from '../helpers/platform.js';
import { waitFor } from '../helpers/temp.js';

const REDIS_URL = process.env.MEDIAFORGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const AMQP_URL = process.env.MEDIAFORGE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Each backend, and how to remove what a run left on the shared broker (the schema is dropped by the cluster). */
const backends: Array<{ name: string; env: (id: string) => Record<string, string>; cleanup?: (id: string) => Promise<void> }> = [
  {
    name: 'BullMQ',
    env: (id) => ({ MEDIAFORGE_QUEUE: 'bullmq', REDIS_URL, MEDIAFORGE_REDIS_PREFIX: `mf-dist-${id}` }),
    cleanup: async (id) => {
      // Every route's BullMQ queue.
      const q = await BullmqJobQueue.connect({ redisUrl: REDIS_URL, queueName: `mf-dist-${id}`, prefix: `mf-dist-${id}` });
      await q.obliterate();
      await q.close();
    },
  },
  {
    name: 'RabbitMQ',
    env: () => ({ MEDIAFORGE_QUEUE: 'rabbitmq', AMQP_URL }),
    cleanup: async (id) => {
      const q = await RabbitmqJobQueue.connect({ url: AMQP_URL, queueName: `mf-dist-${id}` });
      await q.deleteAll([0, 200, 400, 800, 1600, 3200]);
      await q.close();
      const conn = await amqp.connect(AMQP_URL);
      const ch = await conn.createChannel();
      await ch.deleteExchange(`mf-dist-${id}.events`);
      await conn.close();
    },
  },
  // The queue in PostgreSQL itself, woken and carrying events by LISTEN/NOTIFY.
  { name: 'db queue', env: () => ({ MEDIAFORGE_QUEUE: 'db' }) },
];


/** Records which worker held which job, from the database (the source of truth), every 40 ms; returns stop. */
function watchLeaseOwners(db: pg.Client, schema: string, owners: Map<string, Set<string>>): () => void {
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    const r = await db.query<{ id: string; lease_owner: string }>(`SELECT id, lease_owner FROM "${schema}".jobs WHERE status = 'running' AND lease_owner IS NOT NULL`);
    for (const row of r.rows) owners.set(row.id, (owners.get(row.id) ?? new Set()).add(row.lease_owner));
  };
  const tick = () => {
    timer = setTimeout(() => void poll().catch(() => undefined).finally(() => timer && tick()), 40);
  };
  tick();
  return () => {
    clearTimeout(timer);
    timer = undefined;
  };
}

for (const backend of backends) {
  describe(`e2e distributed: 1 api + 3 workers, PostgreSQL + ${backend.name} + S3`, () => {
    let c: Cluster;
    let db: pg.Client;
    let s3: S3Client;
    const owners = new Map<string, Set<string>>();
    let stopWatching = () => {};

    const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const isJson = body !== undefined && !(body instanceof Uint8Array);
      const res = await fetch(`${c.api.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_KEY}`, ...(isJson ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : isJson ? JSON.stringify(body) : (body as unknown as BodyInit),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const upload = async (path: string, name: string) => {
      const res = await api('POST', `/v1/uploads?filename=${name}`, await readFile(path), { 'content-type': 'application/octet-stream' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };

    before(async () => {
      c = await startCluster(backend.env, 3);
      db = new pg.Client({ connectionString: PG_URL });
      await db.connect();
      s3 = new S3Client({ region: c.s3.region, endpoint: c.s3.endpoint, forcePathStyle: true, credentials: c.s3.credentials });
      stopWatching = watchLeaseOwners(db, c.schema, owners);
    });

    after(async () => {
      stopWatching();
      await db?.end();
      s3?.destroy();
      await c?.stop();
      if (c) await backend.cleanup?.(c.id);
    });

    it('runs 30 mixed jobs exactly once across the workers, survives a SIGKILLed worker, and streams worker progress over SSE', async () => {
      const clip = await upload(await media('clip20.mp4'), 'clip20.mp4');
      const intro = await upload(await media('black-intro.mp4'), 'intro.mp4');
      const long = await upload(await media('long120.mp4'), 'long.mp4');

      // The job the test kills a worker under: long enough to be caught running.
      const victim = await api('POST', '/v1/jobs', { input: { uploadId: long }, outputs: [{ type: 'frames', fps: 1, width: 160 }] });
      assert.equal(victim.status, 202, JSON.stringify(victim.body));
      const victimId = victim.body.id as string;
      const victimEvents = collectEvents(c.api.url, victimId);

      const ids = [victimId];
      for (let i = 0; i < 29; i++) {
        const outputs = i % 3 === 0 ? [{ type: 'thumbnail' }] : i % 3 === 1 ? [{ type: 'frames', count: 3, width: 96 }] : [{ type: 'frames', times: [0.5, 4], format: 'png', width: 64 }, { type: 'thumbnail' }];
        const res = await api('POST', '/v1/jobs', { input: { uploadId: i % 2 ? clip : intro }, outputs });
        assert.equal(res.status, 202, JSON.stringify(res.body));
        ids.push(res.body.id);
      }

      const firstOwner = await waitFor(async () => [...(owners.get(victimId) ?? [])][0], { timeoutMs: 60_000, what: 'the long job to start' });
      const killed = c.workers.find((w) => firstOwner.includes(`:worker:${w.pid}:`));
      assert.ok(killed, `no worker process matches lease owner ${firstOwner}`);
      // Mid-job: the worker has reported progress, and the job is still its own.
      await waitFor(
        async () => {
          const r = await db.query<{ status: string; progress: number; lease_owner: string | null }>(`SELECT status, progress, lease_owner FROM "${c.schema}".jobs WHERE id = $1`, [victimId]);
          const row = r.rows[0]!;
          assert.equal(row.status, 'running', 'the long job ended before the worker could be killed');
          return row.progress > 0 && row.lease_owner === firstOwner;
        },
        { timeoutMs: 60_000, intervalMs: 20, what: 'progress on the long job' },
      );
      killed.child.kill('SIGKILL');
      await killed.exited;

      const final = await waitFor(
        async () => {
          const jobs = await Promise.all(ids.map(async (id) => (await api('GET', `/v1/jobs/${id}`)).body));
          return jobs.every((j) => ['succeeded', 'failed', 'canceled'].includes(j.status)) ? jobs : null;
        },
        { timeoutMs: 240_000, intervalMs: 500, what: 'all 30 jobs to finish' },
      );
      const notOk = final.filter((j) => j.status !== 'succeeded');
      assert.deepEqual(notOk.map((j) => `${j.id} ${j.status} ${JSON.stringify(j.error)}`), [], 'every job succeeds');

      // The killed worker's job finished on another worker, in a later attempt.
      const victimOwners = [...(owners.get(victimId) ?? [])];
      assert.ok(victimOwners.length >= 2, `the victim ran on ${victimOwners.join(', ')}`);
      assert.ok(victimOwners.some((o) => !o.includes(`:worker:${killed.pid}:`)));
      assert.ok(final.find((j) => j.id === victimId).attempts >= 2);

      // Spread: every live worker, and the killed one, ran something.
      const seen = new Set([...owners.values()].flatMap((s) => [...s]).map((o) => /:worker:(\d+):/.exec(o)?.[1]));
      for (const w of c.workers) assert.ok(seen.has(String(w.pid)), `worker ${w.pid} ran no job (seen: ${[...seen].join(', ')})`);

      // No duplicate or stray outputs: what is stored under each job is exactly what it reports.
      for (const job of final) {
        const reported = job.outputs.flatMap((o: any) => o.files.map((f: any) => new URL(f.url).pathname.split('/').slice(4).join('/'))).sort();
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: c.s3.bucket, Prefix: `acc_admin/jobs/${job.id}/` }));
        const stored = (listed.Contents ?? []).map((o) => o.Key!).sort();
        assert.deepEqual(stored, reported, `outputs of ${job.id}`);
        assert.equal(new Set(reported).size, reported.length);
      }
      const frames = final.find((j) => j.id === victimId).outputs[0];
      assert.ok(frames.files.length >= 1);

      // SSE on the API process carried progress published by the worker processes.
      const events = await Promise.race([
        victimEvents,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the SSE stream did not end after the job finished')), 15_000)),
      ]);
      assert.ok(events.some((e) => e.event === 'progress' && e.data.progress > 0), `no progress events: ${events.map((e) => e.event).join(',')}`);
      assert.equal(events.at(-1)!.data.status, 'succeeded');
    });
  });
}

// Pools of workers per output type: one worker takes only hls, the other only frames and
// thumbnail. On BullMQ (one queue per route) only, to keep the suite short: the queue
// contract tests check route filtering on every adapter, the db queue on PostgreSQL too.
for (const backend of backends.filter((b) => b.name === 'BullMQ')) {
  describe(`e2e distributed: worker pools by output type, PostgreSQL + ${backend.name}`, () => {
    let c: Cluster;
    let db: pg.Client;
    const owners = new Map<string, Set<string>>();
    let stopWatching = () => {};
    const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const isJson = body !== undefined && !(body instanceof Uint8Array);
      const res = await fetch(`${c.api.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_KEY}`, ...(isJson ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : isJson ? JSON.stringify(body) : (body as unknown as BodyInit),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const submit = async (uploadId: string, outputs: unknown[]) => {
      const res = await api('POST', '/v1/jobs', { input: { uploadId }, outputs });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const succeeded = (id: string) =>
      waitFor(async () => {
        const job = (await api('GET', `/v1/jobs/${id}`)).body;
        assert.notEqual(job.status, 'failed', JSON.stringify(job.error));
        return job.status === 'succeeded';
      }, { timeoutMs: 90_000, what: `job ${id} to succeed` });
    const ranOn = (id: string) => [...(owners.get(id) ?? [])].map((o) => /:worker:(\d+):/.exec(o)?.[1]);

    before(async () => {
      c = await startCluster(backend.env, 0);
      db = new pg.Client({ connectionString: PG_URL });
      await db.connect();
      stopWatching = watchLeaseOwners(db, c.schema, owners);
    });

    after(async () => {
      stopWatching();
      await db?.end();
      await c?.stop();
      if (c) await backend.cleanup?.(c.id);
    });

    it('runs hls jobs only on the hls worker and frames jobs only on the frames,thumbnail worker', async () => {
      const res = await api('POST', '/v1/uploads?filename=clip.mp4', await readFile(await media('clip20.mp4')), { 'content-type': 'application/octet-stream' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const clip = res.body.id as string;
      const small = await c.startWorker(['--types', 'frames,thumbnail']);

      // The hls job is queued first; the frames worker, idle, still leaves it alone.
      const hls = await submit(clip, [{ type: 'thumbnail' }, { type: 'hls', segmentSeconds: 4, storyboard: false }]);
      const frames1 = await submit(clip, [{ type: 'frames', count: 3, width: 96 }, { type: 'thumbnail' }]);
      await succeeded(frames1);
      const frames2 = await submit(clip, [{ type: 'frames', times: [1, 2], width: 64 }]);
      await succeeded(frames2);
      const waiting = (await api('GET', `/v1/jobs/${hls}`)).body;
      assert.equal(waiting.status, 'queued', 'the frames,thumbnail worker took an hls job');
      assert.equal(waiting.attempts, 0);

      const big = await c.startWorker(['--types', 'hls']);
      await succeeded(hls);
      const frames3 = await submit(clip, [{ type: 'thumbnail' }]);
      await succeeded(frames3);

      assert.deepEqual(ranOn(hls), [String(big.pid)], `hls job ran on ${ranOn(hls).join(',')}`);
      for (const id of [frames1, frames2, frames3]) {
        for (const pid of ranOn(id)) assert.equal(pid, String(small.pid), `frames job ${id} ran on ${pid}`);
      }
      assert.ok(ranOn(frames1).length > 0, 'the frames job was seen running');
    });
  });
}
