import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/principal.js';
import { checkWebhookUrl } from '../domain/url-policy.js';
import { firstAttemptAt } from '../domain/webhook-schedule.js';
import { generateWebhookSecret } from '../domain/webhook-signature.js';
import { DEFAULT_EVENT_TYPES, DELIVERY_STATUSES, PREVIOUS_SECRET_TTL_MS, TEST_EVENT, WEBHOOK_EVENT_TYPES, WEBHOOK_RETENTION_MS } from '../domain/webhooks.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import type { DeliveryRecord, NewDelivery, StoredEndpoint, WebhookTransport } from '../ports/webhooks.port.js';
import { parseOrThrow } from './validation.js';
import type { WebhookSecretBox } from './webhook-secrets.js';

/** Endpoints one account may have: each event fans out to all of them. */
export const MAX_ENDPOINTS = 50;
/** Events one replay sends again at most. */
export const MAX_REPLAY = 10_000;

const url = z.string().min(1).max(2000);
const events = z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length * 2);
const description = z.string().max(500).nullable();
export const createWebhookSchema = z.strictObject({
  url: url.describe('http(s); resolved and checked against the URL policy (MEDIAFORGE_WEBHOOK_ALLOWLIST)'),
  events: events.optional().describe(`default: ${DEFAULT_EVENT_TYPES.join(', ')}; job.progress (at most one per job every 10 s) only when named`),
  description: description.optional(),
});
export const updateWebhookSchema = z
  .strictObject({ url: url.optional(), events: events.optional(), description: description.optional(), disabled: z.boolean().optional().describe('false enables an endpoint again (after a 410 Gone too)') })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'give url, events, description or disabled');
export const deliveriesQuerySchema = z.strictObject({
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(/^dlv_[a-z0-9]+$/).optional(),
});
export const replaySchema = z.strictObject({ since: z.iso.datetime({ offset: true }).describe('every event at or after this time (ISO 8601) is sent again') });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An endpoint as the API shows it: never its secret (shown once, at creation and rotation). */
export function presentEndpoint(e: StoredEndpoint) {
  return { id: e.id, url: e.url, events: e.events, description: e.description, createdAt: iso(e.createdAt), disabledAt: iso(e.disabledAt), disabledReason: e.disabledReason, failingSince: iso(e.failingSince ?? null) };
}

export function presentDelivery(d: DeliveryRecord) {
  return {
    id: d.id,
    endpointId: d.endpointId,
    event: { id: d.event.id, type: d.event.type, timestamp: iso(d.event.at), subjectId: d.event.subjectId },
    status: d.status,
    attemptCount: d.attempts,
    nextAttemptAt: iso(d.nextAttemptAt),
    createdAt: iso(d.createdAt),
    attempts: d.log.map((a) => ({ at: iso(a.at), statusCode: a.statusCode, latencyMs: a.latencyMs, responseBody: a.responseBody, error: a.error })),
  };
}

/**
 * An account's webhook endpoints (docs/notifications.md): created with a URL the URL policy
 * allows (checked again by the sender at every attempt), a secret shown once and kept sealed,
 * rotation with a day of overlap, the delivery log, retry and replay. Every call is the
 * principal's: another account's endpoint answers `not_found`, as an unknown id does.
 */
export class WebhooksService {
  private readonly random: () => number;
  constructor(
    private readonly deps: {
      db: Pick<Database, 'webhooks' | 'jobs'>;
      clock: Clock;
      transport: Pick<WebhookTransport, 'check'>;
      box: WebhookSecretBox;
      /** MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE: its first wait is when a new delivery is first tried. */
      schedule: readonly number[];
      random?: () => number;
    },
  ) {
    this.random = deps.random ?? Math.random;
  }

  async create(principal: Principal, body: unknown): Promise<{ endpoint: StoredEndpoint; secret: string }> {
    const req = parseOrThrow(createWebhookSchema, body, 'webhook endpoint');
    const target = await this.checkUrl(req.url);
    const used = await this.deps.db.webhooks.countEndpoints(principal);
    if (used >= MAX_ENDPOINTS) {
      throw new DomainError('quota_exceeded', `an account has at most ${MAX_ENDPOINTS} webhook endpoints; delete one first (DELETE /v1/webhooks/{id})`, { quota: 'webhookEndpoints', used, limit: MAX_ENDPOINTS });
    }
    const now = this.deps.clock.now();
    const secret = generateWebhookSecret();
    const endpoint: StoredEndpoint = {
      id: newId('whk', now),
      accountId: principal.accountId,
      url: target,
      events: [...new Set(req.events ?? DEFAULT_EVENT_TYPES)],
      description: req.description ?? null,
      secret: this.deps.box.seal(secret),
      previousSecret: null,
      previousSecretUntil: null,
      pausedUntil: null,
      failingSince: null,
      createdAt: now,
      updatedAt: now,
      disabledAt: null,
      disabledReason: null,
    };
    await this.deps.db.webhooks.createEndpoint(principal, endpoint);
    return { endpoint, secret };
  }

  list(principal: Principal): Promise<StoredEndpoint[]> {
    return this.deps.db.webhooks.listEndpoints(principal);
  }

  async get(principal: Principal, id: string): Promise<StoredEndpoint> {
    const endpoint = await this.deps.db.webhooks.getEndpoint(principal, id);
    if (!endpoint) throw new DomainError('not_found', `no webhook endpoint with id ${id}`);
    return endpoint;
  }

