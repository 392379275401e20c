import amqp, { type ChannelModel } from 'amqplib';

/**
 * One AMQP connection that comes back by itself. After every (re)connect it runs the
 * `setup` callbacks (declare topology, open channels, resubscribe consumers), because
 * channels and consumers die with the connection that carried them.
 */
export class AmqpLink {
  private model: ChannelModel | null = null;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly setups = new Set<(model: ChannelModel) => Promise<void>>();
  private waiters: Array<() => void> = [];
  private lastError: Error | null = null;

  private constructor(
    private readonly url: string,
    private readonly name: string,
    private readonly onError: (err: Error) => void,
  ) {}

  static async open(url: string, name: string, onError: (err: Error) => void = () => undefined): Promise<AmqpLink> {
    const link = new AmqpLink(url, name, onError);
    await link.connectOnce();
    return link;
  }

  private async connectOnce(): Promise<void> {
    const model = await amqp.connect(this.url, { clientProperties: { connection_name: this.name } });
    model.on('error', (err: Error) => {
      this.lastError = err;
      this.onError(err);
    });
    model.on('close', () => {
      if (this.model !== model) return;
      this.model = null;
      if (!this.closed) this.scheduleReconnect();
    });
    this.model = model;
    try {
      for (const setup of this.setups) await setup(model);
    } catch (err) {
      this.model = null;
      await model.close().catch(() => undefined);
      throw err;
    }
    this.attempt = 0;
    for (const w of this.waiters.splice(0)) w();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = Math.min(100 * 2 ** this.attempt++, 5000);
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = null;
      try {
        await this.connectOnce();
      } catch (err) {
        this.lastError = err as Error;
        this.onError(err as Error);
        this.scheduleReconnect();
      }
    }, delay);
  }

  /** Runs now (when connected) and after every reconnect; returns the function that removes it. */
  async addSetup(setup: (model: ChannelModel) => Promise<void>): Promise<() => void> {
    this.setups.add(setup);
    if (this.model) await setup(this.model);
    return () => void this.setups.delete(setup);
  }

  /** The live connection, waiting up to `timeoutMs` while it reconnects. */
  async current(timeoutMs: number): Promise<ChannelModel> {
    if (this.model) return this.model;
    if (this.closed) throw new Error('the RabbitMQ connection is closed');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new Error(`RabbitMQ is unreachable (${this.lastError?.message ?? 'reconnecting'}); gave up after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
    });
    return this.model!;
  }

  get connected(): boolean {
    return this.model !== null;
  }

  /** Drops the TCP connection without a goodbye and never reconnects: a killed process. */
  destroy(): void {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const stream = (this.model as unknown as { connection?: { stream?: { destroy(): void } } } | null)?.connection?.stream;
    this.model = null;
    stream?.destroy();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const m = this.model;
    this.model = null;
    await m?.close().catch(() => undefined);
  }
}
