/**
 * Shared helpers for the benchmark scripts: options, cleanup, child processes, the
 * mediaforge server as a child process, streamed uploads, RSS sampling and statistics.
 *
 * Everything a script starts (server, ffmpeg, temp dirs) is registered with `onCleanup`
 * and torn down by `runMain`, on success, on error and on SIGINT/SIGTERM.
 */
import { Agent, request } from 'node:http';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = resolve(BENCH_DIR, '..');
export const WORK_DIR = join(BENCH_DIR, '.work');
export const FFMPEG = process.env.FFMPEG_PATH || 'ffmpeg';
export const FFPROBE = process.env.FFPROBE_PATH || 'ffprobe';

// ---------------------------------------------------------------------------------------
// Options: `--name value`, `--name=value`, `--flag`, `--no-flag`, or env BENCH_NAME.

export class Options {
  private readonly argv = new Map<string, string>();

  constructor(args: string[] = process.argv.slice(2)) {
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--help' || a === '-h') {
        this.argv.set('help', 'true');
        continue;
      }
      const m = /^--([\w-]+)(?:=(.*))?$/.exec(a);
      if (!m) throw new Error(`unexpected argument ${JSON.stringify(a)}`);
      if (m[2] !== undefined) this.argv.set(m[1], m[2]);
      else if (m[1].startsWith('no-')) this.argv.set(m[1].slice(3), 'false');
      else if (i + 1 < args.length && !args[i + 1].startsWith('--')) this.argv.set(m[1], args[++i]);
      else this.argv.set(m[1], 'true');
    }
  }

  raw(name: string): string | undefined {
    return this.argv.get(name) ?? process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  }

  number(name: string, fallback: number, min = 0): number {
    const raw = this.raw(name);
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min} (got ${JSON.stringify(raw)})`);
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.raw(name);
    if (raw === undefined || raw === '') return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new Error(`--${name} must be true or false (got ${JSON.stringify(raw)})`);
  }

  get help(): boolean {
    return this.argv.has('help');
  }
}

// ---------------------------------------------------------------------------------------
// Cleanup

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];
let cleaningUp: Promise<void> | null = null;

/** Registers a cleanup step; steps run in reverse order of registration. */
export function onCleanup(fn: Cleanup): void {
  cleanups.push(fn);
}

export function cleanupAll(): Promise<void> {
  if (!cleaningUp) {
    cleaningUp = (async () => {
      // Short-lived children (ffmpeg) first, so nothing writes into dirs being removed;
      // the server is stopped by its own cleanup step (SIGTERM, then SIGKILL).
      for (const child of liveChildren) if (!gracefulChildren.has(child)) killTree(child, 'SIGKILL');
      while (cleanups.length) {
        const fn = cleanups.pop()!;
        try {
          await fn();
        } catch (err) {
          console.error(`cleanup step failed: ${(err as Error).message}`);
        }
      }
    })();
  }
  return cleaningUp;
}

/** Runs `main`, then always cleans up; exits 1 on error, 130/143 on a signal. */
export function runMain(main: () => Promise<void>): void {
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping, cleaning up…`);
    void cleanupAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  main()
    .then(
      () => Number(process.exitCode ?? 0),
      (err) => {
        if (cleaningUp) return 1; // interrupted by a signal: the failure is a consequence
        console.error(`\nbench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        return 1;
      },
    )
    .then(async (code) => {
      await cleanupAll();
      process.exit(code);
    });
}

/** A temp dir that is removed at cleanup. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `mediaforge-bench-${prefix}-`));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------------------------------
// Child processes

const liveChildren = new Set<ChildProcess>();
/** Children stopped by their own cleanup step rather than killed first. */
const gracefulChildren = new WeakSet<ChildProcess>();
onCleanup(() => {
  for (const child of liveChildren) killTree(child, 'SIGKILL');
});

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Children are spawned in their own process group, so their own children die with them. */
function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!child.pid || !alive(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function waitExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (!alive(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
}

/** Spawns a tracked child (own process group, killed at cleanup if still running). */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}, graceful = false): ChildProcess {
  const child = spawn(cmd, args, { ...opts, detached: true, shell: false });
  liveChildren.add(child);
  if (graceful) gracefulChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  return child;
}

/**
 * Starts `node bin/mediaforge.js <role>` (api, worker) and waits for its ready line; `log()`
 * is the last 32 KiB it printed. `graceful`: stopped with SIGTERM at cleanup, as spawnTracked.
 */
export async function startRole(
  role: 'api' | 'worker',
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  graceful = false,
): Promise<{ child: ChildProcess; match: RegExpExecArray; log(): string }> {
  // BENCH_CPU_PROF=<dir>: each process writes a V8 CPU profile to <dir>/<role>/ when it exits (open in Chrome DevTools).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', join(process.env.BENCH_CPU_PROF, role)] : [];
  const child = spawnTracked(process.execPath, [...prof, join(REPO_DIR, 'bin', 'mediaforge.js'), role], { cwd: REPO_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] }, graceful);
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-32 * 1024));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = ready.exec(out);
    if (m) return { child, match: m, log: () => out };
    if (child.exitCode !== null) throw new Error(`${role} exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`${role} did not start within 60 s:\n${out}`);
    await sleep(50);
  }
}

