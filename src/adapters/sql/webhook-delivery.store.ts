import { sql, type Kysely } from 'kysely';
import { newId } from '../../domain/ids.js';
import type { WebhookEventMessage } from '../../domain/outbox.js';
import { RESPONSE_KEEP_BYTES, subscribes } from '../../domain/webhooks.js';
import type { ClaimedDelivery, NewDelivery, SettleAttempt, WebhookDeliveryStore } from '../../ports/webhooks.port.js';
import type { DialectCapabilities } from './dialect.js';
import { failingDisableReason } from '../../domain/notify.js';
import { insertAccountEmail, WEBHOOK_ROWS_ONLY, type OutboxWriteOptions } from './outbox.repository.js';
import type { Tables } from './schema.js';
import { deliveryRow, eventRow, toEndpoint, toEvent } from './webhook-rows.js';

/**
 * The senders' side of the webhook tables (src/ports/webhooks.port.ts), on SQLite and
 * PostgreSQL. A claim picks due deliveries (ranked per endpoint, so one endpoint's backlog
 * cannot fill the batch), then, in one transaction that holds the endpoints' rows, counts
 * what is in flight per endpoint and leases the picks with a conditional UPDATE … RETURNING
 * that repeats the lease condition: two senders racing for a delivery cannot both match, as
 * with the job claim, and cannot both take an endpoint's last free slot. Every later write is fenced by the lease owner
 * and the attempt count the claim returned.
 */
export class SqlWebhookDeliveryStore implements WebhookDeliveryStore {
  constructor(private readonly db: Kysely<Tables>, private readonly caps: DialectCapabilities, private readonly writes: OutboxWriteOptions = WEBHOOK_ROWS_ONLY) {}

