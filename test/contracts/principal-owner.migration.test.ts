import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { postgresDb, sqliteDb, type OldDb } from './old-db.js';

const PREVIOUS = '0006_damage_policy';
const oldJob = { status: 'queued', max_attempts: 3, upload_id: 'upl_old', outputs: '[]', created_at: 1, run_after: 1, updated_at: 1 };
const oldUpload = { id: 'upl_old', filename: 'a.mp4', size: 3, content_type: 'video/mp4', sha256: '', storage_key: 'uploads/upl_old/source', created_at: 1 };
// Later migrations (0010) move ownership to accounts; this file checks 0008 alone.
const UP_TO = '0008_principal_owner';

for (const [name, open] of [['sqlite', sqliteDb], ['postgres', postgresDb]] as const) {
  describe(`migration 0008_principal_owner: ${name}`, () => {
    const opened: OldDb[] = [];
    after(async () => {
      for (const o of opened) await o.close();
    });
    const previousSchema = async () => {
      const o = await open();
      opened.push(o);
      await o.migrate(PREVIOUS);
      return o;
    };

    it("gives existing rows the oldest key's id, keeps their idempotency keys replaying for it, and scopes new keys per owner", async () => {
      const o = await previousSchema();
      const indexesBefore = await o.jobIndexes();
      await o.db.insertInto('api_keys').values([
        { id: 'key_rotated', name: 'admin (MEDIAFORGE_API_KEY)', hash: 'h2', created_at: 20 },
        { id: 'key_boot', name: 'admin', hash: 'h1', created_at: 10 },
      ]).execute();
      await o.db.insertInto('jobs').values([
        { ...oldJob, id: 'job_keyed', idempotency_key: 'idem-1', request_hash: 'rh' },
        { ...oldJob, id: 'job_plain', status: 'succeeded' },
      ]).execute();
      await o.db.insertInto('uploads').values(oldUpload).execute();

      const applied = await o.migrate(UP_TO);
      assert.ok(applied.includes('0008_principal_owner'), applied.join(','));
      const owners = await o.db.selectFrom('jobs').select(['id', 'owner_key_id', 'idempotency_key', 'status']).orderBy('id').execute();
      assert.deepEqual(owners, [
        { id: 'job_keyed', owner_key_id: 'key_boot', idempotency_key: 'idem-1', status: 'queued' },
        { id: 'job_plain', owner_key_id: 'key_boot', idempotency_key: null, status: 'succeeded' },
      ]);
      assert.deepEqual(await o.db.selectFrom('uploads').select('owner_key_id').execute(), [{ owner_key_id: 'key_boot' }]);
      // Every index of the jobs table is kept except 0001's global UNIQUE on idempotency_key.
      const globalUnique = name === 'sqlite' ? 'sqlite_autoindex_jobs_2' : 'jobs_idempotency_key_key';
      assert.ok(indexesBefore.includes(globalUnique), indexesBefore.join(','));
      const expected = [...indexesBefore.filter((i) => i !== globalUnique), 'jobs_owner_id', 'jobs_owner_idempotency'];
      assert.deepEqual((await o.jobIndexes()).sort(), expected.sort());

      // Unique per (owner, key): the bootstrap key's key is taken, another key holder's is free.
      await assert.rejects(o.db.insertInto('jobs').values({ ...oldJob, id: 'job_dup', idempotency_key: 'idem-1', owner_key_id: 'key_boot' }).execute(), 'unique per (owner, key)');
      await o.db.insertInto('jobs').values({ ...oldJob, id: 'job_other', idempotency_key: 'idem-1', owner_key_id: 'key_rotated' }).execute();
      await assert.rejects(
        o.db.insertInto('jobs').values({ ...oldJob, id: 'job_dup2', idempotency_key: 'idem-1', owner_key_id: 'key_rotated' }).execute(),
        'unique per (owner, key)',
      );
    });

    it("gives rows of a database without any key the 'legacy' owner, and so does an older process that omits the column", async () => {
      const o = await previousSchema();
      await o.db.insertInto('jobs').values({ ...oldJob, id: 'job_nokey', idempotency_key: 'idem-x' }).execute();
      await o.migrate(UP_TO);
      await o.db.insertInto('jobs').values({ ...oldJob, id: 'job_oldcode', idempotency_key: 'idem-y' }).execute();
      const rows = await o.db.selectFrom('jobs').select(['id', 'owner_key_id']).orderBy('id').execute();
      assert.deepEqual(rows, [
        { id: 'job_nokey', owner_key_id: 'legacy' },
        { id: 'job_oldcode', owner_key_id: 'legacy' },
      ]);
    });
  });
}
