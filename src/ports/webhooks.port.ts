import type { WebhookEventMessage } from '../domain/outbox.js';
import type { Principal } from '../domain/principal.js';
import type { AnyEventType, DeliveryStatus, EventSubject, WebhookEndpoint } from '../domain/webhooks.js';

/**
 * Webhook endpoints, their events, deliveries and attempts (docs/notifications.md).
 *
 * `WebhookRepository` is what requests use: every method takes the caller's principal and
 * reads and writes only its account's rows (another account's endpoint answers as missing).
 * `WebhookDeliveryStore` is the senders' (worker processes'): system calls by id and lease,
 * like the job repository's claim and settle, made for no request.
 */

/** An endpoint as stored: its secrets sealed (src/services/webhook-secrets.ts), never in the clear. */
export interface StoredEndpoint extends WebhookEndpoint {
  secret: string;
  /** The secret before the last rotation, signing beside the new one until `previousSecretUntil`. */
  previousSecret: string | null;
  previousSecretUntil: number | null;
  /** A receiver's Retry-After: none of its deliveries is sent before this. */
  pausedUntil: number | null;
  /** 0017: every attempt since this time has failed; null after a success (or before any failure). */
  failingSince?: number | null;
}

export interface WebhookEventRecord {
  /** `evt_…`: the `webhook-id` of every delivery of this event, retries and replays included. */
  id: string;
  accountId: string;
  type: AnyEventType;
  subject: EventSubject;
  subjectId: string;
  /** The output's index, for job.output.ready. */
  output: number | null;
  /** 'playable' for the job.output.ready of an HLS output that first can be played; null otherwise (src/domain/webhooks.ts OutputPhase). */
  phase?: 'playable' | null;
  at: number;
}

export interface DeliveryAttempt {
  at: number;
  /** The receiver's status; null when it gave none (refused, unreachable, timed out). */
  statusCode: number | null;
  latencyMs: number;
  /** The first 1 KiB of the answer's body. */
  responseBody: string | null;
  error: string | null;
}

export interface DeliveryRecord {
  id: string;
  endpointId: string;
  event: WebhookEventRecord;
  status: DeliveryStatus;
  /** Attempts made (a sender that died mid-attempt counts too). */
  attempts: number;
  nextAttemptAt: number | null;
  createdAt: number;
  updatedAt: number;
  /** Oldest first; filled in by the delivery log. */
  log: DeliveryAttempt[];
}

export type EndpointPatch = Partial<Pick<StoredEndpoint, 'url' | 'events' | 'description' | 'disabledAt' | 'disabledReason' | 'secret' | 'previousSecret' | 'previousSecretUntil'>> & { updatedAt: number };

/** A new delivery: its id, and when its first attempt is due. */
export interface NewDelivery {
  id: string;
  due: number;
}

export interface WebhookRepository {
  createEndpoint(principal: Principal, endpoint: StoredEndpoint): Promise<void>;
  getEndpoint(principal: Principal, id: string): Promise<StoredEndpoint | null>;
  /** Oldest first. */
  listEndpoints(principal: Principal): Promise<StoredEndpoint[]>;
  countEndpoints(principal: Principal): Promise<number>;
  updateEndpoint(principal: Principal, id: string, patch: EndpointPatch): Promise<StoredEndpoint | null>;
  /** Removes the endpoint with its deliveries and their attempts. False when there is no such endpoint there. */
  deleteEndpoint(principal: Principal, id: string): Promise<boolean>;
  /** Writes an event and one delivery of it to this endpoint, together (the test event). Null when there is no such endpoint there. */
  addEvent(principal: Principal, endpointId: string, event: Omit<WebhookEventRecord, 'accountId'>, delivery: NewDelivery): Promise<DeliveryRecord | null>;
  /**
   * Newest first, each with its attempts: one endpoint's, or (`endpointId` null) every endpoint's
   * of the account; `subjectId` keeps those of the events about one job or upload.
   */
  listDeliveries(principal: Principal, endpointId: string | null, query: { status?: DeliveryStatus; limit: number; cursor?: string; subjectId?: string }): Promise<{ deliveries: DeliveryRecord[]; nextCursor: string | null }>;
  getDelivery(principal: Principal, endpointId: string, deliveryId: string): Promise<DeliveryRecord | null>;
  /** A pending delivery becomes due at `now`. False when it is not pending (or not there). */
  expedite(principal: Principal, endpointId: string, deliveryId: string, now: number): Promise<boolean>;
  /** A new delivery of the same event to the same endpoint (same webhook-id). Null when there is no such delivery there. */
  redeliver(principal: Principal, endpointId: string, deliveryId: string, delivery: NewDelivery & { now: number }): Promise<DeliveryRecord | null>;
  /**
   * A new delivery to this endpoint of every event of its account at or after `since` that
   * it subscribes to (the test events excepted), oldest first, at most `limit`. Returns how many.
   */
  replay(principal: Principal, endpointId: string, req: { since: number; now: number; limit: number; delivery: () => NewDelivery }): Promise<number>;
}