  fanOut(row: { id: number; message: WebhookEventMessage }, owner: string, now: number, delivery: () => NewDelivery): Promise<number | null> {
    const m = row.message;
    return this.db.transaction().execute(async (trx) => {
      const marked = await trx
        .updateTable('outbox')
        .set({ sent_at: now, lease_owner: null, lease_until: null })
        .where('id', '=', row.id)
        .where('lease_owner', '=', owner)
        .where('sent_at', 'is', null)
        .executeTakeFirst();
      if (Number(marked.numUpdatedRows) !== 1) return null;
      const subject = m.subject === 'job'
        ? await trx.selectFrom('jobs').select('account_id').where('id', '=', m.id).executeTakeFirst()
        : await trx.selectFrom('uploads').select('account_id').where('id', '=', m.id).executeTakeFirst();
      if (!subject) return 0;
      const endpoints = (await trx.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', subject.account_id).where('disabled_at', 'is', null).orderBy('id').execute())
        .map(toEndpoint)
        .filter((e) => subscribes(e, m.type));
      if (!endpoints.length) return 0;
      const event = { id: m.eventId ?? newId('evt', m.at), accountId: subject.account_id, type: m.type, subject: m.subject, subjectId: m.id, output: m.output ?? null, phase: m.phase === 'playable' ? ('playable' as const) : null, at: m.at };
      await trx.insertInto('webhook_events').values(eventRow(event)).execute();
      await trx
        .insertInto('webhook_deliveries')
        .values(endpoints.map((e) => deliveryRow({ ...delivery(), endpointId: e.id, eventId: event.id, accountId: event.accountId, now })))
        .execute();
      return endpoints.length;
    });
  }

  async claim(req: { owner: string; now: number; leaseMs: number; limit: number; perEndpoint: number }): Promise<ClaimedDelivery[]> {
    const { now } = req;
    const ranked = this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .select(['d.id as id', 'd.endpoint_id as endpoint_id', 'd.next_attempt_at as next_attempt_at', sql<number>`row_number() over (partition by d.endpoint_id order by d.next_attempt_at, d.id)`.as('rn')])
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', now)]))
      .where('e.disabled_at', 'is', null)
      .where((eb) => eb.or([eb('e.paused_until', 'is', null), eb('e.paused_until', '<=', now)]));
    const candidates = await this.db
      .selectFrom(ranked.as('r'))
      .select(['r.id', 'r.endpoint_id'])
      .where('r.rn', '<=', req.perEndpoint)
      .orderBy('r.next_attempt_at')
      .orderBy('r.id')
      .limit(req.limit * 2)
      .execute();
    if (!candidates.length) return [];
    const leased = await this.db.transaction().execute(async (trx) => {
      const endpointIds = [...new Set(candidates.map((c) => c.endpoint_id))].sort();
      // Counting the endpoints' leases and taking new ones is one step per endpoint: on
      // PostgreSQL the endpoints' rows are locked (in id order) until the commit, so two
      // senders cannot both see a free slot; SQLite runs one transaction at a time.
      if (this.caps.skipLocked) await trx.selectFrom('webhook_endpoints').select('id').where('id', 'in', endpointIds).orderBy('id').forUpdate().execute();
      const busy = new Map(
        (
          await trx
            .selectFrom('webhook_deliveries')
            .select(['endpoint_id', (eb) => eb.fn.countAll<number>().as('n')])
            .where('status', '=', 'pending')
            .where('lease_until', '>=', now)
            .where('endpoint_id', 'in', endpointIds)
            .groupBy('endpoint_id')
            .execute()
        ).map((r) => [r.endpoint_id, Number(r.n)]),
      );
      const picked: string[] = [];
      for (const c of candidates) {
        if (picked.length >= req.limit) break;
        const n = busy.get(c.endpoint_id) ?? 0;
        if (n >= req.perEndpoint) continue;
        busy.set(c.endpoint_id, n + 1);
        picked.push(c.id);
      }
      if (!picked.length) return [];
      return trx
        .updateTable('webhook_deliveries')
        .set((eb) => ({ lease_owner: req.owner, lease_until: now + req.leaseMs, attempts: eb('attempts', '+', 1), updated_at: now }))
        .where('id', 'in', picked)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .returning(['id', 'attempts', 'event_id', 'endpoint_id', 'next_attempt_at'])
        .execute();
    });
    if (!leased.length) return [];
    const events = new Map((await this.db.selectFrom('webhook_events').selectAll().where('id', 'in', leased.map((l) => l.event_id)).execute()).map((r) => [r.id, toEvent(r)]));
    const endpoints = new Map((await this.db.selectFrom('webhook_endpoints').selectAll().where('id', 'in', leased.map((l) => l.endpoint_id)).execute()).map((r) => [r.id, toEndpoint(r)]));
    return leased
      .filter((l) => events.has(l.event_id) && endpoints.has(l.endpoint_id))
      .sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || (a.id < b.id ? -1 : 1))
      .map((l) => ({ id: l.id, attempts: Number(l.attempts), owner: req.owner, event: events.get(l.event_id)!, endpoint: endpoints.get(l.endpoint_id)! }));
  }

