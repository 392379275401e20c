import type { Logger } from 'pino';
import type { JobRecord } from '../domain/job.js';
import type { Database } from '../ports/db.port.js';
import type { JobQueue } from '../ports/queue.port.js';
import { Dispatcher } from '../services/dispatch.js';

/**
 * The worker's one door to the queue after a database write: the settle step (retry with
 * backoff, hand-back at shutdown) and the sweeper (lease recovery, messages that never
 * reached the queue) go through it and nothing else in src/worker enqueues. Swapping the
 * dispatch mark for a transactional outbox relay replaces this file only.
 */
export interface QueueMessages {
  /** Sends the message of a job just written back to `queued`; never throws (the mark stays, the sweeper resends). */
  send(job: Pick<JobRecord, 'id' | 'outputs'>, due: number, delayMs?: number): Promise<void>;
  /** The sweeper's part: sends the messages of queued jobs whose mark is older than the grace period. */
  resendUndispatched(now: number): Promise<void>;
}

export function queueMessages(deps: { db: Database; queue: JobQueue; logger: Logger }, graceMs: number): QueueMessages {
  const dispatcher = new Dispatcher(deps);
  return {
    async send(job, due, delayMs = 0) {
      await dispatcher.send(job, due, delayMs).catch((err: unknown) => {
        deps.logger.warn({ job: job.id, err }, 'the queue did not take the message; the sweeper sends it again once the queue is back');
      });
    },
    async resendUndispatched(now) {
      // Messages that never reached the queue (it refused them, or a process died in between).
      const resent = await dispatcher.redispatch(now, graceMs);
      if (resent.length) deps.logger.warn({ jobs: resent }, 'sent queue messages that had not reached the queue');
    },
  };
}
