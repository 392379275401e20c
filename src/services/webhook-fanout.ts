import { newId } from '../domain/ids.js';
import { outboxRetryDelayMs } from '../domain/outbox.js';
import { firstAttemptAt } from '../domain/webhook-schedule.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';

/**
 * The relay of `webhook.event` outbox rows (src/domain/outbox.ts): each row a transition wrote
 * in its own transaction becomes one event and one delivery per endpoint of the account that
 * subscribes to it, in one transaction with marking the row sent (WebhookDeliveryStore.fanOut),
 * so an event is fanned out exactly once whatever crashes when. Rows are leased as the queue
 * relay leases its own; a row that fails to fan out is offered again after a backoff.
 */
export class WebhookFanout {
  private readonly random: () => number;
  constructor(
    private readonly deps: { db: Pick<Database, 'outbox' | 'webhookDeliveries'>; clock: Clock; schedule: readonly number[]; random?: () => number },
    private readonly opts: { owner: string; leaseMs?: number },
  ) {
    this.random = deps.random ?? Math.random;
  }

  /** Fans out up to `limit` due rows, oldest first; returns the deliveries made. */
  async pass(limit = 100): Promise<number> {
    const { db, clock } = this.deps;
    const now = clock.now();
    // No grace period: nobody else sends these rows, so they are due as soon as they are committed.
    const rows = await db.outbox.claimDue({ owner: this.opts.owner, now, leaseMs: this.opts.leaseMs ?? 30_000, kinds: ['webhook.event'], limit, freshAfterMs: 0 });
    let made = 0;
    for (const row of rows) {
      const { message } = row;
      if (message.kind !== 'webhook.event') continue;
      try {
        made += (await db.webhookDeliveries.fanOut({ id: row.id, message }, this.opts.owner, clock.now(), () => this.newDelivery(clock.now()))) ?? 0;
      } catch (err) {
        const availableAt = clock.now() + outboxRetryDelayMs(row.attempts, 1000, 60_000);
        await db.outbox.release([row.id], this.opts.owner, { availableAt, error: (err as Error).message }).catch(() => undefined);
      }
    }
    return made;
  }

  private newDelivery(now: number) {
    return { id: newId('dlv', now), due: firstAttemptAt(this.deps.schedule, now, this.random()) };
  }
}
