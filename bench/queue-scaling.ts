/**
 * Queue benchmark, part 2: throughput of short REAL jobs with 1 vs 2 worker processes, in
 * the distributed topology (one `mediaforge api`, N `mediaforge worker` processes,
 * PostgreSQL in a fresh schema, the chosen queue under a unique name, a shared local
 * storage folder), beside the same ffmpeg work run bare in 1 and 2 parallel lanes.
 *
 *   npm run build && npx tsx bench/queue-scaling.ts
 *   npx tsx bench/queue-scaling.ts --jobs 24 --seconds 6 --queue bullmq --rounds 2
 *
 * A job is one `frames` output (fps 1, accurate mode → ZIP) of a short generated
 * 640×360 clip; the baseline is `ffmpeg -i clip -vf fps=1 out%06d.jpg`, the work at the
 * heart of that job without queue, database, probe, ZIP or HTTP. Each worker process runs
 * one job at a time (MEDIAFORGE_WORKER_CONCURRENCY=1), so N processes = N jobs at once.
 *
 * Printed: jobs/s for each contender and lane count, ours ÷ baseline per lane count, and
 * the 2-process ÷ 1-process speed-up for both (on a 2-core machine the bare ffmpeg's
 * speed-up is the ceiling). CPU seconds per worker process show that both took work.
 *
 * Options (argv or env BENCH_*): --jobs (per measurement, default 20), --seconds (clip
 * length, default 6), --queue (db | bullmq | rabbitmq, default bullmq), --rounds
 * (default 2; medians; order alternates). Services: MEDIAFORGE_TEST_PG_URL,
 * MEDIAFORGE_TEST_REDIS_URL, MEDIAFORGE_TEST_AMQP_URL (defaults: the local ones).
 */
import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { Api, cpuTimes, FFMPEG, median, onCleanup, Options, run, runMain, startRole, sleep, table, tempDir } from './lib.js';

const opts = new Options();
const PG_URL = process.env.MEDIAFORGE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.MEDIAFORGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const AMQP_URL = process.env.MEDIAFORGE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

interface Proc {
  child: ChildProcess;
  log(): string;
}


async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  try {
    process.kill(-p.child.pid!, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-p.child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 8000);
  await exited;
  clearTimeout(timer);
}

function queueEnv(kind: string, id: string): Record<string, string> {
  if (kind === 'bullmq') return { MEDIAFORGE_QUEUE: 'bullmq', REDIS_URL, MEDIAFORGE_REDIS_PREFIX: `mfbench-${id}` };
  if (kind === 'rabbitmq') return { MEDIAFORGE_QUEUE: 'rabbitmq', AMQP_URL };
  if (kind === 'db') return { MEDIAFORGE_QUEUE: 'db' };
  throw new Error(`--queue must be db, bullmq or rabbitmq (got ${JSON.stringify(kind)})`);
}

async function dropSchema(schema: string) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
}

interface Measured {
  jobsPerSecond: number;
  /** CPU seconds each worker process (and its ffmpeg children) used during the batch. */
  workerCpu: number[];
}

/** One cluster with `workers` worker processes; `jobs` frames jobs submitted at once. */
async function measureCluster(queue: string, workers: number, clip: string, jobs: number): Promise<Measured> {
  const id = randomBytes(4).toString('hex');
  const schema = `mfbench_${id}`;
  const data = await tempDir('scaling');
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MEDIAFORGE_') && k !== 'PORT' && k !== 'HOST') env[k] = v;
  const apiKey = `bench_${randomBytes(16).toString('hex')}`;
  Object.assign(env, {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
    MEDIAFORGE_DATA_DIR: data,
    MEDIAFORGE_API_KEY: apiKey,
    MEDIAFORGE_SIGNING_SECRET: randomBytes(24).toString('hex'),
    MEDIAFORGE_DATABASE_URL: PG_URL,
    MEDIAFORGE_DATABASE_SCHEMA: schema,
    MEDIAFORGE_DATABASE_POOL_SIZE: '4',
    MEDIAFORGE_QUEUE_NAME: `mfbench-${id}`,
    MEDIAFORGE_WORKER_CONCURRENCY: '1',
    MEDIAFORGE_STORAGE: 'fs',
    // It polls the job list every 100 ms: more than the default rate limit allows.
    MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '0',
    ...queueEnv(queue, id),
  });
  const procs: Proc[] = [];
  const cleanup = async () => {
    await Promise.all(procs.map(stopProc));
    await dropSchema(schema).catch(() => undefined);
  };
  try {
    const apiProc = await startRole('api', env, /mediaforge api is running on (http:\/\/\S+)/);
    procs.push(apiProc);
    const url = apiProc.match[1]!;
    const ws = await Promise.all(Array.from({ length: workers }, () => startRole('worker', env, /mediaforge worker \S+ is running/)));
    procs.push(...ws);
    const api = new Api({ url, apiKey });
    const upload = await api.uploadRaw(clip, 'clip.mp4');
    const spec = { input: { uploadId: upload.id }, outputs: [{ type: 'frames', fps: 1 }] };
    // One list request per 100 ms (not one GET per job) so that watching costs the API
    // process, which shares the machine's cores with the workers, next to nothing.
    // Polls the list until every job has ended and returns the last `finishedAt` (the
    // server's clock: the same machine's). The batch's time ends there, not at the poll that
    // saw it: the poll's period is this script's, not the platform's, so it is not counted
    // (and a slow poll keeps the script's own load off the two cores being measured).
    const waitAll = async (ids: string[]): Promise<number> => {
      const pending = new Set(ids);
      let last = 0;
      while (pending.size) {
        await sleep(250);
        const page = await api.json<{ jobs: Array<{ id: string; status: string; finishedAt: string | null; error?: unknown }> }>('GET', '/v1/jobs?limit=100');
        for (const job of page.jobs) {
          if (!pending.has(job.id)) continue;
          if (job.status === 'succeeded') {
            pending.delete(job.id);
            last = Math.max(last, Date.parse(job.finishedAt!));
          } else if (job.status === 'failed' || job.status === 'canceled') throw new Error(`job ${job.id} ${job.status}: ${JSON.stringify(job.error)}`);
        }
      }
      return last;
    };
    const warm = await Promise.all(Array.from({ length: workers }, () => api.json('POST', '/v1/jobs', spec)));
    await waitAll(warm.map((j: { id: string }) => j.id));

    const cpu0 = await Promise.all(ws.map((w) => cpuTimes(w.child.pid!)));
    const t0 = Date.now();
    const created = await Promise.all(Array.from({ length: jobs }, () => api.json('POST', '/v1/jobs', spec)));
    const seconds = ((await waitAll(created.map((j: { id: string }) => j.id))) - t0) / 1000;
    const cpu1 = await Promise.all(ws.map((w) => cpuTimes(w.child.pid!)));
    return {
      jobsPerSecond: jobs / seconds,
      workerCpu: cpu1.map((c, i) => c.self + c.children - (cpu0[i].self + cpu0[i].children)),
    };
  } finally {
    await cleanup();
  }
}

