import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import { decideCancel, decideCreate, decideSuccess } from '../../src/domain/job-lifecycle.js';
import type { OutputState } from '../../src/domain/job.js';
import { uploadReadyMessage, type BrokerEventMessage, type WebhookEventMessage } from '../../src/domain/outbox.js';
import type { Principal } from '../../src/domain/principal.js';
import type { SqlDatabaseOptions } from '../../src/adapters/sql/sql.database.js';
import type { Database } from '../../src/ports/db.port.js';
import type { OutboxKind } from '../../src/domain/outbox.js';
import { inAccount } from '../helpers/principals.js';
import type { DbUnderTest } from './db.contract.js';

const outputs: OutputState[] = [{ spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' }, status: 'pending', files: [] }];

/**
 * The broker's copy of every event (docs/notifications.md#events-on-the-broker) on every SQL
 * adapter: opened with `brokerEvents`, each transition writes a `broker.event` row for its
 * account whether or not it has webhooks, in the transition's own transaction (a stale write
 * writes none), with the event id its webhook row carries; opened without, none.
 */
export function runBrokerEventsContract(name: string, open: (opts: SqlDatabaseOptions) => Promise<DbUnderTest>) {
  describe(`broker events contract: ${name}`, () => {
    let on: DbUnderTest;
    let off: DbUnderTest;
    before(async () => {
      on = await open({ brokerEvents: true });
      off = await open({});
    });
    after(async () => {
      await on?.cleanup();
      await off?.cleanup();
    });

    const job = async (db: Database, p: Principal, now: number) => {
      const id = newId('job', now);
      await db.jobs.create(p, { id, uploadId: 'upl_x', outputs, userMetadata: null, maxAttempts: 3, createdAt: now, initial: decideCreate(id, now).write });
      return id;
    };
    /** Unsent rows of `kind`, peeked at (leased and given back). */
    const rows = async (db: Database, kind: OutboxKind, now: number) => {
      const got = await db.outbox.claimDue({ owner: 'peek', now, leaseMs: 1000, kinds: [kind], limit: 100, freshAfterMs: 0 });
      await db.outbox.release(got.map((r) => r.id), 'peek', null);
      return got.map((r) => r.message);
    };
    const endpoint = (p: Principal, events: WebhookEventMessage['type'][]) => ({
      id: newId('whk'), accountId: p.accountId, url: 'https://hooks.example.com/in', events, description: null, secret: 'sealed', previousSecret: null,
      previousSecretUntil: null, pausedUntil: null, createdAt: 1, updatedAt: 1, disabledAt: null, disabledReason: null,
    });

    it('writes a broker row for every event of an account without webhooks, and no webhook row', async () => {
      const db = on.db;
      const p = inAccount('acc_bq');
      const id = await job(db, p, 10_000);
      const claimed = await db.jobs.claim(id, 'w', 10_001, 5000);
      assert.ok(claimed);
      assert.equal(await db.jobs.claim(id, 'w2', 16_000, 5000) !== null, true, 'a takeover of an expired lease starts nothing');
      assert.equal(await db.jobs.settle({ id, attempt: 1 }, decideSuccess(claimed, { outputs, warnings: [] }, 16_001).write), false, 'a stale attempt');
      assert.equal(await db.jobs.settle({ id, attempt: 2 }, decideSuccess(claimed, { outputs, warnings: [] }, 16_002).write), true);
      const upload = newId('upl', 16_003);
      await db.uploads.create(p, { id: upload, filename: 'a.mp4', size: 1, contentType: 'video/mp4', sha256: 'x', key: `acc_bq/uploads/${upload}/source`, createdAt: 16_003 }, [uploadReadyMessage(upload, 16_003)]);

      const broker = (await rows(db, 'broker.event', 20_000)) as BrokerEventMessage[];
      assert.deepEqual(
        broker.map((m) => [m.type, m.subject, m.id, m.accountId, m.at]),
        [['job.started', 'job', id, 'acc_bq', 10_001], ['job.succeeded', 'job', id, 'acc_bq', 16_002], ['upload.ready', 'upload', upload, 'acc_bq', 16_003]],
        'one start, one success (not the stale one), the upload',
      );
      assert.equal(new Set(broker.map((m) => m.eventId)).size, 3);
      for (const m of broker) assert.match(m.eventId, /^evt_[0-9a-z]{26}$/);
      assert.deepEqual(await rows(db, 'webhook.event', 20_000), [], 'no endpoint: no webhook rows');
      for (const m of broker) assert.equal(m.kind, 'broker.event');
    });

    it('writes them in a unit of work too, and only for a subject that exists', async () => {
      const db = on.db;
      const p = inAccount('acc_buow');
      const id = await job(db, p, 30_000);
      const before = (await rows(db, 'broker.event', 30_001)).length;
      await db.transaction(async (tx) => {
        const j = (await tx.jobs.get(p, id))!;
        assert.equal(await tx.jobs.transition(id, decideCancel(j, 30_002)), true);
      });
      await assert.rejects(
        db.transaction(async (tx) => {
          const j = (await tx.jobs.get(p, id))!;
          await tx.jobs.transition(id, { ...decideCancel({ ...j, status: 'queued' }, 30_003), from: ['canceled'] });
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      await db.outbox.add([uploadReadyMessage('upl_missing', 30_004)], 30_004);
      const after = (await rows(db, 'broker.event', 30_005)) as BrokerEventMessage[];
      assert.deepEqual(after.slice(before).map((m) => [m.type, m.id, m.at]), [['job.canceled', id, 30_002]], 'the committed cancel only');
    });

    it('gives the webhook row and the broker row of one event the same id, which its deliveries carry', async () => {
      const db = on.db;
      const p = inAccount('acc_bboth');
      await db.webhooks.createEndpoint(p, endpoint(p, ['job.started']));
      const id = await job(db, p, 40_000);
      assert.ok(await db.jobs.claim(id, 'w', 40_001, 5000));
      const hook = (await rows(db, 'webhook.event', 40_002)).filter((m) => m.kind === 'webhook.event' && m.id === id) as WebhookEventMessage[];
      const copy = (await rows(db, 'broker.event', 40_002)).filter((m) => m.kind === 'broker.event' && m.id === id) as BrokerEventMessage[];
      assert.equal(hook.length, 1);
      assert.equal(copy.length, 1);
      assert.equal(hook[0]!.eventId, copy[0]!.eventId);
      const [row] = await db.outbox.claimDue({ owner: 'fan', now: 40_003, leaseMs: 1000, kinds: ['webhook.event'], limit: 10, freshAfterMs: 0 });
      assert.equal(await db.webhookDeliveries.fanOut({ id: row!.id, message: row!.message as WebhookEventMessage }, 'fan', 40_003, () => ({ id: newId('dlv'), due: 0 })), 1);
      const [e] = await db.webhooks.listEndpoints(p);
      const log = await db.webhooks.listDeliveries(p, e!.id, { limit: 10 });
      assert.equal(log.deliveries[0]!.event.id, copy[0]!.eventId, "the delivery's webhook-id is the broker event's id");
    });

    it('writes no broker rows when opened without brokerEvents', async () => {
      const db = off.db;
      const p = inAccount('acc_boff');
      const id = await job(db, p, 50_000);
      const claimed = await db.jobs.claim(id, 'w', 50_001, 5000);
      assert.ok(claimed);
      assert.equal(await db.jobs.settle({ id, attempt: 1 }, decideSuccess(claimed, { outputs, warnings: [] }, 50_002).write), true);
      assert.deepEqual(await rows(db, 'broker.event', 50_003), []);
      assert.deepEqual(await rows(db, 'webhook.event', 50_003), [], 'nor webhook rows: the account has no endpoint');
    });
  });
}
