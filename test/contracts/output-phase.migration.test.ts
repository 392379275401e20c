import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SqlWebhookRepository } from '../../src/adapters/sql/webhook.repository.js';
import { deliveryBody } from '../../src/domain/webhooks.js';
import { inAccount } from '../helpers/principals.js';
import { postgresDb, sqliteDb, type OldDb } from './old-db.js';

/** The schema before the playable job.output.ready (webhook_events.phase). */
const PREVIOUS = '0017_notify';
const at = Date.UTC(2026, 11, 6, 12);

for (const [name, open] of [['sqlite', sqliteDb], ['postgres', postgresDb]] as const) {
  describe(`migration 0020_output_phase: ${name}`, () => {
    let o: OldDb;
    after(async () => o?.close());

    it('adds the phase beside a filled database, keeps every event, and reads the old ones as stored', async () => {
      o = await open();
      await o.migrate(PREVIOUS);
      await o.db.insertInto('accounts').values({ id: 'acc_school', name: 'School', quotas: '{}', retention: '{}', created_at: at, updated_at: at }).execute();
      await o.db.insertInto('webhook_endpoints').values({
        id: 'whk_old', account_id: 'acc_school', url: 'https://hooks.school.example/in', events: '["job.output.ready"]', description: null, secret: 'sealed',
        previous_secret: null, previous_secret_until: null, paused_until: null, created_at: at, updated_at: at, disabled_at: null, disabled_reason: null, failing_since: null,
      }).execute();
      await o.db.insertInto('webhook_events').values([
        { id: 'evt_ready', account_id: 'acc_school', type: 'job.output.ready', subject: 'job', subject_id: 'job_old', output: 1, at },
        { id: 'evt_done', account_id: 'acc_school', type: 'job.succeeded', subject: 'job', subject_id: 'job_old', output: null, at: at + 1 },
      ]).execute();
      await o.db.insertInto('webhook_deliveries').values(['evt_ready', 'evt_done'].map((e, i) => ({
        id: `dlv_${i}`, endpoint_id: 'whk_old', event_id: e, account_id: 'acc_school', status: 'succeeded', attempts: 1, next_attempt_at: null,
        lease_owner: null, lease_until: null, created_at: at + i, updated_at: at + i,
      }))).execute();
      const before = await o.db.selectFrom('webhook_events').selectAll().orderBy('id').execute();

      const applied = await o.migrate('0020_output_phase');
      assert.equal(applied.at(-1), '0020_output_phase');
      const rows = await o.db.selectFrom('webhook_events').selectAll().orderBy('id').execute();
      assert.equal(rows.length, before.length);
      rows.forEach((row: Record<string, unknown>, i: number) => {
        for (const [col, value] of Object.entries(before[i] as Record<string, unknown>)) assert.deepEqual(row[col], value, `webhook_events.${col}`);
        assert.equal(row.phase, null);
      });

      // The delivery log reads the old rows; a replayed old job.output.ready says `stored`, other events no phase.
      const school = inAccount('acc_school', ['webhooks:manage']);
      const repo = new SqlWebhookRepository(o.db);
      const bodies = async () => (await repo.listDeliveries(school, 'whk_old', { limit: 10 })).deliveries.map((d) => JSON.parse(deliveryBody(d.event, {})));
      assert.deepEqual((await bodies()).map((b) => [b.type, b.phase]).sort(), [['job.output.ready', 'stored'], ['job.succeeded', undefined]]);

      // The new code writes and reads a playable one.
      await repo.addEvent(school, 'whk_old', { id: 'evt_playable', type: 'job.output.ready', subject: 'job', subjectId: 'job_new', output: 0, phase: 'playable', at: at + 5 }, { id: 'dlv_new', due: at + 5 });
      const playable = (await bodies()).find((b) => b.timestamp === new Date(at + 5).toISOString());
      assert.equal(playable?.phase, 'playable');
      assert.deepEqual(await o.migrate('0020_output_phase'), [], 'a second start has nothing to do');
    });
  });
}