/** A delivery a sender holds for one attempt: `attempts` (this attempt's number) and `owner` are its fence. */
export interface ClaimedDelivery {
  id: string;
  attempts: number;
  owner: string;
  event: WebhookEventRecord;
  endpoint: StoredEndpoint;
}

export interface SettleAttempt {
  attempt: DeliveryAttempt;
  status: DeliveryStatus;
  nextAttemptAt: number | null;
  /** Disables the endpoint (410 Gone) with this reason. */
  disableEndpoint: string | null;
  pauseEndpointUntil: number | null;
  /**
   * What the attempt says of the endpoint: `ok` (a 2xx) stops its failure clock, `failing`
   * starts it (or lets it run); absent or null: nothing (no request was made).
   */
  endpointHealth?: 'ok' | 'failing' | null;
  /** An endpoint whose failure clock has run this long is disabled by this settle (docs/notifications.md); absent or null: never. */
  disableFailingAfterMs?: number | null;
  /** The delivery ran out of attempts: its account is told (an e-mail, when the database writes them). */
  exhausted?: boolean;
}

export interface WebhookDeliveryStore {
  /**
   * One outbox row (kind `webhook.event`, leased by `owner`) becomes an event and one delivery
   * per enabled endpoint of the subject's account that subscribes to its type, in one
   * transaction with marking the row sent: a row is fanned out once, or not at all (lease
   * lost: null). No endpoint subscribes, or the subject is gone: the row is marked, nothing written (0).
   */
  fanOut(row: { id: number; message: WebhookEventMessage }, owner: string, now: number, delivery: () => NewDelivery): Promise<number | null>;
  /**
   * Leases due pending deliveries of enabled, unpaused endpoints: at most `limit`, and per
   * endpoint no more than `perEndpoint` in flight (counting other senders' leases). Each claim
   * counts an attempt.
   */
  claim(req: { owner: string; now: number; leaseMs: number; limit: number; perEndpoint: number }): Promise<ClaimedDelivery[]>;
  /** Records the attempt and the delivery's new state; only while `fence` still holds the delivery. */
  settle(fence: Pick<ClaimedDelivery, 'id' | 'attempts' | 'owner'>, result: SettleAttempt, now: number): Promise<boolean>;
  /** Deletes events, deliveries and attempts created before `before`; returns the deliveries removed. */
  prune(before: number, limit: number): Promise<number>;
}

/** What a receiver answered: its status, its Retry-After, the start of its body. */
export interface WebhookAnswer {
  status: number;
  retryAfter: string | null;
  /** At most RESPONSE_KEEP_BYTES of it. */
  body: string;
}

/** HTTP to receivers, under the webhook URL policy (MEDIAFORGE_WEBHOOK_ALLOWLIST). */
export interface WebhookTransport {
  /** Resolves the URL's host and checks every address, sending nothing (an endpoint being created or changed). Throws url_forbidden or url_unreachable. */
  check(url: string): Promise<void>;
  /**
   * One POST: the host resolved and checked again, the connection made to the checked
   * address, no redirect followed, the whole exchange cut at `timeoutMs`. Throws url_forbidden
   * when the policy refuses, url_unreachable when no answer came; rejects at once when `signal` aborts.
   */
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number, signal?: AbortSignal): Promise<WebhookAnswer>;
}
