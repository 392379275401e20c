import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SqlApiKeyRepository } from '../../src/adapters/sql/account.repository.js';
import { SqlJobRepository } from '../../src/adapters/sql/job.repository.js';
import { SqlSessionRepository, SqlUserRepository } from '../../src/adapters/sql/user.repository.js';
import { ADMIN } from '../helpers/principals.js';
import { postgresDb, sqliteDb, type OldDb } from './old-db.js';

/** The schema before users. */
const PREVIOUS = '0013_fair_claim';
const at = Date.UTC(2026, 10, 30, 12);
const oldJob = {
  max_attempts: 3, attempts: 0, progress: 0, stage: null, upload_id: 'upl_old', outputs: '[]', created_at: at, run_after: at,
  started_at: null, finished_at: null, updated_at: at, owner_key_id: 'key_admin', status: 'queued',
};

for (const [name, open] of [['sqlite', sqliteDb], ['postgres', postgresDb]] as const) {
  describe(`migration 0014_users: ${name}`, () => {
    let o: OldDb;
    after(async () => o?.close());

    it('adds users beside a filled database and changes nothing in it', async () => {
      o = await open();
      await o.migrate(PREVIOUS);
      await o.db.insertInto('accounts').values({ id: 'acc_school', name: 'School', quotas: '{"runningJobs":2}', created_at: at, updated_at: at }).execute();
      await o.db.insertInto('api_keys').values({ id: 'key_school', name: 'ci', hash: 'h'.repeat(64), created_at: at, account_id: 'acc_school', scopes: '["jobs:read"]' }).execute();
      await o.db.insertInto('jobs').values([
        { ...oldJob, id: 'job_a', account_id: 'acc_school' },
        { ...oldJob, id: 'job_b', account_id: 'acc_admin' },
      ]).execute();
      const snapshot = async () => ({
        accounts: await o.db.selectFrom('accounts').selectAll().orderBy('id').execute(),
        keys: await o.db.selectFrom('api_keys').selectAll().orderBy('id').execute(),
        jobs: await o.db.selectFrom('jobs').selectAll().orderBy('id').execute(),
      });
      const before = await snapshot();
      assert.equal(before.jobs.length, 2);

      const applied = await o.migrate('0014_users');
      assert.deepEqual(applied, ['0014_users']);
      assert.deepEqual(await snapshot(), before, 'accounts, keys and jobs as they were');

      // The old rows work with the new code, and the new tables take users and sessions.
      assert.equal((await new SqlApiKeyRepository(o.db).findByHash('h'.repeat(64)))?.accountId, 'acc_school');
      assert.equal((await new SqlJobRepository(o.db).get(ADMIN, 'job_b'))?.status, 'queued');
      const users = new SqlUserRepository(o.db);
      const u = { id: 'usr_1', accountId: 'acc_school', email: 'a@school.example', role: 'owner' as const, passwordHash: 'x', createdAt: at, updatedAt: at, lastLoginAt: null, disabledAt: null };
      assert.equal(await users.create(u), true);
      assert.equal(await users.create({ ...u, id: 'usr_2' }), false, 'the email is unique');
      const sessions = new SqlSessionRepository(o.db);
      await sessions.create({ id: 'ses_1', userId: 'usr_1', createdAt: at, expiresAt: at + 1000, revokedAt: null }, 'r'.repeat(64));
      assert.equal((await sessions.signedIn('usr_1', 'ses_1', at))?.user.email, 'a@school.example');
      assert.deepEqual(await o.migrate('0014_users'), [], 'a second start has nothing to do');
    });
  });
}
