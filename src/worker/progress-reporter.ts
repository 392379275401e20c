import type { Clock } from '../ports/clock.port.js';

export interface ProgressReporterOptions {
  /** The job's output count: they share 98 % of the bar after the probe's 2 %. */
  outputs: number;
  /** At most one write per interval (the last value is kept and sent when it is due). */
  intervalMs: number;
  clock: Clock;
  send: (progress: number, stage: string) => Promise<void>;
}

/**
 * Turns per-output fractions into one job percentage and throttles writes: a database
 * write and an event at most every `intervalMs` of the clock's time, plus the final value
 * on flush. A value held back by the throttle is sent by a timer when it is due.
 */
export class ProgressReporter {
  private last = Number.NEGATIVE_INFINITY;
  private lastSent = -1;
  private pending: { progress: number; stage: string } | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: ProgressReporterOptions) {}

  /** Probing takes the first 2 %, outputs share the rest equally. */
  percentFor(outputIndex: number | null, fraction: number): number {
    const outputs = this.opts.outputs;
    if (outputIndex === null || outputs === 0) return Math.round(2 * Math.max(0, Math.min(1, fraction)) * 10) / 10;
    const share = 98 / outputs;
    return Math.min(99.9, Math.round((2 + share * (outputIndex + Math.max(0, Math.min(1, fraction)))) * 10) / 10);
  }

  report(progress: number, stage: string): void {
    if (progress < this.lastSent && this.pending === null) return;
    this.pending = { progress, stage };
    const due = this.last + this.opts.intervalMs - this.opts.clock.now();
    if (due <= 0) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), due);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const p = this.pending;
    this.pending = null;
    if (!p) return;
    this.last = this.opts.clock.now();
    this.lastSent = p.progress;
    await this.opts.send(p.progress, p.stage).catch(() => undefined);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}