/** The same ffmpeg work, bare: `jobs` runs of the fps=1 extraction in `lanes` parallel lanes. */
async function measureBare(lanes: number, clip: string, jobs: number, work: string): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (;;) {
        const n = next++;
        if (n >= jobs) return;
        const out = join(work, `lane${lane}-${n}`);
        await mkdir(out, { recursive: true });
        await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-i', clip, '-vf', 'fps=1', join(out, 'out%06d.jpg')]);
        await rm(out, { recursive: true, force: true });
      }
    }),
  );
  return jobs / ((performance.now() - t0) / 1000);
}

runMain(async () => {
  if (opts.bool('help', false)) {
    console.log('npx tsx bench/queue-scaling.ts [--jobs 20] [--seconds 6] [--queue bullmq|rabbitmq|db] [--rounds 2]');
    return;
  }
  const jobs = opts.number('jobs', 20, 2);
  // The watcher reads the newest 100 jobs in one request.
  if (jobs > 96) throw new Error('--jobs must be at most 96');
  const seconds = opts.number('seconds', 6, 1);
  const rounds = opts.number('rounds', 2, 1);
  const queue = opts.raw('queue') ?? 'bullmq';
  queueEnv(queue, 'check');
  const work = await tempDir('scaling-src');
  const clip = join(work, 'clip.mp4');
  // prettier-ignore
  await run(FFMPEG, [
    '-hide_banner', '-loglevel', 'error',
    '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=30:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '60', '-c:a', 'aac', '-shortest', clip,
  ]);
  onCleanup(() => undefined);

  console.log(`worker scaling: ${jobs} frames jobs (fps 1) of a ${seconds} s 640×360 clip, queue ${queue}, PostgreSQL, local storage; ${rounds} rounds (medians)\n`);
  const ours: Record<1 | 2, number[]> = { 1: [], 2: [] };
  const bare: Record<1 | 2, number[]> = { 1: [], 2: [] };
  const cpuSplit: number[][] = [];
  for (let r = 0; r < rounds; r++) {
    for (const n of (r % 2 === 0 ? [1, 2] : [2, 1]) as Array<1 | 2>) {
      const order = r % 2 === 0 ? ['bare', 'ours'] : ['ours', 'bare'];
      for (const who of order) {
        if (who === 'bare') bare[n].push(await measureBare(n, clip, jobs, work));
        else {
          const m = await measureCluster(queue, n, clip, jobs);
          ours[n].push(m.jobsPerSecond);
          if (n === 2) cpuSplit.push(m.workerCpu);
        }
        console.error(`round ${r + 1}: ${who} with ${n} lane(s) done`);
      }
    }
  }
  const f = (x: number) => x.toFixed(2);
  const o1 = median(ours[1]);
  const o2 = median(ours[2]);
  const b1 = median(bare[1]);
  const b2 = median(bare[2]);
  console.log(
    table(
      [
        ['processes', 'mediaforge jobs/s', 'bare ffmpeg runs/s', 'ours ÷ bare'],
        ['1 worker / 1 lane', f(o1), f(b1), f(o1 / b1)],
        ['2 workers / 2 lanes', f(o2), f(b2), f(o2 / b2)],
        ['speed-up 2 ÷ 1', f(o2 / o1), f(b2 / b1), f(o2 / o1 / (b2 / b1))],
      ],
      ['l', 'r', 'r', 'r'],
    ),
  );
  const last = cpuSplit.at(-1);
  if (last) console.log(`\nCPU seconds per worker process in the last 2-worker batch (incl. ffmpeg): ${last.map((s) => s.toFixed(1)).join(' / ')}`);
});
