/**
 * Webhook endpoints and their events (docs/notifications.md): what an account subscribes
 * to, and the rules a delivery follows. Pure: the store is src/ports/webhooks.port.ts, the
 * sender src/services/webhook-sender.ts.
 */

/**
 * Which `job.output.ready` this is: `playable` when an HLS output first can be played (its
 * master playlist is stored while the encode goes on), `stored` when the output is complete.
 * Rows written without one (before 0020, and every other event) are `stored` ones.
 */
export type OutputPhase = 'playable' | 'stored';

/** Events an endpoint may subscribe to. */
export const WEBHOOK_EVENT_TYPES = ['upload.ready', 'job.started', 'job.output.ready', 'job.succeeded', 'job.failed', 'job.canceled', 'job.progress'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The event `POST /v1/webhooks/{id}/test` sends: to that endpoint only, whatever it subscribes to. */
export const TEST_EVENT = 'webhook.test' as const;
export type AnyEventType = WebhookEventType | typeof TEST_EVENT;

/** What an endpoint created without `events` receives: every event type but `job.progress`, which is asked for by name. */
export const DEFAULT_EVENT_TYPES: readonly WebhookEventType[] = WEBHOOK_EVENT_TYPES.filter((t) => t !== 'job.progress');

/** A running job's `job.progress` comes at most this often. */
export const PROGRESS_EVENT_EVERY_MS = 10_000;

/**
 * A progress write at `now` carries a `job.progress` event when the last one (or, for an
 * attempt's first, the attempt's start) was at least 10 s before: so at most one per job
 * every 10 s, across attempts too (a new attempt starts after the last one ended).
 */
export const progressEventDue = (now: number, lastAt: number): boolean => now - lastAt >= PROGRESS_EVENT_EVERY_MS;

/** What an event is about: a job, an upload, or (the test event) the endpoint itself. */
export type EventSubject = 'job' | 'upload' | 'endpoint';

export const subjectOf = (type: AnyEventType): EventSubject => (type === TEST_EVENT ? 'endpoint' : type === 'upload.ready' ? 'upload' : 'job');

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** How long a rotated-out secret keeps signing beside the new one. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 3600_000;

/** Per attempt: the wait for the answer (connect, headers and body), and how much of the body is kept in the log. */
export const DELIVERY_TIMEOUT_MS = 15_000;
export const RESPONSE_KEEP_BYTES = 1024;

/** Events and deliveries are kept this long (the delivery log, replay), then removed. */
export const WEBHOOK_RETENTION_MS = 30 * 86_400_000;

/** A `Retry-After` (429, 502, 504) pauses an endpoint at most this long. */
export const MAX_PAUSE_MS = 3600_000;

export interface WebhookEndpoint {
  id: string;
  accountId: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  createdAt: number;
  updatedAt: number;
  /** Set by `PATCH { disabled: true }` or by a `410 Gone`; its pending deliveries wait until it is enabled again. */
  disabledAt: number | null;
  disabledReason: string | null;
}

/** The endpoint subscribes to this event type. The test event goes to the endpoint it was sent for, whatever it subscribes to. */
export function subscribes(endpoint: Pick<WebhookEndpoint, 'events'>, type: AnyEventType): boolean {
  return type === TEST_EVENT || endpoint.events.includes(type);
}

/** What the body is made of: `phase` is set on a `playable` job.output.ready only (OutputPhase above). */
type BodyEvent = { type: AnyEventType; at: number; output: number | null; phase?: OutputPhase | null };

/**
 * The body of every delivery, as Standard Webhooks recommends: `{ type, timestamp, data }`;
 * `output` and `phase` (`playable` or `stored`) for job.output.ready.
 */
export function deliveryBody(event: BodyEvent, data: unknown): string {
  return JSON.stringify(eventFields(event, data));
}

/**
 * An event as published on the broker (docs/notifications.md#events-on-the-broker): the
 * delivery's body with the event's `id` (the same on every re-send, and the webhook's
 * `webhook-id`) and the `accountId` it belongs to, so a consumer can deduplicate and route.
 */
export function brokerEventBody(event: BodyEvent & { id: string; accountId: string; type: WebhookEventType }, data: unknown): string {
  return JSON.stringify({ id: event.id, accountId: event.accountId, ...eventFields(event, data) });
}

const eventFields = (event: BodyEvent, data: unknown) => ({
  type: event.type,
  timestamp: new Date(event.at).toISOString(),
  ...(event.output !== null ? { output: event.output } : {}),
  ...(event.type === 'job.output.ready' ? { phase: event.phase ?? 'stored' } : {}),
  data,
});
