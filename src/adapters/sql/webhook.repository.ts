import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { ownerOf, readableOwner, type Principal } from '../../domain/principal.js';
import type { DeliveryStatus } from '../../domain/webhooks.js';
import type { DeliveryRecord, EndpointPatch, NewDelivery, StoredEndpoint, WebhookEventRecord, WebhookRepository } from '../../ports/webhooks.port.js';
import { atomically } from './job-writes.js';
import type { Tables } from './schema.js';
import { deliveryRow, endpointRow, eventRow, readDeliveries, toEndpoint } from './webhook-rows.js';

type Owned = 'webhook_endpoints' | 'webhook_deliveries';

/** Only `principal`'s account's rows: the one filter of every read here. */
function within<T extends Owned, O>(q: SelectQueryBuilder<Tables, T, O>, principal: Principal): SelectQueryBuilder<Tables, T, O> {
  const owner = readableOwner(principal);
  return owner === null ? q : q.where(sql.ref<string>('account_id'), '=', owner);
}

/**
 * Webhook endpoints and their delivery log for requests (src/ports/webhooks.port.ts): every
 * read and write is limited to the principal's account, so another account's endpoint or
 * delivery is simply not there.
 */
export class SqlWebhookRepository implements WebhookRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async createEndpoint(principal: Principal, endpoint: StoredEndpoint): Promise<void> {
    await this.db.insertInto('webhook_endpoints').values(endpointRow({ ...endpoint, accountId: ownerOf(principal) })).execute();
  }

  getEndpoint(principal: Principal, id: string): Promise<StoredEndpoint | null> {
    return this.endpoint(this.db, principal, id);
  }

  private async endpoint(db: Kysely<Tables>, principal: Principal, id: string): Promise<StoredEndpoint | null> {
    const row = await within(db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id), principal).executeTakeFirst();
    return row ? toEndpoint(row) : null;
  }

  async listEndpoints(principal: Principal): Promise<StoredEndpoint[]> {
    return (await within(this.db.selectFrom('webhook_endpoints').selectAll().orderBy('id'), principal).execute()).map(toEndpoint);
  }

  async countEndpoints(principal: Principal): Promise<number> {
    const row = await within(this.db.selectFrom('webhook_endpoints').select((eb) => eb.fn.countAll<number>().as('n')), principal).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async updateEndpoint(principal: Principal, id: string, patch: EndpointPatch): Promise<StoredEndpoint | null> {
    const set: Record<string, unknown> = { updated_at: patch.updatedAt };
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.events !== undefined) set.events = JSON.stringify(patch.events);
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.disabledAt !== undefined) set.disabled_at = patch.disabledAt;
    if (patch.disabledReason !== undefined) set.disabled_reason = patch.disabledReason;
    if (patch.secret !== undefined) set.secret = patch.secret;
    if (patch.previousSecret !== undefined) set.previous_secret = patch.previousSecret;
    if (patch.previousSecretUntil !== undefined) set.previous_secret_until = patch.previousSecretUntil;
    // Enabling an endpoint again also lifts a pause a receiver asked for,
    // and starts its failure clock again (src/domain/notify.ts: disabled after days of failures).
    if (patch.disabledAt === null) {
      set.paused_until = null;
      set.failing_since = null;
    }
    const owner = readableOwner(principal);
    let q = this.db.updateTable('webhook_endpoints').set(set).where('id', '=', id);
    if (owner !== null) q = q.where('account_id', '=', owner);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) === 1 ? this.getEndpoint(principal, id) : null;
  }

  async deleteEndpoint(principal: Principal, id: string): Promise<boolean> {
    return atomically(this.db, async (db) => {
      if (!(await this.endpoint(db, principal, id))) return false;
      await db.deleteFrom('webhook_attempts').where('delivery_id', 'in', (eb) => eb.selectFrom('webhook_deliveries').select('webhook_deliveries.id').where('webhook_deliveries.endpoint_id', '=', id)).execute();
      await db.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
      await db.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
      return true;
    });
  }

  async addEvent(principal: Principal, endpointId: string, event: Omit<WebhookEventRecord, 'accountId'>, delivery: NewDelivery): Promise<DeliveryRecord | null> {
    return atomically(this.db, async (db) => {
      const endpoint = await this.endpoint(db, principal, endpointId);
      if (!endpoint) return null;
      await db.insertInto('webhook_events').values(eventRow({ ...event, accountId: endpoint.accountId })).execute();
      await db.insertInto('webhook_deliveries').values(deliveryRow({ ...delivery, endpointId, eventId: event.id, accountId: endpoint.accountId, now: event.at })).execute();
      return (await readDeliveries(db, [delivery.id], true))[0];
    });
  }

  async listDeliveries(principal: Principal, endpointId: string | null, query: { status?: DeliveryStatus; limit: number; cursor?: string; subjectId?: string }) {
    let q = within(this.db.selectFrom('webhook_deliveries').select('id'), principal).orderBy('id', 'desc').limit(query.limit + 1);
    if (endpointId !== null) q = q.where('endpoint_id', '=', endpointId);
    // 0021's index on webhook_events.subject_id: one job's few events.
    if (query.subjectId !== undefined) q = q.where('event_id', 'in', (eb) => eb.selectFrom('webhook_events').select('webhook_events.id').where('webhook_events.subject_id', '=', query.subjectId!));
    if (query.status) q = q.where('status', '=', query.status);
    if (query.cursor) q = q.where('id', '<', query.cursor);
    const ids = (await q.execute()).map((r) => r.id);
    const page = await readDeliveries(this.db, ids.slice(0, query.limit), true);
    return { deliveries: page, nextCursor: ids.length > query.limit ? page[page.length - 1].id : null };
  }

  async getDelivery(principal: Principal, endpointId: string, deliveryId: string): Promise<DeliveryRecord | null> {
    const row = await within(this.db.selectFrom('webhook_deliveries').select('id').where('id', '=', deliveryId).where('endpoint_id', '=', endpointId), principal).executeTakeFirst();
    return row ? ((await readDeliveries(this.db, [row.id], true))[0] ?? null) : null;
  }

  async expedite(principal: Principal, endpointId: string, deliveryId: string, now: number): Promise<boolean> {
    const owner = readableOwner(principal);
    let q = this.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: now, updated_at: now })
      .where('id', '=', deliveryId)
      .where('endpoint_id', '=', endpointId)
      .where('status', '=', 'pending');
    if (owner !== null) q = q.where('account_id', '=', owner);
    return Number((await q.executeTakeFirst()).numUpdatedRows) === 1;
  }

  async redeliver(principal: Principal, endpointId: string, deliveryId: string, delivery: NewDelivery & { now: number }): Promise<DeliveryRecord | null> {
    return atomically(this.db, async (db) => {
      const old = await within(db.selectFrom('webhook_deliveries').selectAll().where('id', '=', deliveryId).where('endpoint_id', '=', endpointId), principal).executeTakeFirst();
      if (!old) return null;
      await db.insertInto('webhook_deliveries').values(deliveryRow({ ...delivery, endpointId, eventId: old.event_id, accountId: old.account_id })).execute();
      return (await readDeliveries(db, [delivery.id], true))[0];
    });
  }

  async replay(principal: Principal, endpointId: string, req: { since: number; now: number; limit: number; delivery: () => NewDelivery }): Promise<number> {
    return atomically(this.db, async (db) => {
      const endpoint = await this.endpoint(db, principal, endpointId);
      if (!endpoint || endpoint.events.length === 0) return 0;
      const events = await db
        .selectFrom('webhook_events')
        .select('id')
        .where('account_id', '=', endpoint.accountId)
        .where('at', '>=', req.since)
        .where('type', 'in', endpoint.events)
        .orderBy('at')
        .orderBy('id')
        .limit(req.limit)
        .execute();
      for (let i = 0; i < events.length; i += 200) {
        const rows = events.slice(i, i + 200).map((e) => deliveryRow({ ...req.delivery(), endpointId, eventId: e.id, accountId: endpoint.accountId, now: req.now }));
        await db.insertInto('webhook_deliveries').values(rows).execute();
      }
      return events.length;
    });
  }
}
