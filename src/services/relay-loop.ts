type Logger = { warn(obj: object, msg: string): void };

/**
 * The wait before the next poll of a loop that is also poked: `base` after a pass that found
 * work (or a poke), then twice as long after each pass that found none, up to `max`. A
 * deployment whose writers all poke (the embedded platform: one process) polls rarely when
 * idle; `max` equal to `base` is the plain period (the default).
 */
export class IdleBackoff {
  private wait: number;
  constructor(private readonly base: number, private readonly max: number = base) {
    this.wait = base;
  }
  /** The wait after a pass: 0 when it found work (look again at once). */
  next(found: boolean): number {
    if (found) {
      this.wait = this.base;
      return 0;
    }
    const w = this.wait;
    this.wait = Math.min(Math.max(this.max, this.base), w * 2);
    return w;
  }
  /** Work may be waiting (a poke): the next empty pass waits `base` again. */
  reset(): void {
    this.wait = this.base;
  }
}

/**
 * The timing of an outbox relay (the broker's events, the e-mails): a pass every `pollMs`,
 * at once again after a pass that found work, and on `poke` (a transition of this process
 * wrote a row); a poke during a pass makes the next pass start right after it. A pass that
 * throws is logged and tried again at the next poll. With `idleMaxMs`, the poll slows down
 * while passes find nothing (IdleBackoff).
 */
export class RelayLoop {
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private passing: Promise<void> | null = null;
  private again = false;
  private readonly backoff: IdleBackoff;

  constructor(private readonly pass: () => Promise<boolean>, private readonly opts: { pollMs: number; idleMaxMs?: number; name: string; logger?: Logger }) {
    this.backoff = new IdleBackoff(opts.pollMs, opts.idleMaxMs);
  }

  start(): void {
    this.schedule(0);
  }

  poke(): void {
    this.backoff.reset();
    if (this.stopping || !this.timer) {
      if (this.passing) this.again = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops passing and waits for the pass that runs; its unmarked rows keep their lease until it runs out. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.passing;
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.passing = this.loop().finally(() => (this.passing = null));
    }, ms);
  }

  private async loop(): Promise<void> {
    const found = await this.pass().catch((err: unknown) => {
      this.opts.logger?.warn({ err }, `${this.opts.name} pass failed; trying again`);
      return false;
    });
    const busy = found || this.again;
    this.again = false;
    this.schedule(this.backoff.next(busy));
  }
}
