import type { EmailTopic } from './notify.js';
import type { OutputPhase, WebhookEventType } from './webhooks.js';

/**
 * What a transition asks to happen once it has committed. The repository writes these to
 * the `outbox` table in the same transaction as the state change; a relay sends them and
 * marks them sent: queue dispatches by src/services/outbox-relay.ts, webhook events by
 * src/services/webhook-fanout.ts (one delivery per endpoint that subscribes), the copy of
 * every event for the broker by src/services/broker-event-relay.ts, e-mails by
 * src/services/email-relay.ts.
 */
/**
 * `traceparent`: the W3C trace context of the span that wrote it (docs/observability.md#traces),
 * so the relay's enqueue, and the worker's run after it, continue the request's trace; absent
 * when nothing was traced.
 */
export type QueueDispatchMessage = { kind: 'queue.dispatch'; jobId: string; traceparent?: string };

/**
 * "This happened to job or upload X at `at`": the fan-out makes one delivery per subscribed
 * endpoint of the owner's account. `output` is the output's index for `job.output.ready`.
 * `eventId` is given when the row is written (the same id as the event's broker copy); rows
 * written before it existed get one at the fan-out.
 */
export type WebhookEventMessage = { kind: 'webhook.event'; type: WebhookEventType; subject: 'job' | 'upload'; id: string; at: number; output?: number; phase?: OutputPhase; eventId?: string };


/**
 * The same event for the broker (docs/notifications.md#events-on-the-broker), written beside
 * the webhook row for every event of every account when the database was opened with
 * `brokerEvents`. Its own kind, so a broker that is down delays only these rows and never
 * the webhooks. `accountId` is read from the subject in the writing transaction.
 */
export type BrokerEventMessage = {
  kind: 'broker.event';
  eventId: string;
  accountId: string;
  type: WebhookEventType;
  subject: 'job' | 'upload';
  id: string;
  at: number;
  output?: number;
  phase?: OutputPhase;
};

/**
 * An e-mail to tell (docs/notifications.md#e-mail), written only by a database opened with
 * `emails` and only when there is an address: for a job's end (`subjectId` the job; the
 * address, the job's or its account's, is read when it is sent), or for the account's
 * webhooks (`subjectId` the endpoint; what failed in `webhook`, the account's address read
 * when it is sent).
 */
export type EmailNotifyMessage = {
  kind: 'email.notify';
  topic: EmailTopic;
  subjectId: string;
  at: number;
  accountId?: string;
  webhook?: { url: string; eventId: string; eventType: string; deliveryId: string; reason: string };
};

export type OutboxMessage = QueueDispatchMessage | WebhookEventMessage | BrokerEventMessage | EmailNotifyMessage;

export type OutboxKind = OutboxMessage['kind'];

/** "Put job X on the queue": the relay derives the route and the delay from the job when it sends. */
export const dispatchMessage = (jobId: string, traceparent?: string | null): OutboxMessage => ({ kind: 'queue.dispatch', jobId, ...(traceparent ? { traceparent } : {}) });

/** A job's event for its account's webhooks. */
export const jobEventMessage = (type: Exclude<WebhookEventType, 'upload.ready'>, jobId: string, at: number, output?: number, phase?: OutputPhase): OutboxMessage => ({
  kind: 'webhook.event',
  type,
  subject: 'job',
  id: jobId,
  at,
  ...(output !== undefined ? { output } : {}),
  ...(phase === 'playable' ? { phase } : {}),
});

/** The broker's copy of a webhook event, for the account that owns its subject. */
export const brokerCopy = (m: WebhookEventMessage & { eventId: string }, accountId: string): BrokerEventMessage => ({
  kind: 'broker.event',
  eventId: m.eventId,
  accountId,
  type: m.type,
  subject: m.subject,
  id: m.id,
  at: m.at,
  ...(m.output !== undefined ? { output: m.output } : {}),
  ...(m.phase ? { phase: m.phase } : {}),
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
