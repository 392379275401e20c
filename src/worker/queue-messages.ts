import type { Logger } from 'pino';
import type { JobRecord } from '../domain/job.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import type { JobQueue } from '../ports/queue.port.js';
import { OutboxRelay } from '../services/outbox-relay.js';

/**
 * The worker's one door to the queue after a database write: the settle step (retry with
 * backoff, hand-back at shutdown) and the sweeper (lease recovery, outbox rows no writer
 * sent) go through it and nothing else in src/worker enqueues. The write itself already put
 * the message in the outbox, in its own transaction; this only sends it now instead of
 * waiting for the sweeper.
 */
export interface QueueMessages {
  /** Sends the outbox rows of a job just written back to `queued`; never throws (a refused row stays, the sweeper resends). */
  send(job: Pick<JobRecord, 'id' | 'accountId'>): Promise<void>;
  /** The sweeper's part: sends the outbox rows nobody sent (past the grace period or their backoff), then prunes old sent rows. */
  resendUndispatched(): Promise<void>;
}

export function queueMessages(
  deps: { db: Database; queue: JobQueue; clock: Clock; logger: Logger },
  opts: { owner: string; leaseMs: number; graceMs: number },
): QueueMessages {
  const relay = new OutboxRelay(deps, opts);
  return {
    async send(job) {
      const result = await relay.sendForJob(job.id).catch((err: unknown) => ({ status: 'refused' as const, error: err }));
      if (result.status === 'refused') {
        deps.logger.warn({ jobId: job.id, accountId: job.accountId, err: result.error }, 'the queue did not take the message; the sweeper sends it again once the queue is back');
      }
    },
    async resendUndispatched() {
      const { sent, refused } = await relay.pass();
      if (sent.length) deps.logger.warn({ jobs: sent }, 'sent queue messages that had not reached the queue');
      if (refused) deps.logger.warn({ err: refused }, 'the queue still refuses messages; the next sweep tries again');
      await relay.prune();
    },
  };
}
