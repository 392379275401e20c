import pg from 'pg';
import type { QueueWaker } from '../db-queue/db.job-queue.js';

type Listener = (payload: string) => void;

/** At most this many notifications in one statement (two parameters each). */
const MAX_BATCH = 500;

interface Batch {
  items: Array<[string, string]>;
  sent: Promise<void>;
}

/**
 * One dedicated connection for PostgreSQL LISTEN/NOTIFY (a pooled connection cannot
 * listen: the pool hands it to someone else). It reconnects with backoff after the server
 * goes away, listens again on every channel, and then calls every listener with an empty
 * payload, because notifications sent while it was away are lost: a listener treats that
 * call as "something may have happened, look again".
 */
export class PgNotify {
  private client: pg.Client | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  /** pg wants one query at a time per client; this chains them. */
  private tail: Promise<unknown> = Promise.resolve();
  /** The notifications waiting for the query on the wire to end, sent together after it. */
  private batch: Batch | null = null;

  private constructor(private readonly url: string) {}

  static async connect(url: string): Promise<PgNotify> {
    const n = new PgNotify(url);
    await n.open();
    return n;
  }

  private async open(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (msg) => {
      for (const fn of this.listeners.get(msg.channel) ?? []) fn(msg.payload ?? '');
    });
    const lost = () => {
      if (this.client !== client) return;
      this.client = null;
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    for (const channel of this.listeners.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
    this.client = client;
    this.attempt = 0;
  }

  private query(text: string, values?: unknown[]): Promise<unknown> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('the PostgreSQL notification connection is down; it reconnects by itself, try again shortly'));
    const run = this.tail.then(() => client.query(text, values));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = Math.min(5000, 100 * 2 ** this.attempt++);
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = null;
      try {
        await this.open();
        for (const set of this.listeners.values()) for (const fn of set) fn('');
      } catch {
        this.scheduleReconnect();
      }
    }, delay);
    this.reconnectTimer.unref();
  }

  /** Starts listening on `channel`; returns the function that stops this listener. */
  async listen(channel: string, fn: Listener): Promise<() => void> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      if (this.client) await this.query(`LISTEN ${quoteIdent(channel)}`);
    }
    set.add(fn);
    return () => {
      const s = this.listeners.get(channel);
      if (!s) return;
      s.delete(fn);
      if (s.size === 0) {
        this.listeners.delete(channel);
        if (this.client) void this.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => undefined);
      }
    };
  }

  /**
   * Sends a notification (delivered to every listener on the server, this one included).
   * Notifications sent while an earlier query is on the wire (a job's status and output
   * events come in bursts) leave together, in order, as one `SELECT pg_notify(…), …`: one
   * round trip instead of one each. PostgreSQL delivers one transaction's notifications in
   * the order sent, and folds identical ones on one channel into one (a repeated wake-up or
   * event says nothing new).
   */
  notify(channel: string, payload: string): Promise<void> {
    if (!this.batch || this.batch.items.length >= MAX_BATCH) {
      const batch: Batch = { items: [], sent: Promise.resolve() };
      // Its turn comes when the query before it ends; from then on, later notifications
      // start the next batch.
      batch.sent = this.tail.then(() => {
        if (this.batch === batch) this.batch = null;
        const client = this.client;
        if (!client) throw new Error('the PostgreSQL notification connection is down; it reconnects by itself, try again shortly');
        const list = batch.items.map((_, i) => `pg_notify($${2 * i + 1}, $${2 * i + 2})`).join(', ');
        return client.query(`SELECT ${list}`, batch.items.flat()).then(() => undefined);
      });
      this.tail = batch.sent.catch(() => undefined);
      this.batch = batch;
    }
    this.batch.items.push([channel, payload]);
    return this.batch.sent;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.listeners.clear();
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Channel that carries "a message is ready in queue <payload>" for db-queue consumers. */
export const QUEUE_CHANNEL = 'mediaforge_queue';

/** Wakes DbJobQueue consumers in every process when any process enqueues. */
export function pgQueueWaker(notify: PgNotify): QueueWaker {
  return {
    notify: (queue) => notify.notify(QUEUE_CHANNEL, queue),
    listen: (queue, fn) => {
      let off: (() => void) | null = null;
      let stopped = false;
      void notify
        .listen(QUEUE_CHANNEL, (payload) => {
          // Empty payload: reconnected, notifications may have been missed.
          if (payload === queue || payload === '') fn();
        })
        .then((stop) => {
          if (stopped) stop();
          else off = stop;
        })
        .catch(() => undefined);
      return () => {
        stopped = true;
        off?.();
      };
    },
  };
}
