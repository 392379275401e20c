import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CrashChild {
  child: ChildProcess;
  taken: () => string[];
  ready: Promise<void>;
  kill: () => Promise<void>;
}

/** Starts queue-crash.child.ts as a real worker process that can be SIGKILLed mid-message. */
export function startCrashChild(args: string[]): CrashChild {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/contracts/queue-crash.child.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (out.includes('READY')) resolve();
    };
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`crash child exited early:\n${out}`)));
  });
  return {
    child,
    ready,
    taken: () => [...out.matchAll(/^TAKEN (\S+)$/gm)].map((m) => m[1]),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
