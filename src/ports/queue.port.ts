/**
 * The queue hands out work; it does not own job state. A message says "look at job X".
 * The handler resolving means ack; rejecting (or the process dying) means the message
 * comes back later. Duplicate deliveries are expected and harmless: the worker claims the
 * job in the database with a fenced update, and a second delivery finds nothing to do.
 */
export interface QueueMessage {
  jobId: string;
}

export interface ConsumeOptions {
  concurrency: number;
}

export interface QueueConsumer {
  /** Stops taking new messages and waits until running handlers have settled. */
  close(): Promise<void>;
}

export interface JobQueue {
  enqueue(message: QueueMessage, opts?: { delayMs?: number }): Promise<void>;
  consume(handler: (message: QueueMessage) => Promise<void>, opts: ConsumeOptions): QueueConsumer;
  /** Messages waiting or in flight (for metrics and autoscaling). */
  depth(): Promise<number>;
  close(): Promise<void>;
}
