import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SqlAccountRepository } from '../../src/adapters/sql/account.repository.js';
import { SqlJobRepository } from '../../src/adapters/sql/job.repository.js';
import { SqlOutboxRepository } from '../../src/adapters/sql/outbox.repository.js';
import { SqlWebhookRepository } from '../../src/adapters/sql/webhook.repository.js';
import { jobEventMessage } from '../../src/domain/outbox.js';
import { inAccount } from '../helpers/principals.js';
import { postgresDb, sqliteDb, type OldDb } from './old-db.js';

/** The schema before notify addresses and the endpoints' failure clock. */
const PREVIOUS = '0016_lifecycle';
const at = Date.UTC(2026, 11, 2, 12);
const oldJob = {
  max_attempts: 3, attempts: 1, progress: 100, stage: 'done', upload_id: 'upl_old', outputs: '[]', created_at: at, run_after: at, started_at: at, finished_at: at + 1000,
  updated_at: at, owner_key_id: 'key_school', status: 'succeeded', account_id: 'acc_school', output_bytes: 0, route: 'thumbnail',
};

for (const [name, open] of [['sqlite', sqliteDb], ['postgres', postgresDb]] as const) {
  describe(`migration 0017_notify: ${name}`, () => {
    let o: OldDb;
    after(async () => o?.close());

    it('adds the notify addresses and the failure clock beside a filled database, keeps every row, and e-mails nobody who did not ask', async () => {
      o = await open();
      await o.migrate(PREVIOUS);
      await o.db.insertInto('accounts').values({ id: 'acc_school', name: 'School', quotas: '{}', retention: '{}', created_at: at, updated_at: at }).execute();
      await o.db.insertInto('jobs').values([{ ...oldJob, id: 'job_done' }, { ...oldJob, id: 'job_queued', status: 'queued', finished_at: null, attempts: 0 }]).execute();
      await o.db.insertInto('webhook_endpoints').values({
        id: 'whk_old', account_id: 'acc_school', url: 'https://hooks.school.example/in', events: '["job.succeeded"]', description: null, secret: 'sealed',
        previous_secret: null, previous_secret_until: null, paused_until: null, created_at: at, updated_at: at, disabled_at: null, disabled_reason: null,
      }).execute();
      const snapshot = async () => ({
        accounts: await o.db.selectFrom('accounts').selectAll().orderBy('id').execute(),
        jobs: await o.db.selectFrom('jobs').selectAll().orderBy('id').execute(),
        webhook_endpoints: await o.db.selectFrom('webhook_endpoints').selectAll().orderBy('id').execute(),
      });
      const before = await snapshot();

      assert.deepEqual(await o.migrate('0017_notify'), ['0017_notify']);
      const afterRows = await snapshot();
      for (const table of ['accounts', 'jobs', 'webhook_endpoints'] as const) {
        assert.equal(afterRows[table].length, before[table].length, table);
        afterRows[table].forEach((row: Record<string, unknown>, i: number) => {
          for (const [col, value] of Object.entries(before[table][i] as Record<string, unknown>)) assert.deepEqual(row[col], value, `${table}.${col}`);
        });
      }
      assert.deepEqual(afterRows.jobs.map((j: any) => j.notify_email), [null, null]);
      assert.deepEqual(afterRows.accounts.map((a: any) => a.notify_email), [null, null]);
      assert.deepEqual(afterRows.webhook_endpoints.map((e: any) => e.failing_since), [null]);

      // The old rows read with the new code as before: no address, no clock running.
      const school = inAccount('acc_school', ['webhooks:manage']);
      assert.equal((await new SqlJobRepository(o.db).get(school, 'job_done'))?.notifyEmail, undefined);
      const accounts = new SqlAccountRepository(o.db);
      assert.equal((await accounts.get('acc_school'))?.notifyEmail, undefined);
      assert.equal((await new SqlWebhookRepository(o.db).getEndpoint(school, 'whk_old'))?.failingSince, undefined);

      // An old job ending writes no e-mail row until its account has an address; then it does.
      const outbox = new SqlOutboxRepository(o.db, o.caps, { brokerEvents: false, emails: true });
      const emailRows = async () => (await o.db.selectFrom('outbox').select('payload').where('kind', '=', 'email.notify').execute()).map((r: any) => JSON.parse(r.payload));
      await outbox.add([jobEventMessage('job.succeeded', 'job_done', at + 2)], at + 2);
      assert.deepEqual(await emailRows(), []);
      await accounts.update('acc_school', { notifyEmail: 'office@school.example', updatedAt: at + 3 });
      await outbox.add([jobEventMessage('job.failed', 'job_queued', at + 4)], at + 4);
      assert.deepEqual(await emailRows(), [{ kind: 'email.notify', topic: 'job.failed', subjectId: 'job_queued', at: at + 4 }]);
      assert.deepEqual(await o.migrate('0017_notify'), [], 'a second start has nothing to do');
    });
  });
}
