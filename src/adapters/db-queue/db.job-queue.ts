import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { JobQueue, QueueConsumer, QueueMessage } from '../../ports/queue.port.js';
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
  /** Fallback poll period; enqueues in this process wake consumers at once. */
  pollMs?: number;
}

/**
 * The embedded queue: rows in the same database, leased to a consumer and deleted on
 * ack. A consumer that dies stops renewing its lease and the row becomes visible again.
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
        available_at: now + (opts?.delayMs ?? 0),
        lease_owner: null,
        lease_until: null,
        deliveries: 0,
        created_at: now,
      })
      .execute();
    this.wake.emit('wake');
  }

  async depth(): Promise<number> {
    const row = await this.db
      .selectFrom('queue_messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('queue', '=', this.opts.queue)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private async claimOne(): Promise<{ id: number; jobId: string } | null> {
    const now = this.opts.clock.now();
    return this.db.transaction().execute(async (trx) => {
      let q = trx
      .selectFrom('queue_messages')
      .select(['id', 'job_id'])
      .where('queue', '=', this.opts.queue)
      .where('available_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('available_at')
      .orderBy('id')
      .limit(1);
      if (this.opts.caps.skipLocked) q = q.forUpdate().skipLocked();
      const candidate = await q.executeTakeFirst();
      if (!candidate) return null;
      // Conditional update: if someone else leased it between our read and write, we get 0 rows.
      const res = await trx
        .updateTable('queue_messages')
        .set((eb) => ({ lease_owner: this.opts.owner, lease_until: now + this.leaseMs, deliveries: eb('deliveries', '+', 1) }))
        .where('id', '=', candidate.id)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1 ? { id: Number(candidate.id), jobId: candidate.job_id } : null;
    });
  }

  consume(handler: (message: QueueMessage) => Promise<void>, opts: { concurrency: number }): QueueConsumer {
    let stopping = false;
    const inFlight = new Set<Promise<void>>();
    let wakeResolve: (() => void) | null = null;
    const onWake = () => wakeResolve?.();
    this.wake.on('wake', onWake);

    const deliver = async (msg: { id: number; jobId: string }) => {
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
        await handler({ jobId: msg.jobId });
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
        let msg: { id: number; jobId: string } | null = null;
        try {
          msg = await this.claimOne();
        } catch {
          msg = null;
        }
        if (msg) {
          const p = deliver(msg).finally(() => inFlight.delete(p));
          inFlight.add(p);
          continue;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollMs);
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
