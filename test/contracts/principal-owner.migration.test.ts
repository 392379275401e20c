import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { createPool } from '../../src/adapters/postgres/postgres.database.js';
import { openWasmSqlite } from '../../src/adapters/sqlite/wasm-sqlite.driver.js';
import { postgresCapabilities, sqliteCapabilities, type DialectCapabilities } from '../../src/adapters/sql/dialect.js';
import { SqlJobRepository } from '../../src/adapters/sql/job.repository.js';
import { migrateToLatest } from '../../src/adapters/sql/migrations.js';
import { SqlUploadRepository } from '../../src/adapters/sql/upload.repository.js';
import { newId } from '../../src/domain/ids.js';
import { decideCreate } from '../../src/domain/job-lifecycle.js';
import type { Principal } from '../../src/domain/principal.js';
import type { NewJob } from '../../src/ports/db.port.js';
import { tempDir } from '../helpers/temp.js';
import { dropSchema, freshSchema, PG_URL } from './postgres.schema.js';

interface OldDb {
  db: Kysely<any>;
  caps: DialectCapabilities;
  migrate(upTo?: string): Promise<string[]>;
  /** Names of the indexes on `jobs`. */
  jobIndexes(): Promise<string[]>;
  close(): Promise<void>;
}

async function sqliteDb(): Promise<OldDb> {
  const t = await tempDir();
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: openWasmSqlite(join(t.dir, 'old.db')) }) });
  return {
    db,
    caps: sqliteCapabilities,
    migrate: (upTo) => migrateToLatest(db, sqliteCapabilities, { upTo }),
    jobIndexes: async () => (await db.selectFrom('sqlite_master').select('name').where('type', '=', 'index').where('tbl_name', '=', 'jobs').execute()).map((r) => r.name),
    close: async () => {
      await db.destroy();
      await t.cleanup();
    },
  };
}

async function postgresDb(): Promise<OldDb> {
  const schema = freshSchema();
  const pool = createPool(PG_URL, { schema, poolSize: 2 });
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  await pool.query(`CREATE SCHEMA "${schema}"`);
  return {
    db,
    caps: postgresCapabilities,
    migrate: (upTo) => migrateToLatest(db, postgresCapabilities, { schema, upTo }),
    jobIndexes: async () => (await pool.query('SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2', [schema, 'jobs'])).rows.map((r) => r.indexname),
    close: async () => {
      await db.destroy();
      await dropSchema(schema);
    },
  };
}

const PREVIOUS = '0006_damage_policy';
const oldJob = { status: 'queued', max_attempts: 3, upload_id: 'upl_old', outputs: '[]', created_at: 1, run_after: 1, updated_at: 1 };
const oldUpload = { id: 'upl_old', filename: 'a.mp4', size: 3, content_type: 'video/mp4', sha256: '', storage_key: 'uploads/upl_old/source', created_at: 1 };
const newJob = (now: number): NewJob => {
  const id = newId('job', now);
  return { id, uploadId: 'upl_old', outputs: [], userMetadata: null, maxAttempts: 3, createdAt: now, initial: decideCreate(id, now).write };
};
const key = (keyId: string): Principal => ({ keyId, keyName: keyId, sees: 'all' });

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

      const applied = await o.migrate('0008_principal_owner');
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

      await o.migrate(); // the repository below writes the latest schema's columns
      const jobs = new SqlJobRepository(o.db);
      const replay = await jobs.create(key('key_boot'), newJob(100), { key: 'idem-1', requestHash: 'rh' });
      assert.deepEqual([replay.created, replay.job.id], [false, 'job_keyed'], 'the bootstrap key replays its earlier request');
      const other = await jobs.create(key('key_rotated'), newJob(101), { key: 'idem-1', requestHash: 'rh' });
      assert.equal(other.created, true, 'the same key from another key holder is a new job: no global UNIQUE left');
      await assert.rejects(
        o.db.insertInto('jobs').values({ ...oldJob, id: 'job_dup', idempotency_key: 'idem-1', owner_key_id: 'key_rotated' }).execute(),
        'unique per (owner, key)',
      );
      assert.equal((await new SqlUploadRepository(o.db).get(key('key_boot'), 'upl_old'))?.id, 'upl_old');
    });

    it("gives rows of a database without any key the 'legacy' owner, and so does an older process that omits the column", async () => {
      const o = await previousSchema();
      await o.db.insertInto('jobs').values({ ...oldJob, id: 'job_nokey', idempotency_key: 'idem-x' }).execute();
      await o.migrate();
      await o.db.insertInto('jobs').values({ ...oldJob, id: 'job_oldcode', idempotency_key: 'idem-y' }).execute();
      const rows = await o.db.selectFrom('jobs').select(['id', 'owner_key_id']).orderBy('id').execute();
      assert.deepEqual(rows, [
        { id: 'job_nokey', owner_key_id: 'legacy' },
        { id: 'job_oldcode', owner_key_id: 'legacy' },
      ]);
    });
  });
}
