import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

/**
 * The CPU time of each child process, as the kernel counts it (user + system, like `time`
 * or getrusage(RUSAGE_CHILDREN)). Node gives no child's rusage, so on Linux this reads the
 * kernel's running total for the children this process has reaped: `cutime + cstime` of
 * /proc/self/stat. libuv reaps a child (waitpid) and runs its exit callback in the same
 * step, so the total's growth between two readings is exactly the CPU of the children that
 * exited in between, plus what those children had reaped of their own children (yt-dlp's
 * ffmpeg). docs/usage.md says how precise that is.
 *
 * The reading is taken after the current event-loop turn (setImmediate), never inside an
 * exit callback: libuv reaps every child that has exited before it calls the first exit
 * callback, so a reading inside it would already hold the others'. Children that exited in
 * the same turn share the growth in proportion to what each was last seen using (sampled
 * from /proc/<pid>/stat while it runs and when its output ends, the moment it exits); their
 * shares add up to the exact total. Elsewhere than Linux every figure is null.
 */

/** /proc's time unit (USER_HZ): 100 per second on every Linux architecture Node supports. */
const TICKS_PER_SECOND = 100;
/** How often a running child's own count is read (the basis of a shared turn's split). */
const SAMPLE_MS = 500;

/** The child as this module needs it: ChildProcess has these. */
export interface MeteredChild {
  readonly pid?: number;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  once(event: 'exit', listener: () => void): unknown;
}

/**
 * Ticks of /proc/<pid>/stat: `own` = utime + stime, `reaped` = cutime + cstime (fields
 * 14–17; the command name in field 2 may hold spaces and parentheses, so fields count from
 * the last `)`). Null when the file cannot be read (not Linux, or the process is gone).
 */
export function statTicks(pid: number | 'self'): { own: number; reaped: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number) => Number(f[i]);
  const own = n(11) + n(12);
  const reaped = n(13) + n(14);
  return Number.isFinite(own) && Number.isFinite(reaped) ? { own, reaped } : null;
}

interface Tracked {
  pid: number;
  /** Ticks the child was last seen using (its own and its reaped children's). */
  seen: number;
  resolve(seconds: number): void;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export class ChildCpuMeter {
  private readonly live = new Map<number, Tracked>();
  private exited: Tracked[] = [];
  /** Our reaped-children total when the last share-out (or the first live child) was counted. */
  private base = 0;
  private sampler: NodeJS.Timeout | null = null;
  private shareScheduled = false;
  /** Share-outs so far, and how many of them had more than one child (tests read these). */
  readonly stats = { turns: 0, sharedTurns: 0 };
  readonly supported: boolean;

  constructor(private readonly sampleMs = SAMPLE_MS) {
    this.supported = process.platform === 'linux' && statTicks('self') !== null;
  }

  /**
   * Counts a child spawned just now (call it in the same tick as spawn, before its exit can
   * be seen). Resolves once it has exited: its CPU seconds, 0 when it never started, null
   * where the kernel's count cannot be read.
   */
  track(child: MeteredChild): Promise<number | null> {
    if (!this.supported) return Promise.resolve(null);
    const pid = child.pid;
    if (pid === undefined) return Promise.resolve(0);
    const total = this.total();
    if (total === null) return Promise.resolve(null);
    // Nothing of ours is waiting to be counted: start from the kernel's figure as it is now,
    // so whatever was reaped before (children nobody tracked) is nobody's.
    if (this.live.size === 0 && this.exited.length === 0) this.base = total;
    return new Promise((resolve) => {
      const t: Tracked = { pid, seen: 0, resolve };
      this.live.set(pid, t);
      this.startSampling();
      // The output ends as the child exits, before it is reaped: its last own count.
      const sampleNow = () => this.sample(t);
      child.stdout?.once('end', sampleNow);
      child.stderr?.once('end', sampleNow);
      child.once('exit', () => {
        this.live.delete(pid);
        this.exited.push(t);
        if (this.live.size === 0) this.stopSampling();
        if (!this.shareScheduled) {
          this.shareScheduled = true;
          setImmediate(() => this.share());
        }
      });
    });
  }

  /**
   * Runs `fn`, which reaps a child of its own synchronously (execFileSync): the growth it
   * causes belongs to no tracked child. Nothing else runs meanwhile, so before and after
   * bracket exactly that child.
   */
  untracked<T>(fn: () => T): T {
    const before = this.total();
    try {
      return fn();
    } finally {
      const after = this.total();
      if (before !== null && after !== null) this.base += after - before;
    }
  }

  private total(): number | null {
    return statTicks('self')?.reaped ?? null;
  }

  /** A still-unreaped child's count (its pid cannot have been reused: it is not reaped yet). */
  private sample(t: Tracked): void {
    if (!this.live.has(t.pid)) return;
    const s = statTicks(t.pid);
    if (s) t.seen = Math.max(t.seen, s.own + s.reaped);
  }

  private share(): void {
    this.shareScheduled = false;
    const batch = this.exited;
    this.exited = [];
    const now = this.total() ?? this.base;
    const grown = Math.max(0, now - this.base);
    this.base = now;
    this.stats.turns++;
    if (batch.length > 1) this.stats.sharedTurns++;
    const seen = batch.reduce((sum, t) => sum + t.seen, 0);
    for (const t of batch) {
      const part = seen > 0 ? (grown * t.seen) / seen : grown / batch.length;
      t.resolve(round3(part / TICKS_PER_SECOND));
    }
  }

  private startSampling(): void {
    if (this.sampler) return;
    this.sampler = setInterval(() => {
      for (const t of this.live.values()) this.sample(t);
    }, this.sampleMs);
    this.sampler.unref();
  }

  private stopSampling(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = null;
  }
}

/** The process runner's one meter: every child this process starts goes through it. */
export const childCpu = new ChildCpuMeter();
