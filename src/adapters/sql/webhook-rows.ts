import type { Kysely } from 'kysely';
import { WEBHOOK_EVENT_TYPES, type AnyEventType, type DeliveryStatus, type EventSubject, type WebhookEventType } from '../../domain/webhooks.js';
import type { DeliveryAttempt, DeliveryRecord, StoredEndpoint, WebhookEventRecord } from '../../ports/webhooks.port.js';
import type { Tables, WebhookAttemptsTable, WebhookEndpointsTable, WebhookEventsTable } from './schema.js';

/** Rows of the webhook tables (0015) and back, shared by webhook.repository.ts and webhook-delivery.store.ts. */
const num = (v: number | string | bigint | null): number | null => (v == null ? null : Number(v));

/** Event names a newer version wrote and this one does not know are dropped from the list, not fatal. */
function eventsOf(text: string): WebhookEventType[] {
  try {
    return (JSON.parse(text) as string[]).filter((t): t is WebhookEventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(t));
  } catch {
    return [];
  }
}

export function toEndpoint(row: WebhookEndpointsTable): StoredEndpoint {
  return {
    id: row.id,
    accountId: row.account_id,
    url: row.url,
    events: eventsOf(row.events),
    description: row.description,
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousSecretUntil: num(row.previous_secret_until),
    pausedUntil: num(row.paused_until),
    ...(row.failing_since != null ? { failingSince: Number(row.failing_since) } : {}),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    disabledAt: num(row.disabled_at),
    disabledReason: row.disabled_reason,
  };
}

/** A new endpoint's row; `failing_since` only when set (a new endpoint has none; the column is 0017's). */
export function endpointRow(e: StoredEndpoint): Omit<WebhookEndpointsTable, 'failing_since'> & { failing_since?: number } {
  return {
    id: e.id,
    account_id: e.accountId,
    url: e.url,
    events: JSON.stringify(e.events),
    description: e.description,
    secret: e.secret,
    previous_secret: e.previousSecret,
    previous_secret_until: e.previousSecretUntil,
    paused_until: e.pausedUntil,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
    disabled_at: e.disabledAt,
    disabled_reason: e.disabledReason,
    ...(e.failingSince != null ? { failing_since: e.failingSince } : {}),
  };
}

export function toEvent(row: WebhookEventsTable): WebhookEventRecord {
  return { id: row.id, accountId: row.account_id, type: row.type as AnyEventType, subject: row.subject as EventSubject, subjectId: row.subject_id, output: num(row.output), phase: row.phase === 'playable' ? 'playable' : null, at: Number(row.at) };
}

export function eventRow(e: WebhookEventRecord): WebhookEventsTable {
  return { id: e.id, account_id: e.accountId, type: e.type, subject: e.subject, subject_id: e.subjectId, output: e.output, ...(e.phase ? { phase: e.phase } : {}), at: e.at };
}

function toAttempt(row: Omit<WebhookAttemptsTable, 'id'>): DeliveryAttempt {
  return { at: Number(row.at), statusCode: num(row.status_code), latencyMs: Number(row.latency_ms), responseBody: row.response_body, error: row.error };
}

/** The deliveries with these ids, each with its event (and with `withLog`, its attempts), in the order of `ids`. */
export async function readDeliveries(db: Kysely<Tables>, ids: string[], withLog: boolean): Promise<DeliveryRecord[]> {
  if (!ids.length) return [];
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .selectAll('e')
    .select(['d.id as delivery_id', 'd.endpoint_id', 'd.status', 'd.attempts', 'd.next_attempt_at', 'd.created_at', 'd.updated_at'])
    .where('d.id', 'in', ids)
    .execute();
  const log = new Map<string, DeliveryAttempt[]>();
  if (withLog) {
    const attempts = await db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', ids).orderBy('id').execute();
    for (const a of attempts) log.set(a.delivery_id, [...(log.get(a.delivery_id) ?? []), toAttempt(a)]);
  }
  const byId = new Map(
    rows.map((r) => [
      r.delivery_id,
      {
        id: r.delivery_id,
        endpointId: r.endpoint_id,
        event: toEvent(r),
        status: r.status as DeliveryStatus,
        attempts: Number(r.attempts),
        nextAttemptAt: num(r.next_attempt_at),
        createdAt: Number(r.created_at),
        updatedAt: Number(r.updated_at),
        log: log.get(r.delivery_id) ?? [],
      } satisfies DeliveryRecord,
    ]),
  );
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** A new pending delivery row. */
export const deliveryRow = (d: { id: string; endpointId: string; eventId: string; accountId: string; due: number; now: number }) => ({
  id: d.id,
  endpoint_id: d.endpointId,
  event_id: d.eventId,
  account_id: d.accountId,
  status: 'pending',
  attempts: 0,
  next_attempt_at: d.due,
  lease_owner: null,
  lease_until: null,
  created_at: d.now,
  updated_at: d.now,
});
