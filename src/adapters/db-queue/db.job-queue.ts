import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { ConsumeOptions, JobQueue, QueueConsumer, QueueMessage } from '../../ports/queue.port.js';
import { consumedRoutes, ROUTES, type Route } from '../../domain/routes.js';
import type { Clock } from '../../ports/clock.port.js';
import type { DialectCapabilities } from '../sql/dialect.js';
import type { Tables } from '../sql/schema.js';

export interface DbQueueOptions {
  queue: string;
  owner: string;
  clock: Clock;
  caps: DialectCapabilities;
  /** How long a delivered message stays invisible without a heartbeat. */
  leaseMs?: number;
  /** Fallback poll period; enqueues in this process (or through the waker) wake consumers at once. */
  pollMs?: number;
  /** Wakes consumers in other processes (PostgreSQL LISTEN/NOTIFY); without it they poll. */
  waker?: QueueWaker;
}

/**
 * Cross-process wake-ups. A lost wake-up only costs latency: consumers still poll every
 * `pollMs` and sleep no longer than the next delayed message's due time.
 */
export interface QueueWaker {
  notify(queue: string): Promise<void>;
  /** Calls `fn` when some process enqueued on `queue`; returns the function that stops it. */
  listen(queue: string, fn: () => void): () => void;
}

interface Claimed {
  id: number;
  jobId: string;
  route: Route;
  traceparent: string | null;
}

/**
 * The embedded queue: rows in the same database, leased to a consumer and deleted on
 * ack. A consumer that dies stops renewing its lease and the row becomes visible again.
 * Each row carries its job's route; a consumer given routes claims only those rows
 * (`route IN (...)`, still one SKIP LOCKED statement on PostgreSQL). Wake-ups stay per
 * queue: a consumer woken for another route's message finds nothing and sleeps again.
 */
export class DbJobQueue implements JobQueue {
  private readonly wake = new EventEmitter();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private closed = false;
  private readonly consumers = new Set<QueueConsumer>();

  constructor(private readonly db: Kysely<Tables>, private readonly opts: DbQueueOptions) {
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 500;
    this.wake.setMaxListeners(0);
  }

  async enqueue(message: QueueMessage, opts?: { delayMs?: number }): Promise<void> {
    const now = this.opts.clock.now();
    await this.db
      .insertInto('queue_messages')
      .values({
        queue: this.opts.queue,
        job_id: message.jobId,
        route: message.route,
        traceparent: message.traceparent ?? null,
        available_at: now + (opts?.delayMs ?? 0),
        lease_owner: null,
        lease_until: null,
        deliveries: 0,
        created_at: now,
      })
      .execute();
    this.wake.emit('wake');
    // The row is committed, so the message is safe: a failed notify only delays delivery
    // until the consumers' next poll.
    await this.opts.waker?.notify(this.opts.queue).catch(() => undefined);
  }

  /** When the earliest waiting (unleased) message on these routes becomes due, or null when none waits. */
  private async nextDueAt(routes: readonly Route[] | null): Promise<number | null> {
    let q = this.db
      .selectFrom('queue_messages')
      .select((eb) => eb.fn.min('available_at').as('due'))
      .where('queue', '=', this.opts.queue)
      .where('lease_until', 'is', null);
    if (routes) q = q.where('route', 'in', routes);
    const row = await q.executeTakeFirst();
    return row?.due == null ? null : Number(row.due);
  }