  settle(fence: Pick<ClaimedDelivery, 'id' | 'attempts' | 'owner'>, result: SettleAttempt, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('webhook_deliveries')
        .set({ status: result.status, next_attempt_at: result.nextAttemptAt, lease_owner: null, lease_until: null, updated_at: now })
        .where('id', '=', fence.id)
        .where('attempts', '=', fence.attempts)
        .where('lease_owner', '=', fence.owner)
        .where('status', '=', 'pending')
        .returning(['endpoint_id', 'event_id'])
        .executeTakeFirst();
      if (!row) return false;
      const a = result.attempt;
      await trx
        .insertInto('webhook_attempts')
        .values({
          delivery_id: fence.id,
          at: a.at,
          status_code: a.statusCode,
          latency_ms: Math.max(0, Math.round(a.latencyMs)),
          response_body: a.responseBody === null ? null : a.responseBody.slice(0, RESPONSE_KEEP_BYTES),
          error: a.error === null ? null : a.error.slice(0, 2000),
        })
        .execute();
      if (result.disableEndpoint) {
        await trx
          .updateTable('webhook_endpoints')
          .set({ disabled_at: now, disabled_reason: result.disableEndpoint, updated_at: now })
          .where('id', '=', row.endpoint_id)
          .where('disabled_at', 'is', null)
          .execute();
      }
      const disabledForFailing = await this.failureClock(trx, row.endpoint_id, result, now);
      if (this.writes.emails && (result.exhausted || disabledForFailing)) await this.tellAccount(trx, { id: fence.id, ...row }, result, disabledForFailing, now);
      if (result.pauseEndpointUntil !== null) {
        const until = result.pauseEndpointUntil;
        await trx
          .updateTable('webhook_endpoints')
          .set({ paused_until: until })
          .where('id', '=', row.endpoint_id)
          .where((eb) => eb.or([eb('paused_until', 'is', null), eb('paused_until', '<', until)]))
          .execute();
      }
      return true;
    });
  }

  /**
   * Runs the endpoint's failure clock: a success stops it, a failure starts it when it is not
   * running, and a failure once it has run `disableFailingAfterMs` disables the endpoint (one
   * conditional UPDATE, so two senders cannot both do it). True when this settle disabled it.
   */
  private async failureClock(trx: Kysely<Tables>, endpointId: string, result: SettleAttempt, now: number): Promise<boolean> {
    const health = result.endpointHealth ?? null;
    if (health === 'ok') {
      await trx.updateTable('webhook_endpoints').set({ failing_since: null }).where('id', '=', endpointId).where('failing_since', 'is not', null).execute();
      return false;
    }
    if (health !== 'failing') return false;
    await trx.updateTable('webhook_endpoints').set({ failing_since: result.attempt.at }).where('id', '=', endpointId).where('failing_since', 'is', null).execute();
    const after = result.disableFailingAfterMs ?? null;
    if (after === null || result.disableEndpoint) return false;
    const since = await trx
      .selectFrom('webhook_endpoints')
      .select('failing_since')
      .where('id', '=', endpointId)
      .where('disabled_at', 'is', null)
      .where('failing_since', '<=', now - after)
      .executeTakeFirst();
    if (!since || since.failing_since === null) return false;
    const res = await trx
      .updateTable('webhook_endpoints')
      .set({ disabled_at: now, disabled_reason: failingDisableReason(Number(since.failing_since), now), updated_at: now })
      .where('id', '=', endpointId)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** The account's e-mail rows for a delivery that ran out of attempts and for an endpoint this settle disabled, in the settle's transaction. */
  private async tellAccount(trx: Kysely<Tables>, d: { id: string; endpoint_id: string; event_id: string }, result: SettleAttempt, disabled: boolean, now: number): Promise<void> {
    const endpoint = await trx.selectFrom('webhook_endpoints').select(['account_id', 'url', 'disabled_reason']).where('id', '=', d.endpoint_id).executeTakeFirst();
    const event = await trx.selectFrom('webhook_events').select(['type']).where('id', '=', d.event_id).executeTakeFirst();
    if (!endpoint) return;
    const a = result.attempt;
    const last = a.statusCode !== null ? `the last attempt was answered ${a.statusCode}` : `the last attempt got no answer: ${a.error ?? 'unknown error'}`;
    const webhook = { url: endpoint.url, eventId: d.event_id, eventType: event?.type ?? 'unknown', deliveryId: d.id };
    const base = { kind: 'email.notify' as const, subjectId: d.endpoint_id, accountId: endpoint.account_id, at: now };
    if (result.exhausted) await insertAccountEmail(trx, endpoint.account_id, { ...base, topic: 'webhook.delivery.exhausted', webhook: { ...webhook, reason: last } }, now);
    if (disabled) await insertAccountEmail(trx, endpoint.account_id, { ...base, topic: 'webhook.endpoint.disabled', webhook: { ...webhook, reason: endpoint.disabled_reason ?? last } }, now);
  }

  async prune(before: number, limit: number): Promise<number> {
    const ids = (await this.db.selectFrom('webhook_deliveries').select('id').where('created_at', '<', before).limit(limit).execute()).map((r) => r.id);
    if (ids.length) {
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('webhook_attempts').where('delivery_id', 'in', ids).execute();
        await trx.deleteFrom('webhook_deliveries').where('id', 'in', ids).execute();
      });
    }
    // DELETE … LIMIT is not portable; the subquery is.
    await this.db
      .deleteFrom('webhook_events')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('webhook_events as old')
          .select('old.id')
          .where('old.at', '<', before)
          .where((w) => w.not(w.exists(w.selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'old.id'))))
          .limit(limit),
      )
      .execute();
    return ids.length;
  }
}
