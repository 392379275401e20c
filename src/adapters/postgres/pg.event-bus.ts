import { EventEmitter } from 'node:events';
import type { EventBus, JobEvent } from '../../ports/events.port.js';
import { PgNotify } from './pg-notify.js';

export interface PgEventBusOptions {
  url: string;
  /** NOTIFY channel name (an identifier); default `mediaforge_events`. */
  channel?: string;
}

/**
 * Live job events across processes over PostgreSQL LISTEN/NOTIFY, for deployments whose
 * only shared service is PostgreSQL. One channel; each process filters by job locally.
 * NOTIFY payloads are limited to 8000 bytes, far above a JobEvent. Notifications from one
 * session arrive in the order sent, so a job's events stay in order.
 */
export class PgEventBus implements EventBus {
  private readonly local = new EventEmitter();
  private constructor(
    private readonly notify: PgNotify,
    private readonly channel: string,
    private readonly stopListening: () => void,
  ) {
    this.local.setMaxListeners(0);
  }

  static async connect(opts: PgEventBusOptions): Promise<PgEventBus> {
    const channel = opts.channel ?? 'mediaforge_events';
    const notify = await PgNotify.connect(opts.url);
    let bus: PgEventBus | null = null;
    const stop = await notify.listen(channel, (payload) => {
      if (!payload) return; // reconnect wake-up: nothing to replay for live events
      try {
        const e = JSON.parse(payload) as JobEvent;
        if (typeof e?.jobId !== 'string') return;
        bus?.local.emit(`job:${e.jobId}`, e);
        bus?.local.emit('all', e);
      } catch {
        /* not ours */
      }
    });
    bus = new PgEventBus(notify, channel, stop);
    return bus;
  }

  async publish(event: JobEvent): Promise<void> {
    await this.notify.notify(this.channel, JSON.stringify(event));
  }

  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void {
    const key = jobId === '*' ? 'all' : `job:${jobId}`;
    this.local.on(key, listener);
    return () => void this.local.off(key, listener);
  }

  async close(): Promise<void> {
    this.stopListening();
    this.local.removeAllListeners();
    await this.notify.close();
  }
}
