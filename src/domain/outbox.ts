/**
 * What a transition asks to happen once it has committed. The repository writes these to
 * the `outbox` table in the same transaction as the state change; a relay
 * (src/services/outbox-relay.ts) sends them and marks them sent. Queue dispatch today;
 * webhook events and e-mails are further kinds of the same union.
 */
export type OutboxMessage = { kind: 'queue.dispatch'; jobId: string };

export type OutboxKind = OutboxMessage['kind'];

/** "Put job X on the queue": the relay derives the route and the delay from the job when it sends. */
export const dispatchMessage = (jobId: string): OutboxMessage => ({ kind: 'queue.dispatch', jobId });

/**
 * How long a message the queue refused waits before a relay offers it again: base, 2×base …
 * up to `maxMs`, counted by the times a relay has taken it.
 */
export function outboxRetryDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}