export interface RunResult {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion and times it (spawn to exit). stdout/stderr are drained;
 * `keep` keeps the last ~64 KiB of each for error messages / parsing.
 */
export async function run(cmd: string, args: string[], opts: { cwd?: string; keep?: boolean; check?: boolean } = {}): Promise<RunResult> {
  const started = performance.now();
  const child = spawnTracked(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const LIMIT = 64 * 1024;
  child.stdout!.on('data', (d: Buffer) => {
    if (opts.keep) stdout = (stdout + d.toString()).slice(-LIMIT);
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-LIMIT);
  });
  const spawnError = new Promise<never>((_, rej) => child.once('error', rej));
  const { code } = await Promise.race([waitExit(child), spawnError]);
  const ms = performance.now() - started;
  if ((opts.check ?? true) && code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${stderr.split('\n').slice(-10).join('\n')}`);
  }
  return { ms, code, stdout, stderr };
}

export async function firstLine(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args, { keep: true });
  return r.stdout.split('\n')[0].trim();
}

// ---------------------------------------------------------------------------------------
// The server

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export interface Server {
  url: string;
  apiKey: string;
  pid: number;
  dataDir: string;
  /** Last lines the server wrote to stderr (warnings, errors). */
  logTail(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node bin/mediaforge.js start` with a fresh temp data dir, a free port, a
 * random preset API key and LOG_LEVEL=warn. Inherited MEDIAFORGE_* variables are
 * dropped so the shell's settings cannot change what is measured.
 */
export async function startServer(extraEnv: Record<string, string> = {}, opts: { nodeArgs?: string[]; root?: string } = {}): Promise<Server> {
  // root: another copy of bin/ + dist/ (e.g. a build of the previous commit, for an A/B run).
  const root = opts.root ?? REPO_DIR;
  const entry = join(root, 'dist', 'cli', 'main.js');
  try {
    await stat(entry);
  } catch {
    throw new Error('dist/ is missing: run `npm run build` first');
  }
  const dataDir = await tempDir('data');
  const port = await freePort();
  const apiKey = `bench_${randomBytes(16).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MEDIAFORGE_') && k !== 'PORT' && k !== 'HOST') env[k] = v;
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    MEDIAFORGE_DATA_DIR: dataDir,
    MEDIAFORGE_API_KEY: apiKey,
    MEDIAFORGE_SHUTDOWN_GRACE_SECONDS: '2',
    LOG_LEVEL: 'warn',
    // The scripts poll progress faster than the default 100 requests a minute allow; they
    // measure media work, not the limiter (bench/api.ts measures that, and sets its own).
    MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '0',
    ...extraEnv,
  });
  // nodeArgs: e.g. ['--cpu-prof'] to profile the server (not allowed in NODE_OPTIONS); BENCH_CPU_PROF=<dir> does it for every script (<dir>/server/).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', join(process.env.BENCH_CPU_PROF, 'server')] : [];
  const child = spawnTracked(process.execPath, [...(opts.nodeArgs ?? prof), join(root, 'bin', 'mediaforge.js'), 'start'], {
    cwd: REPO_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  }, true);
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-16 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!alive(child)) return;
    killTree(child, 'SIGTERM');
    const timer = setTimeout(() => killTree(child, 'SIGKILL'), 8000);
    await waitExit(child);
    clearTimeout(timer);
    // The server's own ffmpeg children are in its process group: make sure none is left.
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* group already empty */
    }
  };
  onCleanup(stop);

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!alive(child)) throw new Error(`the server exited during startup (code ${child.exitCode}):\n${log}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`the server did not become healthy within 60 s:\n${log}`);
    await sleep(100);
  }
  return { url, apiKey, pid: child.pid!, dataDir, logTail: () => log, stop };
}

// ---------------------------------------------------------------------------------------
// API calls

export class Api {
  constructor(readonly server: Pick<Server, 'url' | 'apiKey'>) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.server.apiKey}`, ...extra };
  }

  async json<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.server.url}${path}`, {
      method,
      headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }

