import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { CLI, ROOT, TEST_RATE_LIMIT } from './process.js';
import { startS3Server, type TestS3Server } from './s3-server.js';
import { tempDir } from './temp.js';
import { TEST_KEY } from './platform.js';
import { dropSchema, freshSchema, PG_URL } from '../contracts/postgres.schema.js';

export interface ClusterProcess {
  role: 'api' | 'worker';
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
}

export interface Cluster {
  api: ClusterProcess & { url: string };
  workers: ClusterProcess[];
  s3: TestS3Server;
  schema: string;
  /** Unique per cluster; names its queue and key prefix. */
  id: string;
  env: Record<string, string>;
  /** Starts one more worker; `args` are extra CLI flags (e.g. ['--types', 'hls']). */
  startWorker(args?: string[]): Promise<ClusterProcess>;
  stop(): Promise<void>;
}

export function spawnRole(role: 'api' | 'worker', args: string[], env: Record<string, string>, ready: RegExp, timeoutMs = 60_000) {
  const child = spawn(process.execPath, [...CLI, role, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start:\n${out}`)), timeoutMs);
    const check = () => {
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stderr!.on('data', check);
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited with ${code}:\n${out}`));
    });
  });
  return { proc: { role, child, pid: child.pid!, output: () => out, exited } as ClusterProcess, started };
}

/**
 * The docker-compose topology as plain processes: one `mediaforge api`, N `mediaforge
 * worker`, PostgreSQL in a fresh schema, the given queue backend under unique names, and
 * an s3rver bucket. Fast lease timings so a killed worker's job comes back within seconds.
 */
export async function startCluster(queueEnv: (id: string) => Record<string, string>, workers = 3): Promise<Cluster> {
  const s3 = await startS3Server();
  const data = await tempDir('mf-dist-');
  const schema = freshSchema('mf_dist');
  const id = randomBytes(4).toString('hex');
  const env: Record<string, string> = {
    ...s3.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
    MEDIAFORGE_DATA_DIR: data.dir,
    MEDIAFORGE_API_KEY: TEST_KEY,
    MEDIAFORGE_SIGNING_SECRET: randomBytes(24).toString('hex'),
    MEDIAFORGE_DATABASE_URL: PG_URL,
    MEDIAFORGE_DATABASE_SCHEMA: schema,
    MEDIAFORGE_DATABASE_POOL_SIZE: '4',
    MEDIAFORGE_QUEUE_NAME: `mf-dist-${id}`,
    MEDIAFORGE_WORKER_CONCURRENCY: '1',
    MEDIAFORGE_LEASE_SECONDS: '3',
    MEDIAFORGE_HEARTBEAT_SECONDS: '0.5',
    MEDIAFORGE_RETRY_BASE_SECONDS: '0.2',
    MEDIAFORGE_PROGRESS_INTERVAL_MS: '100',
    MEDIAFORGE_SHUTDOWN_GRACE_SECONDS: '1',
    MEDIAFORGE_RATE_LIMIT_PER_MINUTE: TEST_RATE_LIMIT,
    ...queueEnv(id),
  };
  const procs: ClusterProcess[] = [];
  const stop = async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.all(
      procs.map((p) =>
        Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000))]).then(() => {
          if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
        }),
      ),
    );
    await s3.stop();
    await dropSchema(schema);
    await data.cleanup();
  };
  try {
    // The API migrates the schema first; workers then start in parallel.
    const a = spawnRole('api', [], env, /mediaforge api is running on (http:\/\/\S+)/);
    procs.push(a.proc);
    const url = (await a.started)[1]!;
    const startWorker = async (args: string[] = []) => {
      const w = spawnRole('worker', args, env, /mediaforge worker \S+ is running/);
      procs.push(w.proc);
      await w.started;
      return w.proc;
    };
    const ws = await Promise.all(Array.from({ length: workers }, () => startWorker()));
    return { api: { ...a.proc, url }, workers: ws, s3, schema, id, env, startWorker, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
