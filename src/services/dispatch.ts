import type { JobRecord } from '../domain/job.js';
import { jobRoute } from '../domain/routes.js';
import type { Database } from '../ports/db.port.js';
import type { JobQueue } from '../ports/queue.port.js';

/**
 * Puts a job's message on the queue and clears the job's dispatch mark once the queue has
 * taken it (see JobRepository.markDispatched). The one place that pairs the two, for the
 * API (create, retry) and the worker (retry, hand-back, lease recovery, re-dispatch).
 */
export class Dispatcher {
  constructor(private readonly deps: { db: Pick<Database, 'jobs'>; queue: JobQueue }) {}

  /**
   * Rejects when the queue does not take the message; the mark then stays. `due` is the
   * mark the database set (null: leave any mark to the sweeper). A failed clear only costs a
   * harmless duplicate message later.
   */
  async send(job: Pick<JobRecord, 'id' | 'outputs'>, due: number | null, delayMs = 0): Promise<void> {
    await this.deps.queue.enqueue({ jobId: job.id, route: jobRoute(job.outputs) }, delayMs > 0 ? { delayMs } : undefined);
    if (due !== null) await this.deps.db.jobs.markDispatched(job.id, due).catch(() => undefined);
  }

  /**
   * Queued jobs whose message never reached the queue (the queue refused it, or a process
   * died between the database write and the enqueue) still carry their mark after `graceMs`:
   * sends their messages now, due ones at once, delayed retries with their remaining delay.
   * Stops at the first refusal (the queue is still away; the next sweep tries again). A
   * duplicate is harmless: the worker's claim is fenced. Returns the ids sent.
   */
  async redispatch(now: number, graceMs: number, limit = 50): Promise<string[]> {
    const sent: string[] = [];
    for (const { job, due } of await this.deps.db.jobs.undispatched(now - graceMs, limit)) {
      try {
        await this.send(job, due, Math.max(0, job.runAfter - now));
      } catch {
        break;
      }
      sent.push(job.id);
    }
    return sent;
  }
}
