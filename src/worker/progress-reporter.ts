import type { Clock } from '../ports/clock.port.js';

export interface ProgressReporterOptions {
  /** The job's output count: they share 98 % of the bar after the probe's 2 %. */
  outputs: number;
  /** At most one update per interval (the last value is kept and sent when it is due). */
  intervalMs: number;
  /**
   * Of those updates, one is also written to the database (`persist`) at most this often,
   * unless its stage is new; a flush always writes. Absent: every update is written.
   */
  writeEveryMs?: number;
  clock: Clock;
  send: (progress: number, stage: string, persist: boolean) => Promise<void>;
}

/**
 * Turns per-output fractions into one job percentage and throttles it: an update (the live
 * event) at most every `intervalMs` of the clock's time, of which the database gets one at
 * most every `writeEveryMs` or when the stage changes, plus the final value on flush. A
 * value held back by the throttle is sent by a timer when it is due. Live clients see every
 * update; a reader of the row sees one at most `writeEveryMs` old.
 */
export class ProgressReporter {
  private last = Number.NEGATIVE_INFINITY;
  private lastSent = -1;
  private lastWrite = Number.NEGATIVE_INFINITY;
  private lastWrittenStage: string | null = null;
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
    if (due <= 0) void this.send(false);
    else if (!this.timer) this.timer = setTimeout(() => void this.send(false), due);
  }

  /** Sends the value held back now, and writes it. */
  flush(): Promise<void> {
    return this.send(true);
  }

  private async send(final: boolean): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const p = this.pending;
    this.pending = null;
    if (!p) return;
    const now = this.opts.clock.now();
    this.last = now;
    this.lastSent = p.progress;
    const persist = final || p.stage !== this.lastWrittenStage || now - this.lastWrite >= (this.opts.writeEveryMs ?? 0);
    if (persist) {
      this.lastWrite = now;
      this.lastWrittenStage = p.stage;
    }
    await this.opts.send(p.progress, p.stage, persist).catch(() => undefined);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}
