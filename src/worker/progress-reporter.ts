/**
 * Turns per-output fractions into one job percentage and throttles writes: a database
 * write and an event at most every `intervalMs`, plus the final value on flush.
 */
export class ProgressReporter {
  private last = 0;
  private lastSent = -1;
  private pending: { progress: number; stage: string } | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly outputs: number,
    private readonly intervalMs: number,
    private readonly send: (progress: number, stage: string) => Promise<void>,
  ) {}

  /** Probing takes the first 2 %, outputs share the rest equally. */
  percentFor(outputIndex: number | null, fraction: number): number {
    if (outputIndex === null || this.outputs === 0) return Math.round(2 * Math.max(0, Math.min(1, fraction)) * 10) / 10;
    const share = 98 / this.outputs;
    return Math.min(99.9, Math.round((2 + share * (outputIndex + Math.max(0, Math.min(1, fraction)))) * 10) / 10);
  }

  report(progress: number, stage: string): void {
    if (progress < this.lastSent && this.pending === null) return;
    this.pending = { progress, stage };
    const due = this.last + this.intervalMs - Date.now();
    if (due <= 0) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), due);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const p = this.pending;
    this.pending = null;
    if (!p) return;
    this.last = Date.now();
    this.lastSent = p.progress;
    await this.send(p.progress, p.stage).catch(() => undefined);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}
