import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import { decideCreate, decideSuccess } from '../../src/domain/job-lifecycle.js';
import type { OutputState } from '../../src/domain/job.js';
import { jobEventMessage, type WebhookEventMessage } from '../../src/domain/outbox.js';
import type { Principal } from '../../src/domain/principal.js';
import type { WebhookEventType } from '../../src/domain/webhooks.js';
import type { Database } from '../../src/ports/db.port.js';
import type { StoredEndpoint } from '../../src/ports/webhooks.port.js';
import { inAccount } from '../helpers/principals.js';
import type { DbUnderTest } from './db.contract.js';

const outputs: OutputState[] = [{ spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' }, status: 'pending', files: [] }];
const endpoint = (p: Principal, events: WebhookEventType[] = ['job.succeeded'], extra: Partial<StoredEndpoint> = {}): StoredEndpoint => ({
  id: newId('whk'), accountId: p.accountId, url: 'https://hooks.example.com/in', events, description: null, secret: 'sealed', previousSecret: null,
  previousSecretUntil: null, pausedUntil: null, createdAt: 1, updatedAt: 1, disabledAt: null, disabledReason: null, ...extra,
});
const delivery = (due = 0) => () => ({ id: newId('dlv'), due });
const ok = (at: number) => ({ attempt: { at, statusCode: 200, latencyMs: 3, responseBody: 'ok', error: null }, status: 'succeeded' as const, nextAttemptAt: null, disableEndpoint: null, pauseEndpointUntil: null });

/**
 * Webhook endpoints, the fan-out of webhook.event outbox rows and the delivery leases, on every
 * database adapter: requests see their own account only; a row fans out once; two senders
 * never hold one delivery; the per-endpoint bound holds over senders; writes are fenced.
 */
export function runWebhooksContract(name: string, make: () => Promise<DbUnderTest>) {
  describe(`webhooks contract: ${name}`, () => {
    let h: DbUnderTest;
    let db: Database;
    before(async () => {
      h = await make();
      db = h.db;
    });
    after(async () => h.cleanup());

    const job = async (p: Principal, now: number) => {
      const id = newId('job', now);
      await db.jobs.create(p, { id, uploadId: 'upl_x', outputs, userMetadata: null, maxAttempts: 3, createdAt: now, initial: decideCreate(id, now).write });
      return id;
    };
    /** The unsent webhook.event rows, leased by `owner`. */
    const eventRows = (owner: string, now: number) => db.outbox.claimDue({ owner, now, leaseMs: 10_000, kinds: ['webhook.event'], limit: 100, freshAfterMs: 0 });
    /** Each test leaves no deliveries behind: the claims of the next one see every account's. */
    const removeAll = async (...ps: Principal[]) => {
      for (const p of ps) for (const e of await db.webhooks.listEndpoints(p)) await db.webhooks.deleteEndpoint(p, e.id);
    };
    const fanOutAll = async (now: number) => {
      let made = 0;
      for (const r of await eventRows('fan', now)) made += (await db.webhookDeliveries.fanOut({ id: r.id, message: r.message as WebhookEventMessage }, 'fan', now, delivery(now))) ?? 0;
      return made;
    };

    it('keeps endpoints within their account: another account reads, changes and deletes nothing', async () => {
      const [a, b] = [inAccount('acc_wa'), inAccount('acc_wb')];
      const e = endpoint(a);
      await db.webhooks.createEndpoint(a, e);
      assert.deepEqual(await db.webhooks.getEndpoint(a, e.id), e);
      assert.equal(await db.webhooks.getEndpoint(b, e.id), null);
      assert.deepEqual(await db.webhooks.listEndpoints(b), []);
      assert.equal(await db.webhooks.countEndpoints(a), 1);
      assert.equal(await db.webhooks.updateEndpoint(b, e.id, { description: 'x', updatedAt: 2 }), null);
      assert.equal(await db.webhooks.deleteEndpoint(b, e.id), false);
      assert.equal(await db.webhooks.addEvent(b, e.id, { id: newId('evt'), type: 'webhook.test', subject: 'endpoint', subjectId: e.id, output: null, at: 5 }, delivery()()), null);
      assert.equal((await db.webhooks.updateEndpoint(a, e.id, { description: 'mine', events: ['job.failed'], updatedAt: 3 }))?.description, 'mine');
      assert.deepEqual((await db.webhooks.getEndpoint(a, e.id))?.events, ['job.failed']);
      assert.equal(await db.webhooks.deleteEndpoint(a, e.id), true);
      assert.equal(await db.webhooks.getEndpoint(a, e.id), null);
    });

    it("writes a job's events with its transitions and fans each out once, to the subscribed enabled endpoints of its account", async () => {
      const [a, b] = [inAccount('acc_fa'), inAccount('acc_fb')];
      const subscribed = endpoint(a, ['job.started', 'job.succeeded']);
      await db.webhooks.createEndpoint(a, subscribed);
      await db.webhooks.createEndpoint(a, endpoint(a, ['upload.ready']));
      await db.webhooks.createEndpoint(a, endpoint(a, ['job.succeeded'], { disabledAt: 5, disabledReason: 'off' }));
      await db.webhooks.createEndpoint(b, endpoint(b, ['job.started', 'job.succeeded']));
      const id = await job(a, 10_000);
      const claimed = await db.jobs.claim(id, 'w', 10_001, 5000);
      assert.ok(claimed);
      assert.equal(await db.jobs.claim(id, 'w2', 16_000, 5000) !== null, true, 'a takeover of an expired lease');
      assert.equal(await db.jobs.settle({ id, attempt: 1 }, decideSuccess(claimed, { outputs, warnings: [] }, 16_001).write), false, 'a stale attempt');
      assert.equal(await db.jobs.settle({ id, attempt: 2 }, decideSuccess(claimed, { outputs, warnings: [] }, 16_002).write), true);
      const rows = await eventRows('peek', 20_000);
      assert.deepEqual(rows.map((r) => [(r.message as WebhookEventMessage).type, (r.message as WebhookEventMessage).id]), [['job.started', id], ['job.succeeded', id]], 'one start (the takeover starts nothing), one success (not the stale one)');
      await db.outbox.release(rows.map((r) => r.id), 'peek', null);

      // A relay that lost its lease fans out nothing.
      const held = await eventRows('r1', 30_000);
      assert.equal(await db.webhookDeliveries.fanOut({ id: held[0].id, message: held[0].message as WebhookEventMessage }, 'someone-else', 30_000, delivery()), null);
      await db.outbox.release(held.map((r) => r.id), 'r1', null);
      assert.equal(await fanOutAll(30_001), 2, 'each event to the one endpoint of A that subscribes and is enabled');
      assert.equal(await fanOutAll(30_002), 0, 'and once only');
      const log = await db.webhooks.listDeliveries(a, subscribed.id, { limit: 10 });
      assert.deepEqual(log.deliveries.map((d) => [d.event.type, d.event.subjectId, d.event.accountId, d.status, d.attempts]).sort(), [['job.started', id, 'acc_fa', 'pending', 0], ['job.succeeded', id, 'acc_fa', 'pending', 0]]);
      assert.notEqual(log.deliveries[0].event.id, log.deliveries[1].event.id);
      assert.deepEqual((await db.webhooks.listDeliveries(b, subscribed.id, { limit: 10 })).deliveries, [], "B's key sees none of A's deliveries");
      await db.outbox.add([jobEventMessage('job.succeeded', 'job_gone', 30_003)], 30_003);
      assert.equal(await fanOutAll(30_004), 0, 'a job that is gone: marked, nothing written');
      await removeAll(a, b);
    });

    it('writes no event rows for an account without an enabled endpoint subscribing to the type', async () => {
      const c = inAccount('acc_quiet');
      await db.webhooks.createEndpoint(c, endpoint(c, ['upload.ready']));
      await db.webhooks.createEndpoint(c, endpoint(c, ['job.started', 'job.succeeded'], { disabledAt: 5, disabledReason: 'off' }));
      const id = await job(c, 40_000);
      const claimed = await db.jobs.claim(id, 'w', 40_001, 5000);
      assert.ok(claimed);
      assert.deepEqual(await eventRows('peek', 40_002), [], 'no row: neither endpoint takes job.started');
      assert.equal(db.outbox.takeWritten('webhook.event', id), false, 'so nothing for this process\'s sender to start');
      // Subscribed from now on: the next transition of the job writes its event.
      await db.webhooks.createEndpoint(c, endpoint(c, ['job.succeeded']));
      assert.equal(await db.jobs.settle({ id, attempt: 1 }, decideSuccess(claimed, { outputs, warnings: [] }, 40_003).write), true);
      assert.deepEqual([db.outbox.takeWritten('webhook.event', id), db.outbox.takeWritten('webhook.event', id)], [true, false], 'the settle wrote one: told once');
      assert.equal(db.outbox.takeWritten('webhook.event', 'job_other'), false);
      const rows = await eventRows('peek', 40_004);
      assert.deepEqual(rows.map((r) => (r.message as WebhookEventMessage).type), ['job.succeeded']);
      assert.equal(await fanOutAll(40_005), 0, 'the rows peeked at are leased');
      await db.outbox.release(rows.map((r) => r.id), 'peek', null);
      assert.equal(await fanOutAll(40_010), 1);
      await removeAll(c);
    });

    it('leases due deliveries to one sender at a time, at most `perEndpoint` in flight per endpoint over every sender', async () => {
      const p = inAccount('acc_lease');
      // `paused` asked for a pause (a Retry-After) that lasts past this test.
      const [busy, calm, paused] = [endpoint(p, ['job.failed']), endpoint(p, ['job.failed']), endpoint(p, ['job.failed'], { pausedUntil: 1e12 })];
      for (const e of [busy, calm, paused]) await db.webhooks.createEndpoint(p, e);
      const events = [];
      for (let i = 0; i < 6; i++) events.push(await job(p, 40_000 + i));
      await db.outbox.add(events.map((id) => jobEventMessage('job.failed', id, 40_100)), 40_100);
      assert.equal(await fanOutAll(40_100), 18);
      const now = 50_000;
      const [s1, s2] = await Promise.all([
        db.webhookDeliveries.claim({ owner: 's1', now, leaseMs: 30_000, limit: 100, perEndpoint: 2 }),
        db.webhookDeliveries.claim({ owner: 's2', now, leaseMs: 30_000, limit: 100, perEndpoint: 2 }),
      ]);
      const all = [...s1, ...s2];
      assert.equal(new Set(all.map((c) => c.id)).size, all.length, 'no delivery is held twice');
      const perEndpoint = (list: typeof all) => Object.fromEntries([busy, calm, paused].map((e) => [e.id, list.filter((c) => c.endpoint.id === e.id).length]));
      const counts = perEndpoint(all);
      assert.deepEqual(counts, { [busy.id]: 2, [calm.id]: 2, [paused.id]: 0 }, 'two per endpoint over both senders; none to the paused one');
      assert.ok(all.every((c) => c.attempts === 1), 'each claim counts an attempt');
      assert.ok(all.every((c) => c.event.type === 'job.failed' && c.event.accountId === 'acc_lease'));
      assert.deepEqual(await db.webhookDeliveries.claim({ owner: 's3', now, leaseMs: 30_000, limit: 100, perEndpoint: 2 }).then(perEndpoint), { [busy.id]: 0, [calm.id]: 0, [paused.id]: 0 }, 'the bound counts the other senders\' leases');

      // Fenced: another owner, or an older attempt, writes nothing; the holder records its attempt.
      const held = all[0];
      assert.equal(await db.webhookDeliveries.settle({ ...held, owner: 'intruder' }, ok(now), now), false);
      assert.equal(await db.webhookDeliveries.settle({ ...held, attempts: held.attempts - 1 }, ok(now), now), false);
      assert.equal(await db.webhookDeliveries.settle(held, ok(now + 1), now + 1), true);
      assert.equal(await db.webhookDeliveries.settle(held, ok(now + 2), now + 2), false, 'once');
      const logged = await db.webhooks.getDelivery(p, held.endpoint.id, held.id);
      assert.equal(logged?.status, 'succeeded');
      assert.deepEqual(logged?.log.at(-1), { at: now + 1, statusCode: 200, latencyMs: 3, responseBody: 'ok', error: null });

      // A lease that ran out is taken again, as the next attempt.
      const rest = all.slice(1);
      const again = await db.webhookDeliveries.claim({ owner: 's4', now: now + 30_001, leaseMs: 30_000, limit: 100, perEndpoint: 10 });
      for (const c of rest) assert.equal(again.find((x) => x.id === c.id)?.attempts, c.attempts + 1, 'the next attempt');
      await removeAll(p);
    });

    it('a 410 disables the endpoint; a Retry-After pauses it; a disabled endpoint is not sent to', async () => {
      const p = inAccount('acc_gone');
      const e = endpoint(p, ['job.canceled']);
      await db.webhooks.createEndpoint(p, e);
      await db.outbox.add([jobEventMessage('job.canceled', await job(p, 60_000), 60_000), jobEventMessage('job.canceled', await job(p, 60_001), 60_001)], 60_001);
      await fanOutAll(60_002);
      const [c] = await db.webhookDeliveries.claim({ owner: 's', now: 60_010, leaseMs: 30_000, limit: 1, perEndpoint: 1 });
      const gone = { ...ok(60_011), status: 'failed' as const, disableEndpoint: 'the endpoint answered 410 Gone', attempt: { ...ok(60_011).attempt, statusCode: 410 } };
      assert.equal(await db.webhookDeliveries.settle(c, gone, 60_011), true);
      const disabled = await db.webhooks.getEndpoint(p, e.id);
      assert.deepEqual([disabled?.disabledAt, disabled?.disabledReason], [60_011, 'the endpoint answered 410 Gone']);
      assert.deepEqual(await db.webhookDeliveries.claim({ owner: 's', now: 70_000, leaseMs: 30_000, limit: 10, perEndpoint: 10 }), [], 'its other delivery waits');
      await db.webhooks.updateEndpoint(p, e.id, { disabledAt: null, disabledReason: null, updatedAt: 70_001 });
      const [next] = await db.webhookDeliveries.claim({ owner: 's', now: 70_002, leaseMs: 30_000, limit: 10, perEndpoint: 10 });
      assert.ok(next, 'enabled again: it goes');
      await db.webhookDeliveries.settle(next, { ...ok(70_003), status: 'pending', nextAttemptAt: 70_003, pauseEndpointUntil: 80_000 }, 70_003);
      assert.equal((await db.webhooks.getEndpoint(p, e.id))?.pausedUntil, 80_000);
      assert.deepEqual(await db.webhookDeliveries.claim({ owner: 's', now: 79_999, leaseMs: 30_000, limit: 10, perEndpoint: 10 }), [], 'paused');
      assert.equal((await db.webhookDeliveries.claim({ owner: 's', now: 80_000, leaseMs: 30_000, limit: 10, perEndpoint: 10 })).length, 1);
      await removeAll(p);
    });

    it('pages the delivery log, sends one again, replays events since a time, prunes old ones, and deletes with the endpoint', async () => {
      const p = inAccount('acc_log');
      const e = endpoint(p, ['job.succeeded', 'job.failed']);
      await db.webhooks.createEndpoint(p, e);
      const ids = [await job(p, 90_000), await job(p, 90_001), await job(p, 90_002)];
      await db.outbox.add([jobEventMessage('job.succeeded', ids[0], 90_010), jobEventMessage('job.failed', ids[1], 90_020), jobEventMessage('job.canceled', ids[2], 90_030)], 90_030);
      await fanOutAll(90_040);
      const page1 = await db.webhooks.listDeliveries(p, e.id, { limit: 1 });
      const page2 = await db.webhooks.listDeliveries(p, e.id, { limit: 1, cursor: page1.nextCursor! });
      assert.equal(page2.nextCursor, null);
      assert.deepEqual([...page1.deliveries, ...page2.deliveries].map((d) => d.event.type).sort(), ['job.failed', 'job.succeeded'], 'job.canceled: not subscribed');
      const [c] = await db.webhookDeliveries.claim({ owner: 's', now: 90_050, leaseMs: 1000, limit: 1, perEndpoint: 1 });
      await db.webhookDeliveries.settle(c, ok(90_051), 90_051);
      assert.deepEqual((await db.webhooks.listDeliveries(p, e.id, { limit: 10, status: 'succeeded' })).deliveries.map((d) => d.id), [c.id]);
      assert.equal(await db.webhooks.expedite(p, e.id, c.id, 90_060), false, 'only a pending one');
      const again = await db.webhooks.redeliver(p, e.id, c.id, { id: newId('dlv'), due: 90_061, now: 90_061 });
      assert.deepEqual([again?.event.id, again?.status, again?.attempts], [c.event.id, 'pending', 0], 'a new delivery of the same event');
      assert.equal(await db.webhooks.redeliver(inAccount('acc_x'), e.id, c.id, { id: newId('dlv'), due: 0, now: 0 }), null);
      assert.equal(await db.webhooks.replay(p, e.id, { since: 90_015, now: 90_070, limit: 100, delivery: delivery(90_070) }), 1, 'job.failed at 90 020; not job.succeeded at 90 010');
      assert.equal(await db.webhooks.replay(inAccount('acc_x'), e.id, { since: 0, now: 90_070, limit: 100, delivery: delivery(90_070) }), 0);
      assert.equal((await db.webhooks.listDeliveries(p, e.id, { limit: 10 })).deliveries.length, 4);
      assert.equal(await db.webhookDeliveries.prune(90_041, 100), 2, 'the two fanned out before 90 041');
      assert.equal((await db.webhooks.listDeliveries(p, e.id, { limit: 10 })).deliveries.length, 2);
      assert.equal(await db.webhooks.deleteEndpoint(p, e.id), true);
      assert.equal((await db.webhooks.listDeliveries(p, e.id, { limit: 10 })).deliveries.length, 0);
    });
  });
}
