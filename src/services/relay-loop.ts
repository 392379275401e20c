type Logger = { warn(obj: object, msg: string): void };

/**
 * The timing of an outbox relay (the broker's events, the e-mails): a pass every `pollMs`,
 * at once again after a pass that found work, and on `poke` (a transition of this process
 * wrote a row); a poke during a pass makes the next pass start right after it. A pass that
 * throws is logged and tried again at the next poll.
 */
export class RelayLoop {
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private passing: Promise<void> | null = null;
  private again = false;

  constructor(private readonly pass: () => Promise<boolean>, private readonly opts: { pollMs: number; name: string; logger?: Logger }) {}

  start(): void {
    this.schedule(0);
  }

  poke(): void {
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
    this.schedule(busy ? 0 : this.opts.pollMs);
  }
}
