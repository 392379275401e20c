import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SqlJobRepository } from '../../src/adapters/sql/job.repository.js';
import { SqlOutboxRepository } from '../../src/adapters/sql/outbox.repository.js';
import { SqlWebhookDeliveryStore } from '../../src/adapters/sql/webhook-delivery.store.js';
import { SqlWebhookRepository } from '../../src/adapters/sql/webhook.repository.js';
import { jobEventMessage, type WebhookEventMessage } from '../../src/domain/outbox.js';
import { inAccount } from '../helpers/principals.js';
import { postgresDb, sqliteDb, type OldDb } from './old-db.js';

/** The schema before webhooks. */
const PREVIOUS = '0014_users';
const at = Date.UTC(2026, 11, 1, 12);
const oldJob = {
  max_attempts: 3, attempts: 0, progress: 0, stage: null, upload_id: 'upl_old', outputs: '[]', created_at: at, run_after: at,
  started_at: null, finished_at: null, updated_at: at, owner_key_id: 'key_school', status: 'queued', account_id: 'acc_school',
};

for (const [name, open] of [['sqlite', sqliteDb], ['postgres', postgresDb]] as const) {
  describe(`migration 0015_webhooks: ${name}`, () => {
    let o: OldDb;
    after(async () => o?.close());

    it('adds the webhook tables beside a filled database, changes nothing in it, and the old outbox rows still go out', async () => {
      o = await open();
      await o.migrate(PREVIOUS);
      await o.db.insertInto('accounts').values({ id: 'acc_school', name: 'School', quotas: '{}', created_at: at, updated_at: at }).execute();
      await o.db.insertInto('jobs').values([{ ...oldJob, id: 'job_a' }, { ...oldJob, id: 'job_b', status: 'succeeded', finished_at: at }]).execute();
      await o.db.insertInto('users').values({ id: 'usr_1', account_id: 'acc_school', email: 'a@school.example', password_hash: 'x', role: 'owner', created_at: at, updated_at: at }).execute();
      // What the previous version's outbox held: an unsent dispatch of the queued job.
      await o.db.insertInto('outbox').values({ kind: 'queue.dispatch', job_id: 'job_a', payload: '{"kind":"queue.dispatch","jobId":"job_a"}', available_at: at, attempts: 0, created_at: at }).execute();
      const snapshot = async () => ({
        accounts: await o.db.selectFrom('accounts').selectAll().orderBy('id').execute(),
        jobs: await o.db.selectFrom('jobs').selectAll().orderBy('id').execute(),
        users: await o.db.selectFrom('users').selectAll().orderBy('id').execute(),
        outbox: await o.db.selectFrom('outbox').selectAll().orderBy('id').execute(),
      });
      const before = await snapshot();

      assert.deepEqual(await o.migrate('0015_webhooks'), ['0015_webhooks']);
      assert.deepEqual(await snapshot(), before, 'accounts, jobs, users and the outbox as they were');

      const outbox = new SqlOutboxRepository(o.db, o.caps);
      const dispatch = await outbox.claimDue({ owner: 'relay', now: at + 60_000, leaseMs: 1000, kinds: ['queue.dispatch'], limit: 10, freshAfterMs: 15_000 });
      assert.deepEqual(dispatch.map((r) => r.message), [{ kind: 'queue.dispatch', jobId: 'job_a' }], 'the waiting dispatch is still sent');

      // The new tables take endpoints; an old job's event fans out to them.
      const school = inAccount('acc_school');
      const hooks = new SqlWebhookRepository(o.db);
      await hooks.createEndpoint(school, {
        id: 'whk_1', accountId: 'acc_school', url: 'https://hooks.school.example/in', events: ['job.succeeded'], description: null, secret: 'sealed',
        previousSecret: null, previousSecretUntil: null, pausedUntil: null, createdAt: at, updatedAt: at, disabledAt: null, disabledReason: null,
      });
      await outbox.add([jobEventMessage('job.succeeded', 'job_b', at + 1)], at + 1);
      const [row] = await outbox.claimDue({ owner: 'fan', now: at + 2, leaseMs: 1000, kinds: ['webhook.event'], limit: 10, freshAfterMs: 0 });
      const store = new SqlWebhookDeliveryStore(o.db, o.caps);
      assert.equal(await store.fanOut({ id: row.id, message: row.message as WebhookEventMessage }, 'fan', at + 2, () => ({ id: 'dlv_1', due: at + 2 })), 1);
      const [claimed] = await store.claim({ owner: 'sender', now: at + 3, leaseMs: 1000, limit: 10, perEndpoint: 4 });
      assert.deepEqual([claimed.event.subjectId, claimed.endpoint.id], ['job_b', 'whk_1']);
      assert.equal((await new SqlJobRepository(o.db).get(school, 'job_a'))?.status, 'queued');
      assert.deepEqual(await o.migrate('0015_webhooks'), [], 'a second start has nothing to do');
    });
  });
}
