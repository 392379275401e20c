import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir, waitFor } from './temp.js';

/** A real Prometheus (Debian's `prometheus` binary), on a free port with its own storage. */
export interface PrometheusServer {
  url: string;
  /** GET /api/v1/query: the result vector (throws on an error answer, with Prometheus's message). */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** GET an API path (e.g. /api/v1/rules) and its JSON `data`. */
  api(path: string): Promise<any>;
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Starts Prometheus with `config` (YAML text; `files` are written beside it first) and waits for /-/ready. */
export async function startPrometheus(config: string, files: Record<string, string> = {}): Promise<PrometheusServer> {
  const t = await tempDir('mf-prom-');
  for (const [name, text] of Object.entries(files)) await writeFile(join(t.dir, name), text, { mode: 0o600 });
  await writeFile(join(t.dir, 'prometheus.yml'), config);
  const port = await freePort();
  const child = spawn('prometheus', [`--config.file=${join(t.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(t.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    cwd: t.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let spawnError: Error | null = null;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => resolve());
    child.on('error', (err) => {
      spawnError = new Error(`cannot run prometheus (${err.message}): install Debian's prometheus package (.ci/run does)`);
      resolve();
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await t.cleanup();
  };
  try {
    await waitFor(
      async () => {
        if (spawnError) throw spawnError;
        if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}`);
        return fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'prometheus to be ready' },
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}:\n${out}`);
  }
  const api = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data?: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${res.status} ${body.error}`);
    return body.data;
  };
  return {
    url,
    api,
    query: async (expr) => ((await api(`/api/v1/query?query=${encodeURIComponent(expr)}`)) as { result: any }).result,
    output: () => out,
    stop,
  };
}
