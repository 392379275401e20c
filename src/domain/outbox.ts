import type { WebhookEventType } from './webhooks.js';

/**
 * What a transition asks to happen once it has committed. The repository writes these to
 * the `outbox` table in the same transaction as the state change; a relay sends them and
 * marks them sent: queue dispatches by src/services/outbox-relay.ts, webhook events by
 * src/services/webhook-fanout.ts (one delivery per endpoint that subscribes). E-mails are
 * a further kind of the same union.
 */
export type QueueDispatchMessage = { kind: 'queue.dispatch'; jobId: string };

/**
 * "This happened to job or upload X at `at`": the fan-out gives it an event id and one
 * delivery per subscribed endpoint of the owner's account. `output` is the output's index
 * for `job.output.ready`.
 */
export type WebhookEventMessage = { kind: 'webhook.event'; type: WebhookEventType; subject: 'job' | 'upload'; id: string; at: number; output?: number };

export type OutboxMessage = QueueDispatchMessage | WebhookEventMessage;

export type OutboxKind = OutboxMessage['kind'];

/** "Put job X on the queue": the relay derives the route and the delay from the job when it sends. */
export const dispatchMessage = (jobId: string): OutboxMessage => ({ kind: 'queue.dispatch', jobId });

/** A job's event for its account's webhooks. */
export const jobEventMessage = (type: Exclude<WebhookEventType, 'upload.ready'>, jobId: string, at: number, output?: number): OutboxMessage => ({
  kind: 'webhook.event',
  type,
  subject: 'job',
  id: jobId,
  at,
  ...(output !== undefined ? { output } : {}),
});

export const uploadReadyMessage = (uploadId: string, at: number): OutboxMessage => ({ kind: 'webhook.event', type: 'upload.ready', subject: 'upload', id: uploadId, at });

/** The job a row is filed under (`outbox.job_id`): dispatches only. Events carry theirs in the payload, so a job's own send never takes them. */
export const outboxJobId = (m: OutboxMessage): string | null => (m.kind === 'queue.dispatch' ? m.jobId : null);

/**
 * How long a message the queue refused waits before a relay offers it again: base, 2×base …
 * up to `maxMs`, counted by the times a relay has taken it.
 */
export function outboxRetryDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}
