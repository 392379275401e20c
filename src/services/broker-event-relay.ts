import { outboxRetryDelayMs, type BrokerEventMessage } from '../domain/outbox.js';
import { brokerEventBody } from '../domain/webhooks.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import type { EventPublisher, PublishedEvent } from '../ports/event-publisher.port.js';
import type { OutboxEntry } from '../ports/outbox.port.js';
import { subjectData, type EventPresenter } from './event-payload.js';
import { RelayLoop } from './relay-loop.js';

export interface BrokerEventRelayOptions {
  /** This relay's name on its leases. */
  owner: string;
  /** How often it looks for rows. Default 500 ms; `poke` passes at once. */
  pollMs?: number;
  /** Rows taken per pass. Default 100. */
  batch?: number;
  /** How long a pass holds its rows. Default 60 s: longer than a batch waiting out the publisher's timeouts. */
  leaseMs?: number;
  /** Backoff of a row the broker did not take: base, doubling per try, at most max. Default 1 s … 60 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

type Logger = { warn(obj: object, msg: string): void; debug?(obj: object, msg: string): void };

/** What one pass did (tests and logs). */
export interface RelayPass {
  published: number;
  /** Rows whose subject is gone: marked sent, nothing to publish. */
  gone: number;
  /** Rows the broker did not take: given back with a backoff. */
  failed: number;
}

/**
 * Publishes the outbox's `broker.event` rows (src/domain/outbox.ts) on the broker, in the
 * worker processes: leases due rows, presents each event's subject as the API shows it now
 * (the webhook payload code), publishes, and marks a row sent only once the broker took it
 * (RabbitMQ confirmed it, Redis answered the XADD). A row the broker did not take is given
 * back and offered again after a backoff (1 s, doubling, at most 60 s), so a broker that is
 * down loses nothing: the event goes out once it is back. At least once: a relay that dies
 * between the publish and the mark, or a publish that timed out but had arrived, sends the
 * event again with the same `id`.
 */
export class BrokerEventRelay {
  private readonly loop: RelayLoop;

  constructor(
    private readonly deps: { db: Pick<Database, 'outbox' | 'jobs' | 'uploads'>; publisher: EventPublisher; clock: Clock; presenter: EventPresenter; logger?: Logger },
    private readonly opts: BrokerEventRelayOptions,
  ) {
    this.loop = new RelayLoop(async () => {
      const pass = await this.tick();
      return pass.published + pass.gone > 0;
    }, { pollMs: opts.pollMs ?? 500, name: 'broker event relay', logger: deps.logger });
  }

  start(): void {
    this.loop.start();
  }

  /** An event may have been written (a status change of this process): pass now, or right after the running pass. */
  poke(): void {
    this.loop.poke();
  }

  /** Stops passing and waits for the pass that runs; its unmarked rows keep their lease until it runs out. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass over up to `batch` due rows, oldest first. */
  async tick(): Promise<RelayPass> {
    const { db, clock } = this.deps;
    const owner = this.opts.owner;
    const rows = await db.outbox.claimDue({ owner, now: clock.now(), leaseMs: this.opts.leaseMs ?? 60_000, kinds: ['broker.event'], limit: this.opts.batch ?? 100, freshAfterMs: 0 });
    if (!rows.length) return { published: 0, gone: 0, failed: 0 };
    // Presented together, then published in the rows' order in one go (one channel or one
    // connection keeps that order); each row settles on its own answer.
    const events = await Promise.allSettled(rows.map((row) => this.present(row)));
    const results = await Promise.allSettled(
      events.map((e) => (e.status === 'rejected' ? Promise.reject(e.reason as Error) : e.value === 'gone' ? Promise.resolve('gone' as const) : this.deps.publisher.publish(e.value).then(() => 'published' as const))),
    );
    const done = rows.filter((_, i) => results[i]!.status === 'fulfilled');
    await db.outbox.complete(done.map((r) => r.id), owner, clock.now());
    const failed = rows.flatMap((row, i) => {
      const r = results[i]!;
      return r.status === 'rejected' ? [{ row, error: r.reason instanceof Error ? r.reason.message : String(r.reason) }] : [];
    });
    for (const { row, error } of failed) {
      const availableAt = clock.now() + outboxRetryDelayMs(row.attempts, this.opts.retryBaseMs ?? 1000, this.opts.retryMaxMs ?? 60_000);
      await db.outbox.release([row.id], owner, { availableAt, error });
    }
    if (failed.length) {
      this.deps.logger?.warn(
        { failed: failed.length, destination: this.deps.publisher.destination, err: failed[0]!.error },
        'the broker did not take some events; they are kept and offered again after a backoff',
      );
    }
    const gone = results.filter((r) => r.status === 'fulfilled' && r.value === 'gone').length;
    return { published: done.length - gone, gone, failed: failed.length };
  }

  /** The event of a row, its `data` as the API shows the subject now; 'gone' when the subject no longer exists. */
  private async present(row: OutboxEntry): Promise<PublishedEvent | 'gone'> {
    const m = row.message as BrokerEventMessage;
    const data = await subjectData(this.deps, { accountId: m.accountId, subject: m.subject, subjectId: m.id }, 'broker-events');
    if (data === undefined) {
      this.deps.logger?.debug?.({ event: m.eventId, subject: m.id }, `the ${m.subject} of a broker event no longer exists; nothing to publish`);
      return 'gone';
    }
    const body = brokerEventBody({ id: m.eventId, accountId: m.accountId, type: m.type, at: m.at, output: m.output ?? null, phase: m.phase ?? null }, data);
    return { id: m.eventId, type: m.type, accountId: m.accountId, at: m.at, body };
  }
}