  // Every call naming an endpoint looks it up first: another account's id is `not_found` whatever the body says.
  async update(principal: Principal, id: string, body: unknown): Promise<StoredEndpoint> {
    await this.get(principal, id);
    const req = parseOrThrow(updateWebhookSchema, body, 'webhook endpoint change');
    const now = this.deps.clock.now();
    const updated = await this.deps.db.webhooks.updateEndpoint(principal, id, {
      updatedAt: now,
      ...(req.url !== undefined ? { url: await this.checkUrl(req.url) } : {}),
      ...(req.events !== undefined ? { events: [...new Set(req.events)] } : {}),
      ...(req.description !== undefined ? { description: req.description } : {}),
      ...(req.disabled === true ? { disabledAt: now, disabledReason: 'disabled through the API' } : req.disabled === false ? { disabledAt: null, disabledReason: null } : {}),
    });
    if (!updated) throw new DomainError('not_found', `no webhook endpoint with id ${id}`);
    return updated;
  }

  async remove(principal: Principal, id: string): Promise<StoredEndpoint> {
    const endpoint = await this.get(principal, id);
    if (!(await this.deps.db.webhooks.deleteEndpoint(principal, id))) throw new DomainError('not_found', `no webhook endpoint with id ${id}`);
    return endpoint;
  }

  /** A `webhook.test` event to this endpoint alone, delivered like any other. */
  async test(principal: Principal, id: string): Promise<DeliveryRecord> {
    await this.enabled(principal, id);
    const now = this.deps.clock.now();
    const event = { id: newId('evt', now), type: TEST_EVENT, subject: 'endpoint' as const, subjectId: id, output: null, at: now };
    const delivery = await this.deps.db.webhooks.addEvent(principal, id, event, this.newDelivery(now));
    if (!delivery) throw new DomainError('not_found', `no webhook endpoint with id ${id}`);
    return delivery;
  }

  /** A new secret; the one before keeps signing beside it for 24 h, so receivers can switch without losing a delivery. */
  async rotateSecret(principal: Principal, id: string): Promise<{ endpoint: StoredEndpoint; secret: string }> {
    const endpoint = await this.get(principal, id);
    const now = this.deps.clock.now();
    const secret = generateWebhookSecret();
    const updated = await this.deps.db.webhooks.updateEndpoint(principal, id, {
      updatedAt: now,
      secret: this.deps.box.seal(secret),
      previousSecret: endpoint.secret,
      previousSecretUntil: now + PREVIOUS_SECRET_TTL_MS,
    });
    if (!updated) throw new DomainError('not_found', `no webhook endpoint with id ${id}`);
    return { endpoint: updated, secret };
  }

  async deliveries(principal: Principal, id: string, query: unknown) {
    await this.get(principal, id);
    return this.deps.db.webhooks.listDeliveries(principal, id, parseOrThrow(deliveriesQuerySchema, query, 'query'));
  }

  /** Every delivery of one job's events to any of the account's endpoints (the console's job page); another account's job is `not_found`. */
  async jobDeliveries(principal: Principal, jobId: string, query: unknown) {
    const q = parseOrThrow(deliveriesQuerySchema, query, 'query');
    if (!(await this.deps.db.jobs.get(principal, jobId))) throw new DomainError('not_found', `no job with id ${jobId}`);
    return this.deps.db.webhooks.listDeliveries(principal, null, { ...q, subjectId: jobId });
  }

  /** A pending delivery is tried now; a finished one is sent again as a new delivery (same webhook-id). */
  async retryDelivery(principal: Principal, id: string, deliveryId: string): Promise<DeliveryRecord> {
    await this.get(principal, id);
    const existing = await this.deps.db.webhooks.getDelivery(principal, id, deliveryId);
    if (!existing) throw new DomainError('not_found', `no delivery ${deliveryId} of webhook endpoint ${id}`);
    await this.enabled(principal, id);
    const now = this.deps.clock.now();
    if (existing.status === 'pending' && (await this.deps.db.webhooks.expedite(principal, id, deliveryId, now))) {
      return (await this.deps.db.webhooks.getDelivery(principal, id, deliveryId)) ?? existing;
    }
    const fresh = await this.deps.db.webhooks.redeliver(principal, id, deliveryId, { ...this.newDelivery(now), now });
    if (!fresh) throw new DomainError('not_found', `no delivery ${deliveryId} of webhook endpoint ${id}`);
    return fresh;
  }

  /** Every event since `since` that the endpoint subscribes to, sent again (events are kept 30 days). */
  async replay(principal: Principal, id: string, body: unknown): Promise<{ replayed: number; since: string }> {
    await this.get(principal, id);
    const req = parseOrThrow(replaySchema, body, 'replay');
    await this.enabled(principal, id);
    const now = this.deps.clock.now();
    const since = Math.max(Date.parse(req.since), now - WEBHOOK_RETENTION_MS);
    const replayed = await this.deps.db.webhooks.replay(principal, id, { since, now, limit: MAX_REPLAY, delivery: () => this.newDelivery(now) });
    return { replayed, since: new Date(since).toISOString() };
  }

  private async enabled(principal: Principal, id: string): Promise<StoredEndpoint> {
    const endpoint = await this.get(principal, id);
    if (endpoint.disabledAt !== null) {
      throw new DomainError('webhook_disabled', `webhook endpoint ${id} is disabled (${endpoint.disabledReason ?? 'no reason recorded'}); enable it with PATCH /v1/webhooks/${id} {"disabled": false}`);
    }
    return endpoint;
  }

  private newDelivery(now: number): NewDelivery {
    return { id: newId('dlv', now), due: firstAttemptAt(this.deps.schedule, now, this.random()) };
  }

  /** The URL as stored, once its shape and every address its host resolves to pass the policy. */
  private async checkUrl(raw: string): Promise<string> {
    const target = checkWebhookUrl(raw);
    await this.deps.transport.check(target.href);
    return target.href;
  }
}
