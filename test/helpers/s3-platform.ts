import { loadConfig, loadDistributedConfig } from '../../src/main/config.js';
import { startApiProcess, startWorkerProcess, type ApiProcess, type WorkerProcess } from '../../src/main/distributed.js';
import { createLogger } from '../../src/main/logger.js';
import { dropSchema, freshSchema, PG_URL } from '../contracts/postgres.schema.js';
import { TEST_KEY } from './platform.js';
import { TEST_RATE_LIMIT } from './process.js';
import { startS3Server, type TestS3Server } from './s3-server.js';
import { startSigV4Gate, type GateRequest } from './sigv4-gate.js';
import { tempDir } from './temp.js';

export interface S3Platform {
  s3: TestS3Server;
  /** The SigV4-checking gate in front of s3rver: the storage endpoint the platform (and its presigned URLs) use. */
  gate: { endpoint: string; requests: GateRequest[] };
  api: ApiProcess;
  base: string;
  /** The environment the processes were configured from (to start more API processes on the same data). */
  env: Record<string, string>;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** Another API process on the same database, bucket and signing secret, with extra settings. */
  startApi(extra: Record<string, string>): Promise<ApiProcess>;
  stop(): Promise<void>;
}

/**
 * The distributed platform in this process: one API and one worker on PostgreSQL (a fresh
 * schema, the db queue) and S3 storage (s3rver behind the SigV4 gate, as AWS/R2/MinIO check
 * presigned URLs).
 */
export async function startS3Platform(extraEnv: Record<string, string> = {}): Promise<S3Platform> {
  const s3 = await startS3Server();
  const gate = await startSigV4Gate(s3.endpoint, s3.credentials.secretAccessKey);
  const t = await tempDir('mf-s3-platform-');
  const schema = freshSchema('mf_s3dl');
  const env: Record<string, string> = {
    ...s3.env,
    MEDIAFORGE_S3_ENDPOINT: gate.endpoint,
    PORT: '0',
    HOST: '127.0.0.1',
    MEDIAFORGE_DATA_DIR: t.dir,
    MEDIAFORGE_API_KEY: TEST_KEY,
    MEDIAFORGE_SIGNING_SECRET: 'a-test-signing-secret-of-at-least-32-chars',
    MEDIAFORGE_DATABASE_URL: PG_URL,
    MEDIAFORGE_DATABASE_SCHEMA: schema,
    MEDIAFORGE_QUEUE_NAME: `${schema}-jobs`,
    MEDIAFORGE_WORKER_CONCURRENCY: '1',
    MEDIAFORGE_LEASE_SECONDS: '5',
    MEDIAFORGE_HEARTBEAT_SECONDS: '0.5',
    MEDIAFORGE_PROGRESS_INTERVAL_MS: '100',
    MEDIAFORGE_SHUTDOWN_GRACE_SECONDS: '1',
    MEDIAFORGE_RATE_LIMIT_PER_MINUTE: TEST_RATE_LIMIT,
    ...extraEnv,
  };
  // The S3 clients inside the processes read credentials from the standard AWS variables.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey });
  const logger = createLogger(process.env.LOG_LEVEL ?? 'silent');
  const startApi = (extra: Record<string, string>) => {
    const e = { ...env, ...extra };
    return startApiProcess(loadConfig({}, { overrides: e }), loadDistributedConfig({}, { overrides: e }), { logger });
  };
  const apis: ApiProcess[] = [];
  let worker: WorkerProcess | undefined;
  const stop = async () => {
    await worker?.close();
    for (const a of apis) await a.close();
    await gate.stop();
    await s3.stop();
    await dropSchema(schema);
    await t.cleanup();
  };
  try {
    const api = await startApi({});
    apis.push(api);
    worker = await startWorkerProcess(loadConfig({}, { overrides: env }), loadDistributedConfig({}, { overrides: env }), { logger });
    return {
      s3,
      gate,
      api,
      base: api.url,
      env,
      call: async (method, path, body, headers = {}) => {
        const isJson = body !== undefined && !(body instanceof Uint8Array) && typeof body !== 'string';
        const res = await fetch(`${api.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${TEST_KEY}`, ...(isJson ? { 'content-type': 'application/json' } : {}), ...headers },
          body: body === undefined ? undefined : isJson ? JSON.stringify(body) : (body as BodyInit),
        });
        const text = await res.text();
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          /* not JSON */
        }
        return { status: res.status, body: parsed as any, headers: res.headers };
      },
      startApi: async (extra) => {
        const a = await startApi(extra);
        apis.push(a);
        return a;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
