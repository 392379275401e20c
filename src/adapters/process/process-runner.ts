import { execFile, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { childCpu } from './child-cpu.js';

/**
 * The one module that starts processes (ffmpeg, ffprobe, yt-dlp); a dependency-cruiser rule
 * keeps it that way. Every child gets an argv array (never a shell), only the environment
 * the caller names (nothing of ours is inherited by accident) and a closed stdin (a program
 * that asks for input reads end-of-file instead of hanging). Each child's CPU seconds, as the
 * kernel counts them (child-cpu.ts), come with its result: null where they cannot be read.
 */

/** PATH and the locale: what a program needs to run, and none of our secrets. */
export function minimalEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const k of ['LANG', 'LC_ALL', 'TMPDIR', 'LD_LIBRARY_PATH']) if (process.env[k]) env[k] = process.env[k];
  return env;
}

export interface CaptureOptions {
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Bytes of stdout or stderr before the child is killed (default 1 MiB). */
  maxBuffer?: number;
  /** The signal for a timeout or an abort (default SIGTERM). */
  killSignal?: NodeJS.Signals;
}

/** The error of a failed `capture`: execFile's, with the output so far. */
export interface CaptureError extends Error {
  /** The exit code, or a system error code such as 'ENOENT' when it could not start. */
  code?: number | string;
  /** True when we killed it (timeout, abort, too much output). */
  killed?: boolean;
  stdout?: string;
  stderr?: string;
  /** The CPU seconds it used before it ended (0 when it never started, null where unknown). */
  cpuSeconds?: number | null;
}

/**
 * Runs a program to its end and gives its output and CPU seconds; rejects with a
 * CaptureError unless it exits 0. Either way, only once its CPU time is counted.
 */
export function capture(file: string, args: string[], opts: CaptureOptions): Promise<{ stdout: string; stderr: string; cpuSeconds: number | null }> {
  let cpu: Promise<number | null> = Promise.resolve(0);
  const ended = new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        shell: false,
        env: opts.env,
        encoding: 'utf8',
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
        ...(opts.maxBuffer !== undefined ? { maxBuffer: opts.maxBuffer } : {}),
        ...(opts.killSignal ? { killSignal: opts.killSignal } : {}),
      },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stdout, stderr }) as CaptureError);
        else resolve({ stdout, stderr });
      },
    );
    // execFile always opens a stdin pipe; end it at once. A child that already left makes
    // that end fail with EPIPE, which is no news.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end();
    cpu = childCpu.track(child);
  });
  return ended.then(
    async (out) => ({ ...out, cpuSeconds: await cpu }),
    async (err: CaptureError) => {
      err.cpuSeconds = await cpu;
      throw err;
    },
  );
}

/** Runs a quick check synchronously (`ffmpeg -version` at start); true when it exits 0 in time. */
export function runsOk(file: string, args: string[], opts: { env: NodeJS.ProcessEnv; timeoutMs: number }): boolean {
  try {
    // Its CPU time is nobody's: it must not land on a child that exits later.
    childCpu.untracked(() => execFileSync(file, args, { shell: false, stdio: 'ignore', env: opts.env, timeout: opts.timeoutMs }));
    return true;
  } catch {
    return false;
  }
}

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Its own process group: `kill()` then stops the program and everything it started. */
  group?: boolean;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
}

export interface RunningProcess {
  /** SIGKILL (to the whole group with `group`); does nothing once the process has exited. */
  kill(): void;
  /**
   * Once it exited, its output was read and its CPU seconds counted (null where unknown);
   * rejects when it could not start (`code` 'ENOENT', …).
   */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; cpuSeconds: number | null }>;
}

/** Starts a long-running program whose output is read line by line. */
export function start(file: string, args: string[], opts: StartOptions): RunningProcess {
  const child = spawn(file, args, {
    shell: false,
    detached: opts.group === true,
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: opts.cwd,
    env: opts.env,
  });
  // Both pipes are always read, so a chatty child never blocks on a full pipe.
  createInterface({ input: child.stdout }).on('line', (line) => opts.onStdoutLine?.(line));
  createInterface({ input: child.stderr }).on('line', (line) => opts.onStderrLine?.(line));
  const cpu = childCpu.track(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; cpuSeconds: number | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => void cpu.then((cpuSeconds) => resolve({ code, signal, cpuSeconds })));
  });
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (opts.group && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
        return;
      } catch {
        // The group is already gone: kill the process itself.
      }
    }
    child.kill('SIGKILL');
  };
  return { kill, exited };
}
