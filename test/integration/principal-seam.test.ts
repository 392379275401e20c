import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DbJobQueue } from '../../src/adapters/db-queue/db.job-queue.js';
import { FsBlobStore } from '../../src/adapters/fs/fs.blob-store.js';
import { MemoryEventBus } from '../../src/adapters/memory/memory.event-bus.js';
import { sqliteCapabilities } from '../../src/adapters/sql/dialect.js';
import { openSqliteDatabase, type SqliteHandle } from '../../src/adapters/sqlite/sqlite.database.js';
import { buildHttpApp } from '../../src/http/app.js';
import { createLogger } from '../../src/main/logger.js';
import { systemClock } from '../../src/adapters/system-clock.js';
import { AuthService } from '../../src/services/auth.service.js';
import { FilesService } from '../../src/services/files.service.js';
import { JobsService } from '../../src/services/jobs.service.js';
import { LinkSigner } from '../../src/services/links.js';
import { UploadsService } from '../../src/services/uploads.service.js';
import { ownOnly } from '../helpers/principals.js';
import { tempDir } from '../helpers/temp.js';

/**
 * The caller travels from the HTTP layer to the rows: the real API app on a real SQLite, with
 * two real API keys (admin keys, as every key is today) and, for the filter the accounts issue
 * will rely on, two principals that see only their own rows (no key has that yet, so their
 * bearer tokens are mapped here, in front of the real AuthService).
 */
describe('the principal from the request to the repositories', () => {
  const KEY_1 = 'mf_first_key_0123456789abcdef';
  const KEY_2 = 'mf_second_key_0123456789abcdef';
  let t: Awaited<ReturnType<typeof tempDir>>;
  let db: SqliteHandle;
  let app: FastifyInstance;
  let base: string;
  const body = { input: { url: 'https://media.example.com/talk.mp4' }, outputs: [{ type: 'thumbnail' }] };

  before(async () => {
    t = await tempDir('mf-principal-');
    db = await openSqliteDatabase(join(t.dir, 'mediaforge.db'));
    const clock = systemClock;
    const blobs = new FsBlobStore(join(t.dir, 'storage'));
    const queue = new DbJobQueue(db.kysely, { queue: 'jobs', owner: 'api', clock, caps: sqliteCapabilities });
    const auth = new AuthService({ db, clock });
    await auth.ensureKey(KEY_1, 'admin');
    await auth.ensureKey(KEY_2, 'admin (MEDIAFORGE_API_KEY)');
    const signer = new LinkSigner('s'.repeat(32), 3600);
    app = await buildHttpApp({
      jobs: new JobsService({ db, queue, events: new MemoryEventBus(), clock, defaultMaxAttempts: 3 }),
      uploads: new UploadsService({ db, blobs, clock, maxUploadBytes: 1024 * 1024 }),
      files: new FilesService({ blobs, signer, clock }),
      auth: { verify: async (header) => (/^Bearer own-[ab]$/.test(header ?? '') ? ownOnly(`key_${header!.slice(-1)}`) : auth.verify(header)) },
      signer,
      clock,
      logger: createLogger(process.env.LOG_LEVEL ?? 'silent'),
      publicUrl: 'http://127.0.0.1',
      maxUploadBytes: 1024 * 1024,
      uploadIdleMs: 10_000,
      maxConcurrentUploads: 4,
      costs: { perCpuHour: null, perGbMonth: null },
      health: async () => ({ ok: true, checks: {} }),
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app.close();
    await db.close();
    await t.cleanup();
  });

  // Over a real socket: the upload route guards the connection itself.
  const call = async (token: string, method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const raw = payload instanceof Buffer;
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(payload !== undefined && !raw ? { 'content-type': 'application/json' } : {}), ...headers },
      body: payload === undefined ? undefined : raw ? payload : JSON.stringify(payload),
    });
    const text = await res.text();
    return { statusCode: res.status, body: text, headers: Object.fromEntries(res.headers), json: () => JSON.parse(text) };
  };

  it('the same Idempotency-Key from two keys makes two jobs; from the same key it replays', async () => {
    const first = await call(KEY_1, 'POST', '/v1/jobs', body, { 'idempotency-key': 'nightly-42' });
    const second = await call(KEY_2, 'POST', '/v1/jobs', body, { 'idempotency-key': 'nightly-42' });
    assert.deepEqual([first.statusCode, second.statusCode], [202, 202], second.body);
    assert.notEqual(second.json().id, first.json().id);
    const replay = await call(KEY_1, 'POST', '/v1/jobs', body, { 'idempotency-key': 'nightly-42' });
    assert.deepEqual([replay.statusCode, replay.headers['idempotent-replayed'], replay.json().id], [200, 'true', first.json().id]);
    const conflict = await call(KEY_2, 'POST', '/v1/jobs', { ...body, metadata: { run: 2 } }, { 'idempotency-key': 'nightly-42' });
    assert.deepEqual([conflict.statusCode, conflict.json().error.code, conflict.json().error.details?.jobId], [409, 'idempotency_conflict', second.json().id]);
    // Every key today is an admin key of the installation: each reads the other's jobs.
    assert.equal((await call(KEY_2, 'GET', `/v1/jobs/${first.json().id}`)).statusCode, 200);
  });

  it("answers 404 not_found for another owner's job and upload to a principal that sees only its own", async () => {
    const created = await call('own-a', 'POST', '/v1/jobs', body);
    assert.equal(created.statusCode, 202, created.body);
    const id = created.json().id;
    assert.equal((await call('own-a', 'GET', `/v1/jobs/${id}`)).statusCode, 200);
    for (const [method, url] of [['GET', `/v1/jobs/${id}`], ['POST', `/v1/jobs/${id}/cancel`], ['POST', `/v1/jobs/${id}/retry`], ['GET', `/v1/jobs/${id}/events`]] as const) {
      const res = await call('own-b', method, url);
      assert.deepEqual([res.statusCode, res.json().error.code, res.json().error.message], [404, 'not_found', `no job with id ${id}`], `${method} ${url}`);
    }
    assert.ok(!(await call('own-b', 'GET', '/v1/jobs')).json().jobs.some((j: { id: string }) => j.id === id), 'not listed');
    assert.ok((await call('own-a', 'GET', '/v1/jobs')).json().jobs.some((j: { id: string }) => j.id === id));
    assert.equal((await call('own-a', 'GET', `/v1/jobs/${id}`)).json().status, 'queued', "b's cancel changed nothing");

    const upload = await call('own-a', 'POST', '/v1/uploads?filename=a.bin', Buffer.from('abc'), { 'content-type': 'application/octet-stream' });
    assert.equal(upload.statusCode, 201, upload.body);
    const uploadId = upload.json().id;
    assert.deepEqual([(await call('own-b', 'GET', `/v1/uploads/${uploadId}`)).statusCode, (await call('own-a', 'GET', `/v1/uploads/${uploadId}`)).statusCode], [404, 200]);
    const borrowed = await call('own-b', 'POST', '/v1/jobs', { input: { uploadId }, outputs: [{ type: 'thumbnail' }] });
    assert.deepEqual([borrowed.statusCode, borrowed.json().error.code], [422, 'upload_not_found'], "a job cannot use another owner's upload");
  });
});
