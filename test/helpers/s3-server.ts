import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp.js';

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Environment for child processes that use the S3 storage. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./s3rver.child.cjs', import.meta.url));

/** A real S3-protocol server (s3rver, in its own process) on a free port with its own folder and bucket. */
export async function startS3Server(bucket = 'mediaforge-test'): Promise<TestS3Server> {
  const t = await tempDir('mf-s3rver-');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', CHILD, t.dir, bucket], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    void exited.then(() => reject(new Error(`s3rver exited before listening: ${err}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    endpoint,
    bucket,
    region: 'us-east-1',
    credentials,
    env: {
      MEDIAFORGE_STORAGE: 's3',
      MEDIAFORGE_S3_BUCKET: bucket,
      MEDIAFORGE_S3_REGION: 'us-east-1',
      MEDIAFORGE_S3_ENDPOINT: endpoint,
      MEDIAFORGE_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await t.cleanup();
    },
  };
}
