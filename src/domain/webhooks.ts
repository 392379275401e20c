/**
 * Webhook endpoints and their events (docs/notifications.md): what an account subscribes
 * to, and the rules a delivery follows. Pure: the store is src/ports/webhooks.port.ts, the
 * sender src/services/webhook-sender.ts.
 */

/** Events an endpoint may subscribe to. `job.progress` (opt-in) is a later slice. */
export const WEBHOOK_EVENT_TYPES = ['upload.ready', 'job.started', 'job.output.ready', 'job.succeeded', 'job.failed', 'job.canceled'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The event `POST /v1/webhooks/{id}/test` sends: to that endpoint only, whatever it subscribes to. */
export const TEST_EVENT = 'webhook.test' as const;
export type AnyEventType = WebhookEventType | typeof TEST_EVENT;

/** What an endpoint created without `events` receives: every event type. */
export const DEFAULT_EVENT_TYPES: readonly WebhookEventType[] = WEBHOOK_EVENT_TYPES;

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

/** The body of every delivery, as Standard Webhooks recommends: `{ type, timestamp, data }`; `output` for job.output.ready. */
export function deliveryBody(event: { type: AnyEventType; at: number; output: number | null }, data: unknown): string {
  return JSON.stringify({ type: event.type, timestamp: new Date(event.at).toISOString(), ...(event.output !== null ? { output: event.output } : {}), data });
}
