import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SqlIngestObjectRepository } from '../../src/adapters/sql/ingest-object.repository.js';
import { SqlUploadRepository } from '../../src/adapters/sql/upload.repository.js';
import { inAccount } from '../helpers/principals.js';
import { postgresDb, sqliteDb, type OldDb } from './old-db.js';

const PREVIOUS = '0017_notify';
const at = Date.UTC(2026, 11, 6, 12);
const oldUpload = {
  id: 'upl_old', filename: 'a.mp4', size: 5000, content_type: 'video/mp4', sha256: 'ab', storage_key: 'acc_school/uploads/upl_old/source', created_at: at, status: 'ready',
  owner_key_id: 'key_school', account_id: 'acc_school', retention: '{}', source_expires_at: null, removed_at: null,
};

for (const [name, open] of [['sqlite', sqliteDb], ['postgres', postgresDb]] as const) {
  describe(`migration 0018_ingest: ${name}`, () => {
    let o: OldDb;
    after(async () => o?.close());

    it('adds process, job_id, process_error and ingest_objects beside a filled 0017 database, keeping every row as it was', async () => {
      o = await open();
      await o.migrate(PREVIOUS);
      await o.db.insertInto('accounts').values({ id: 'acc_school', name: 'School', quotas: '{}', created_at: at, updated_at: at }).execute();
      await o.db.insertInto('uploads').values([oldUpload, { ...oldUpload, id: 'upl_pending', status: 'pending', storage_key: 'acc_school/uploads/upl_pending/source', expires_at: at + 60_000 }]).execute();
      const before = await o.db.selectFrom('uploads').selectAll().orderBy('id').execute();

      assert.deepEqual(await o.migrate('0018_ingest'), ['0018_ingest']);
      const rows = await o.db.selectFrom('uploads').selectAll().orderBy('id').execute();
      assert.equal(rows.length, before.length);
      rows.forEach((row: Record<string, unknown>, i: number) => {
        for (const [col, value] of Object.entries(before[i] as Record<string, unknown>)) assert.deepEqual(row[col], value, `uploads.${col}`);
        assert.deepEqual([row.process, row.job_id, row.process_error], [null, null, null]);
      });

      // Old rows read with the new code as before: no process, no job.
      const uploads = new SqlUploadRepository(o.db);
      const school = inAccount('acc_school');
      assert.deepEqual(await uploads.get(school, 'upl_old'), { id: 'upl_old', filename: 'a.mp4', size: 5000, contentType: 'video/mp4', sha256: 'ab', key: 'acc_school/uploads/upl_old/source', createdAt: at });
      // An old pending upload completes as before (no process: no job).
      assert.equal(await uploads.markReady(school, 'upl_pending', { sha256: 'cd', at }), true);
      assert.equal((await uploads.get(school, 'upl_pending'))?.jobId, undefined);
      // The new table takes an object once.
      const ingest = new SqlIngestObjectRepository(o.db);
      const obj = { bucket: 'media', key: 'incoming/a.mp4', etag: '"e1"' };
      assert.equal(await ingest.claim(obj, { accountId: 'acc_school', uploadId: 'upl_old', at }), true);
      assert.equal(await ingest.claim(obj, { accountId: 'acc_school', uploadId: 'upl_other', at }), false);
      assert.deepEqual(await o.migrate('0018_ingest'), [], 'a second start has nothing to do');
    });
  });
}