  async depth(): Promise<number> {
    const row = await this.db
      .selectFrom('queue_messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('queue', '=', this.opts.queue)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async depthByRoute(): Promise<Record<Route, number>> {
    const rows = await this.db
      .selectFrom('queue_messages')
      .select(['route', (eb) => eb.fn.countAll<number>().as('n')])
      .where('queue', '=', this.opts.queue)
      .groupBy('route')
      .execute();
    const out = Object.fromEntries(ROUTES.map((r) => [r, 0])) as Record<Route, number>;
    for (const row of rows) if (row.route in out) out[row.route as Route] = Number(row.n);
    return out;
  }

  /** Leases up to `limit` due messages on these routes (null: any route). */
  private async claim(limit: number, routes: readonly Route[] | null): Promise<Claimed[]> {
    const now = this.opts.clock.now();
    if (this.opts.caps.skipLocked) {
      // One round trip and one commit for up to `limit` messages: pick and lease in a single
      // statement. SKIP LOCKED makes concurrent consumers (in any process) pass over rows
      // another one is taking right now. The pick is a MATERIALIZED CTE: as
      // `id IN (SELECT … LIMIT n …)` PostgreSQL may evaluate it again (a recheck after a
      // concurrent update) and lease more than `n`, messages this consumer has no slot for.
      const rows = await this.db
        .with(
          (cte) => cte('picked').materialized(),
          (db) =>
            db
              .selectFrom('queue_messages')
              .select('id')
              .where('queue', '=', this.opts.queue)
              .$if(routes !== null, (w) => w.where('route', 'in', routes!))
              .where('available_at', '<=', now)
              .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)]))
              .orderBy('available_at')
              .orderBy('id')
              .limit(limit)
              .forUpdate()
              .skipLocked(),
        )
        .updateTable('queue_messages')
        .set((eb) => ({ lease_owner: this.opts.owner, lease_until: now + this.leaseMs, deliveries: eb('deliveries', '+', 1) }))
        .from('picked')
        .whereRef('queue_messages.id', '=', 'picked.id')
        .returning(['queue_messages.id', 'queue_messages.job_id', 'queue_messages.route', 'queue_messages.traceparent'])
        .execute();
      return rows.map((row) => ({ id: Number(row.id), jobId: row.job_id, route: row.route as Route, traceparent: row.traceparent }));
    }
    const one = await this.claimOne(now, routes);
    return one ? [one] : [];
  }

  private async claimOne(now: number, routes: readonly Route[] | null): Promise<Claimed | null> {
    return this.db.transaction().execute(async (trx) => {
      const q = trx
      .selectFrom('queue_messages')
      .select(['id', 'job_id', 'route', 'traceparent'])
      .where('queue', '=', this.opts.queue)
      .$if(routes !== null, (w) => w.where('route', 'in', routes!))
      .where('available_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('available_at')
      .orderBy('id')
      .limit(1);
      const candidate = await q.executeTakeFirst();
      if (!candidate) return null;
      // Conditional update: if someone else leased it between our read and write, we get 0 rows.
      const res = await trx
        .updateTable('queue_messages')
        .set((eb) => ({ lease_owner: this.opts.owner, lease_until: now + this.leaseMs, deliveries: eb('deliveries', '+', 1) }))
        .where('id', '=', candidate.id)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1 ? { id: Number(candidate.id), jobId: candidate.job_id, route: candidate.route as Route, traceparent: candidate.traceparent } : null;
    });
  }

  consume(handler: (message: QueueMessage) => Promise<void>, opts: ConsumeOptions): QueueConsumer {
    // Every route given is the same as no filter: keep the plain (index-friendly) query.
    const wanted = consumedRoutes(opts.routes);
    const routes = wanted.length === ROUTES.length ? null : wanted;
    let stopping = false;
    const inFlight = new Set<Promise<void>>();
    let wakeResolve: (() => void) | null = null;
    // A wake-up that arrives while the loop is busy claiming must not be lost.
    let woke = false;
    const onWake = () => {
      woke = true;
      wakeResolve?.();
    };
    this.wake.on('wake', onWake);
    const stopWaker = this.opts.waker?.listen(this.opts.queue, onWake);

    const deliver = async (msg: Claimed) => {
      const renew = setInterval(() => {
        void this.db
          .updateTable('queue_messages')
          .set({ lease_until: this.opts.clock.now() + this.leaseMs })
          .where('id', '=', msg.id)
          .where('lease_owner', '=', this.opts.owner)
          .execute()
          .catch(() => undefined);
      }, Math.max(250, Math.floor(this.leaseMs / 3)));
      // Renewal alone must not keep a process alive: the handler's own work does that.
      renew.unref();
      try {
        await handler({ jobId: msg.jobId, route: msg.route, ...(msg.traceparent ? { traceparent: msg.traceparent } : {}) });
        await this.db.deleteFrom('queue_messages').where('id', '=', msg.id).where('lease_owner', '=', this.opts.owner).execute();
      } catch {
        // Nack: make it visible again shortly; the database decides whether there is work left.
        await this.db
          .updateTable('queue_messages')
          .set({ lease_owner: null, lease_until: null, available_at: this.opts.clock.now() + 1000 })
          .where('id', '=', msg.id)
          .where('lease_owner', '=', this.opts.owner)
          .execute()
          .catch(() => undefined);
        // Due again in a second: look then, not at the next poll (which may be seconds away).
        setTimeout(onWake, 1000).unref();
      } finally {
        clearInterval(renew);
      }
    };

    const loop = (async () => {
      while (!stopping && !this.closed) {
        if (inFlight.size >= opts.concurrency) {
          await Promise.race(inFlight);
          continue;
        }
        let msgs: Claimed[] = [];
        woke = false;
        try {
          msgs = await this.claim(opts.concurrency - inFlight.size, routes);
        } catch {
          msgs = [];
        }
        if (msgs.length > 0) {
          for (const msg of msgs) {
            const p = deliver(msg).finally(() => inFlight.delete(p));
            inFlight.add(p);
          }
          continue;
        }
        if (woke) continue;
        let sleepMs = this.pollMs;
        const due = await this.nextDueAt(routes).catch(() => null);
        if (due !== null) sleepMs = Math.max(10, Math.min(sleepMs, due - this.opts.clock.now()));
        if (woke) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, sleepMs);
          wakeResolve = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakeResolve = null;
      }
    })();

    const consumer: QueueConsumer = {
      close: async () => {
        stopping = true;
        wakeResolve?.();
        this.wake.off('wake', onWake);
        stopWaker?.();
        await loop;
        await Promise.allSettled([...inFlight]);
        this.consumers.delete(consumer);
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
  }
}