  /** Uploads a file as a raw streamed body (chunked; never read whole into memory). */
  async uploadRaw(path: string, filename: string): Promise<{ id: string; size: number; ms: number }> {
    const started = performance.now();
    const body = Readable.toWeb(createReadStream(path, { highWaterMark: 1024 * 1024 })) as unknown as ReadableStream<Uint8Array>;
    const res = await fetch(`${this.server.url}/v1/uploads?filename=${encodeURIComponent(filename)}`, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/octet-stream' }),
      body,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    const text = await res.text();
    const ms = performance.now() - started;
    if (res.status !== 201) throw new Error(`upload of ${filename} → ${res.status}: ${text.slice(0, 500)}`);
    const upload = JSON.parse(text) as { id: string; size: number };
    return { id: upload.id, size: upload.size, ms };
  }

  /** Uploads a file as multipart/form-data field `file`, streamed. */
  async uploadMultipart(path: string, filename: string): Promise<{ id: string; size: number; ms: number }> {
    const started = performance.now();
    const boundary = `----mediaforgebench${randomBytes(12).toString('hex')}`;
    async function* parts() {
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      );
      for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) yield chunk as Buffer;
      yield Buffer.from(`\r\n--${boundary}--\r\n`);
    }
    const body = Readable.toWeb(Readable.from(parts())) as unknown as ReadableStream<Uint8Array>;
    const res = await fetch(`${this.server.url}/v1/uploads`, {
      method: 'POST',
      headers: this.headers({ 'content-type': `multipart/form-data; boundary=${boundary}` }),
      body,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    const text = await res.text();
    const ms = performance.now() - started;
    if (res.status !== 201) throw new Error(`multipart upload of ${filename} → ${res.status}: ${text.slice(0, 500)}`);
    const upload = JSON.parse(text) as { id: string; size: number };
    return { id: upload.id, size: upload.size, ms };
  }

  /**
   * Follows the job's SSE stream until a final status and returns that job. Falls back
   * to polling GET /v1/jobs/:id if the stream ends without one.
   */
  async waitFinal(jobId: string, timeoutMs = 30 * 60_000): Promise<any> {
    const FINAL = new Set(['succeeded', 'failed', 'canceled']);
    const signal = AbortSignal.timeout(timeoutMs);
    const res = await fetch(`${this.server.url}/v1/jobs/${jobId}/events`, { headers: this.headers({ accept: 'text/event-stream' }), signal });
    if (!res.ok || !res.body) throw new Error(`GET /v1/jobs/${jobId}/events → ${res.status}`);
    const decoder = new TextDecoder();
    let buf = '';
    let last: any = null;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let sep: number;
      while ((sep = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, sep);
        buf = buf.slice(sep + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (event === 'status' && data) {
          last = JSON.parse(data);
          if (FINAL.has(last.status)) return last;
        }
      }
    }
    // Stream ended without a final status: poll.
    for (;;) {
      if (signal.aborted) throw new Error(`job ${jobId} did not finish within ${timeoutMs} ms (last status ${last?.status})`);
      const job = await this.json('GET', `/v1/jobs/${jobId}`);
      if (FINAL.has(job.status)) return job;
      await sleep(100);
    }
  }

  async download(url: string): Promise<Buffer> {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url} → ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
}

// ---------------------------------------------------------------------------------------
// Memory

/** VmRSS of a process in bytes, from /proc/<pid>/status (Linux only); null if gone. */
export async function readRss(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns peak / min / samples. */
export function sampleRss(pid: number, everyMs = 100) {
  const samples: number[] = [];
  let busy = false;
  const take = async () => {
    if (busy) return;
    busy = true;
    const rss = await readRss(pid);
    if (rss !== null) samples.push(rss);
    busy = false;
  };
  void take();
  const timer = setInterval(() => void take(), everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await take();
      return {
        peak: samples.length ? Math.max(...samples) : NaN,
        min: samples.length ? Math.min(...samples) : NaN,
        last: samples.length ? samples[samples.length - 1] : NaN,
        count: samples.length,
      };
    },
  };
}

/**
 * CPU time of a process from /proc/<pid>/stat, in seconds: `self` (utime+stime) and
 * `children` (cutime+cstime: children it has waited for, i.e. finished ffmpeg runs).
 * Unlike wall time, this barely moves when other work competes for the CPU.
 */
export async function cpuTimes(pid: number | 'self'): Promise<{ self: number; children: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  const tick = 100; // USER_HZ: 100 on every Linux ABI node runs on
  const n = (field: number) => Number(f[field - 3]) / tick;
  return { self: n(14) + n(15), children: n(16) + n(17) };
}

// ---------------------------------------------------------------------------------------
// Small utilities

export const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

export function median(values: number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);

export const fmtS = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '—');
export const fmtMiB = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 1024 ** 2).toFixed(1)} MiB` : '—');

/** Renders rows as a fixed-width text table (first row = header). */
export function table(rows: string[][], align: ('l' | 'r')[] = []): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r.map((cell, c) => ((align[c] ?? (c === 0 ? 'l' : 'r')) === 'l' ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** One round of `load`: latency percentiles, throughput and the server's CPU per request. */
export interface LoadRound {
  p50: number;
  p95: number;
  rps: number;
  /** Server CPU milliseconds per request. */
  cpuMs: number;
  requests: number;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** `clients` loops of GET `path` for `seconds`; every answer must be 200. */
export async function load(server: { url: string; pid: number }, path: string, key: string, clients: number, seconds: number): Promise<LoadRound> {
  const url = new URL(path, server.url);
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const get = () =>
    new Promise<number>((resolve, reject) => {
      const req = request(url, { agent, headers: { authorization: `Bearer ${key}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  const latencies: number[] = [];
  const cpu0 = await cpuTimes(server.pid);
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const s = performance.now();
        const status = await get();
        if (status !== 200) throw new Error(`GET ${path} answered ${status}: the measurement needs every request served (is the limit reached?)`);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu1 = await cpuTimes(server.pid);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    rps: latencies.length / elapsed,
    cpuMs: ((cpu1.self - cpu0.self) * 1000) / latencies.length,
    requests: latencies.length,
  };
}
