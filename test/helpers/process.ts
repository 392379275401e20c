import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

/**
 * Tests poll far faster than clients should (the default is 100 requests a minute): the
 * limiter runs in every test (its headers, its hooks) but never refuses there.
 * test/e2e/rate-limit*.test.ts test it with low limits; the README tour with the default.
 */
export const TEST_RATE_LIMIT = '1000000';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs `mediaforge start` as its own process (so it can be SIGKILLed) and waits until it listens. */
/**
 * Starts `mediaforge start` and waits for its "running on" line. The wait is generous: on a
 * loaded 2-core machine a cold start (tsx compiling, migrations) has taken over 30 s. A server
 * that does not come up is killed, so no orphan keeps the test file from ending.
 */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 120_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...CLI, 'start'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', MEDIAFORGE_RATE_LIMIT_PER_MINUTE: TEST_RATE_LIMIT, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs / 1000} s:\n${out}`));
    }, timeoutMs);
    const check = () => {
      const m = /mediaforge is running on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return { child, url, output: () => out, exited };
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
