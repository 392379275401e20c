/**
 * The queue hands out work; it does not own job state. A message says "look at job X".
 * The handler resolving means ack; rejecting (or the process dying) means the message
 * comes back later. Duplicate deliveries are expected and harmless: the worker claims the
 * job in the database with a fenced update, and a second delivery finds nothing to do.
 */
import type { Route } from '../domain/routes.js';

export interface QueueMessage {
  jobId: string;
  /**
   * The job's route (its most demanding output type, see src/domain/routes.ts). Every
   * enqueue passes it, derived from the job's spec; consumers can take only some routes.
   */
  route: Route;
  /**
   * The W3C trace context of the enqueue (docs/observability.md#traces): every adapter carries
   * it inside the message, so the worker's `job.run` continues the trace. Absent: not traced.
   */
  traceparent?: string;
}

export interface ConsumeOptions {
  /** Handlers running at once in this consumer, over all its routes together. */
  concurrency: number;
  /** Only messages on these routes; absent means every route. */
  routes?: readonly Route[];
}

export interface QueueConsumer {
  /** Stops taking new messages and waits until running handlers have settled. */
  close(): Promise<void>;
}

export interface JobQueue {
  enqueue(message: QueueMessage, opts?: { delayMs?: number }): Promise<void>;
  consume(handler: (message: QueueMessage) => Promise<void>, opts: ConsumeOptions): QueueConsumer;
  /** Messages waiting or in flight (for metrics and autoscaling), over every route. */
  depth(): Promise<number>;
  /** The same, per route (every route present, 0 when empty). */
  depthByRoute(): Promise<Record<Route, number>>;
  close(): Promise<void>;
}
