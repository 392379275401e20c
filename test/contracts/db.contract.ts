import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decideCancel, decideRetryByUser } from '../../src/domain/job-lifecycle.js';
import type { OutputState } from '../../src/domain/job.js';
import type { Database } from '../../src/ports/db.port.js';
import { SYSTEM_PRINCIPAL } from '../../src/domain/principal.js';
import { ADMIN, inAccount } from '../helpers/principals.js';
import { newJob, outputs, succeeded } from './db.fixtures.js';

export interface DbUnderTest {
  db: Database;
  cleanup(): Promise<void>;
}

/** Every database adapter must pass this suite against the real engine. */
export function runDbContract(name: string, make: () => Promise<DbUnderTest>) {
  describe(`db contract: ${name}`, () => {
    let h: DbUnderTest;
    let db: Database;
    before(async () => {
      h = await make();
      db = h.db;
    });
    after(async () => h.cleanup());

    it('creates a queued job and reads it back with JSON fields intact', async () => {
      const { job, created } = await db.jobs.create(ADMIN, newJob(1000));
      assert.equal(created, true);
      const read = await db.jobs.get(ADMIN, job.id);
      assert.ok(read);
      assert.equal(read.status, 'queued');
      assert.equal(read.attempts, 0);
      assert.deepEqual(read.outputs, outputs);
      assert.deepEqual(read.userMetadata, { team: 'a' });
      assert.equal(read.createdAt, 1000);
      assert.equal(await db.jobs.get(ADMIN, 'job_missing'), null);
    });

    it('keeps the damage policy, and the warnings a finished job carries until it is retried', async () => {
      const plain = await db.jobs.create(ADMIN, newJob(1500));
      assert.deepEqual([plain.job.onDamage, plain.job.warnings], ['fail', []]);
      const { job } = await db.jobs.create(ADMIN, newJob(1501, { onDamage: 'warn' }));
      assert.equal((await db.jobs.get(ADMIN, job.id))?.onDamage, 'warn');
      const c = await db.jobs.claim(job.id, 'w1', 1502, 1000);
      const warnings = [
        { code: 'input_truncated' as const, message: 'the file ends at 3.0 s of the 6.0 s its header declares', details: { availableDuration: 3 } },
        { code: 'output_short' as const, output: 0, message: 'the hls output covers 3.0 s of the 6.0 s it should' },
      ];
      assert.equal(await db.jobs.settle({ id: job.id, attempt: c!.attempts }, succeeded(c!, 1503, warnings)), true);
      const done = await db.jobs.get(ADMIN, job.id);
      assert.deepEqual([done?.onDamage, done?.warnings], ['warn', warnings]);
      // Decisions made on a stale read (running, then failed) do not apply to the finished job.
      assert.equal(await db.jobs.transition(job.id, decideCancel(c!, 1504)), false);
      assert.equal(await db.jobs.transition(job.id, decideRetryByUser({ ...done!, status: 'failed' }, 1505)), false);
      assert.equal((await db.jobs.get(ADMIN, job.id))?.status, 'succeeded', 'a succeeded job is neither canceled nor retried');
    });

    it('returns the earlier job for a repeated idempotency key, with its request hash', async () => {
      const first = await db.jobs.create(ADMIN, newJob(2000), { key: 'idem-1', requestHash: 'h1' });
      const again = await db.jobs.create(ADMIN, newJob(2001), { key: 'idem-1', requestHash: 'h2' });
      assert.equal(again.created, false);
      assert.equal(again.job.id, first.job.id);
      assert.equal(again.requestHash, 'h1');
    });

    it('keeps idempotency keys apart per account: the same key from another account is a new job, from another key of the account a replay', async () => {
      const other = inAccount('acc_other');
      const sameAccount = { ...ADMIN, keyId: 'key_admin_2', keyName: 'ci' };
      const mine0 = await db.jobs.create(ADMIN, newJob(2090), { key: 'idem-account', requestHash: 'h-a' });
      const colleague = await db.jobs.create(sameAccount, newJob(2091), { key: 'idem-account', requestHash: 'h-a' });
      assert.deepEqual([colleague.created, colleague.job.id], [false, mine0.job.id], 'one Idempotency-Key space per account');
      const mine = await db.jobs.create(ADMIN, newJob(2100), { key: 'idem-shared', requestHash: 'h-mine' });
      const theirs = await db.jobs.create(other, newJob(2101), { key: 'idem-shared', requestHash: 'h-theirs' });
      assert.deepEqual([mine.created, theirs.created], [true, true]);
      assert.notEqual(theirs.job.id, mine.job.id);
      const replay = await db.jobs.create(other, newJob(2102), { key: 'idem-shared', requestHash: 'h-theirs' });
      assert.deepEqual([replay.created, replay.job.id, replay.requestHash], [false, theirs.job.id, 'h-theirs']);
      const found = await db.jobs.findByIdempotencyKey(other, 'idem-shared');
      assert.deepEqual([found?.job.id, found?.requestHash], [theirs.job.id, 'h-theirs']);
      assert.equal((await db.jobs.findByIdempotencyKey(sameAccount, 'idem-shared'))?.job.id, mine.job.id, 'the lookup is per account too');
      assert.equal(await db.jobs.findByIdempotencyKey(inAccount('acc_nobody'), 'idem-shared'), null);
      const races = await Promise.all(['acc_r1', 'acc_r2', 'acc_r1', 'acc_r2'].map((accountId, i) => db.jobs.create(inAccount(accountId), newJob(2110 + i), { key: 'idem-race-owners', requestHash: 'h' })));
      assert.equal(new Set(races.map((r) => r.job.id)).size, 2, 'one job per account, whoever wins each race');
    });

    it("reads a job or an upload only within its account: not even an admin key of another account sees it", async () => {
      const [a, b] = [inAccount('acc_a'), inAccount('acc_b')];
      const { job } = await db.jobs.create(a, newJob(2200, { uploadId: 'upl_owned' }));
      assert.equal((await db.jobs.get(a, job.id))?.id, job.id);
      assert.equal(await db.jobs.get(b, job.id), null, "another owner's job reads as missing");
      assert.equal(await db.jobs.get(ADMIN, job.id), null, "the admin account's key reads only its own account too");
      assert.equal((await db.jobs.get(SYSTEM_PRINCIPAL, job.id))?.accountId, 'acc_a', 'the worker (system) reads any by id');
      assert.deepEqual((await db.jobs.list(a, { limit: 100 })).jobs.map((j) => j.id), [job.id]);
      assert.deepEqual((await db.jobs.list(b, { limit: 100 })).jobs, []);
      assert.ok(!(await db.jobs.list(ADMIN, { limit: 100 })).jobs.some((j) => j.id === job.id));

      const upload = { id: 'upl_owned', filename: 'o.mp4', size: 3, contentType: 'video/mp4', sha256: '', key: 'uploads/upl_owned/source', createdAt: 7 };
      await db.uploads.create(a, { ...upload, status: 'pending', multipartId: null, expiresAt: 99 });
      assert.equal(await db.uploads.get(b, upload.id), null);
      assert.equal(await db.uploads.markReady(b, upload.id, { sha256: 'x' }), false, "another owner cannot complete it");
      assert.equal((await db.uploads.get(a, upload.id))?.status, 'pending');
      assert.equal(await db.uploads.markReady(a, upload.id, { sha256: 'y' }), true);
      assert.equal(await db.uploads.get(ADMIN, upload.id), null);
      assert.deepEqual(await db.uploads.get(a, upload.id), { ...upload, sha256: 'y' });
    });

    it('resolves concurrent creates with one idempotency key to one job', async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => db.jobs.create(ADMIN, newJob(3000 + i), { key: 'idem-race', requestHash: 'h' })),
      );
      assert.equal(new Set(results.map((r) => r.job.id)).size, 1);
      assert.equal(results.filter((r) => r.created).length, 1);
    });

    it('lists newest first with a cursor, and filters by status', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await db.jobs.create(ADMIN, newJob(10_000 + i, { uploadId: 'upl_list' }))).job.id);
      const page1 = await db.jobs.list(ADMIN, { limit: 2 });
      assert.equal(page1.jobs.length, 2);
      assert.deepEqual(page1.jobs.map((j) => j.id), [ids[4], ids[3]]);
      assert.ok(page1.nextCursor);
      const page2 = await db.jobs.list(ADMIN, { limit: 2, cursor: page1.nextCursor! });
      assert.deepEqual(page2.jobs.map((j) => j.id), [ids[2], ids[1]]);
      await db.jobs.transition(ids[4], decideCancel((await db.jobs.get(ADMIN, ids[4]))!, 10_100));
      const canceled = await db.jobs.list(ADMIN, { limit: 10, status: 'canceled' });
      assert.ok(canceled.jobs.some((j) => j.id === ids[4]));
      assert.ok(canceled.jobs.every((j) => j.status === 'canceled'));
    });

    it('stores uploads and API keys', async () => {
      await db.uploads.create(ADMIN, { id: 'upl_contract1', filename: 'a.mp4', size: 12, contentType: 'video/mp4', sha256: 'ab', key: 'uploads/upl_contract1/source', createdAt: 5 });
      assert.deepEqual(await db.uploads.get(ADMIN, 'upl_contract1'), { id: 'upl_contract1', filename: 'a.mp4', size: 12, contentType: 'video/mp4', sha256: 'ab', key: 'uploads/upl_contract1/source', createdAt: 5 });
      assert.equal(await db.uploads.get(ADMIN, 'upl_nope'), null);
      const before = await db.apiKeys.count();
      await db.apiKeys.create({ id: 'key_1', name: 'admin', hash: 'deadbeef', createdAt: 1, accountId: 'acc_admin', scopes: ['admin'] });
      assert.deepEqual(await db.apiKeys.findByHash('deadbeef'), { id: 'key_1', name: 'admin', hash: 'deadbeef', createdAt: 1, accountId: 'acc_admin', scopes: ['admin'], lastUsedAt: null, revokedAt: null });
      assert.equal(await db.apiKeys.findByHash('other'), null);
      assert.equal(await db.apiKeys.count(), before + 1);
    });

    it('keeps accounts with only the quotas set on them, and updates them partially', async () => {
      await db.accounts.create({ id: 'acc_contract', name: 'School A', quotas: { runningJobs: 2 }, createdAt: 10, updatedAt: 10 });
      assert.deepEqual(await db.accounts.get('acc_contract'), { id: 'acc_contract', name: 'School A', quotas: { runningJobs: 2 }, createdAt: 10, updatedAt: 10 });
      assert.equal(await db.accounts.get('acc_nope'), null);
      const updated = await db.accounts.update('acc_contract', { quotas: { storageBytes: 1000, runningJobs: null }, updatedAt: 11 });
      assert.deepEqual(updated?.quotas, { runningJobs: null, storageBytes: 1000 }, 'null is kept (no limit); what was not sent keeps its value');
      assert.deepEqual((await db.accounts.update('acc_contract', { name: 'School B', updatedAt: 12 }))?.quotas, { runningJobs: null, storageBytes: 1000 });
      assert.equal((await db.accounts.get('acc_contract'))?.name, 'School B');
      assert.equal(await db.accounts.update('acc_nope', { name: 'x', updatedAt: 1 }), null);
      const ids = (await db.accounts.list({ limit: 1000 })).accounts.map((a) => a.id);
      assert.ok(ids.includes('acc_admin') && ids.includes('acc_contract'), 'the built-in admin account is there from the migration');
      const page = await db.accounts.list({ limit: 1 });
      assert.equal(page.accounts.length, 1);
      assert.ok(page.nextCursor);
      assert.notEqual((await db.accounts.list({ limit: 1, cursor: page.nextCursor! })).accounts[0].id, page.accounts[0].id);
    });

    it('claims fairly within a route: held at the running-jobs quota, a token naming a job without its route still takes it', async () => {
      const defaults = { storageBytes: null, runningJobs: null, processingMinutesPerMonth: null, uploadBytes: null };
      const [p, q] = [inAccount('acc_claim_p'), inAccount('acc_claim_q')];
      await db.accounts.create({ id: 'acc_claim_p', name: 'p', quotas: { runningJobs: 1 }, createdAt: 1, updatedAt: 1 });
      const hls = [{ spec: { type: 'hls' }, status: 'pending', files: [] }] as unknown as OutputState[];
      const at = 9_000_000;
      const p1 = (await db.jobs.create(p, newJob(at, { outputs: hls }))).job;
      const p2 = (await db.jobs.create(p, newJob(at + 1, { outputs: hls }))).job;
      const req = (now: number, route: 'hls' | 'audio' = 'hls') => ({ route, owner: 'w', now, leaseMs: 60_000, defaults });
      assert.equal(await db.jobs.claimNext(req(at + 5, 'audio')), null, 'another route waits for its own tokens');
      const first = await db.jobs.claimNext(req(at + 5));
      assert.ok(first && first !== 'held');
      assert.deepEqual([first.job.id, first.limited], [p1.id, true]);
      assert.equal(await db.jobs.claimNext(req(at + 6)), 'held', "p's second job waits: its quota is one running");
      const q1 = (await db.jobs.create(q, newJob(at + 7, { outputs: hls }))).job;
      const other = await db.jobs.claimNext(req(at + 8));
      assert.ok(other && other !== 'held');
      assert.deepEqual([other.job.id, other.limited], [q1.id, false], 'an unlimited account runs meanwhile');
      assert.equal(await db.jobs.settle({ id: p1.id, attempt: first.job.attempts }, succeeded(first.job, at + 9)), true);
      const next = await db.jobs.claimNext(req(at + 10));
      assert.equal(next && next !== 'held' ? next.job.id : next, p2.id, 'a slot freed: p runs its next');
      // A job whose row says another route (written by an older API) is taken by the token naming it.
      const legacy = (await db.jobs.create(q, newJob(at + 11, { outputs }))).job;
      const byName = await db.jobs.claimNext({ ...req(at + 12), expiredHint: legacy.id });
      assert.equal(byName && byName !== 'held' ? byName.job.id : byName, legacy.id);
    });

    it('the claim of a token takes over its job when that job runs with an expired lease, before any waiting job', async () => {
      const defaults = { storageBytes: null, runningJobs: null, processingMinutesPerMonth: null, uploadBytes: null };
      const [r, s] = [inAccount('acc_claim_r'), inAccount('acc_claim_s')];
      const audio = [{ spec: { type: 'audio' }, status: 'pending', files: [] }] as unknown as OutputState[];
      const at = 11_000_000;
      const req = (now: number) => ({ route: 'audio' as const, owner: 'w2', now, leaseMs: 1_000, defaults });
      const r1 = (await db.jobs.create(r, newJob(at, { outputs: audio }))).job;
      const first = await db.jobs.claimNext(req(at + 1));
      assert.ok(first && first !== 'held');
      assert.equal(first.job.id, r1.id);
      const r2 = (await db.jobs.create(r, newJob(at + 2, { outputs: audio }))).job;
      const s1 = (await db.jobs.create(s, newJob(at + 3, { outputs: audio }))).job;
      const live = await db.jobs.claimNext({ ...req(at + 500), expiredHint: r1.id });
      assert.ok(live && live !== 'held');
      assert.equal(live.job.id, s1.id, 'r1 still holds its lease: the token takes a waiting job, of the account that runs none');
      const taken = await db.jobs.claimNext({ ...req(at + 5_000), expiredHint: r1.id });
      assert.ok(taken && taken !== 'held');
      assert.deepEqual([taken.job.id, taken.job.attempts], [r1.id, 2], 'its worker is gone: the token takes it over, r2 waits');
      assert.equal((await db.jobs.get(r, r2.id))?.status, 'queued');
    });

    it('lists, touches and revokes keys within their account only', async () => {
      await db.apiKeys.create({ id: 'key_ca1', name: 'ci', hash: 'h-ca1', createdAt: 1, accountId: 'acc_ka', scopes: ['jobs:read'] });
      await db.apiKeys.create({ id: 'key_cb1', name: 'ci', hash: 'h-cb1', createdAt: 2, accountId: 'acc_kb', scopes: ['jobs:write'] });
      assert.deepEqual((await db.apiKeys.listByAccount('acc_ka')).map((k) => k.id), ['key_ca1']);
      assert.equal(await db.apiKeys.get('acc_kb', 'key_ca1'), null, "another account's key reads as missing");
      assert.equal((await db.apiKeys.get(null, 'key_ca1'))?.accountId, 'acc_ka');
      await db.apiKeys.touch('key_ca1', 100_000, 40_000);
      await db.apiKeys.touch('key_ca1', 100_500, 40_500);
      assert.equal((await db.apiKeys.get(null, 'key_ca1'))?.lastUsedAt, 100_000, 'a second touch within the resolution writes nothing');
      await db.apiKeys.touch('key_ca1', 200_000, 140_000);
      assert.equal((await db.apiKeys.get(null, 'key_ca1'))?.lastUsedAt, 200_000);
      assert.equal(await db.apiKeys.revoke('acc_kb', 'key_ca1', 5), false, "an account cannot revoke another's key");
      assert.ok(await db.apiKeys.findByHash('h-ca1'));
      assert.equal(await db.apiKeys.revoke('acc_ka', 'key_ca1', 6), true);
      assert.equal(await db.apiKeys.revoke('acc_ka', 'key_ca1', 7), false, 'once');
      assert.equal(await db.apiKeys.findByHash('h-ca1'), null, 'a revoked key no longer authenticates');
      assert.equal((await db.apiKeys.findByHash('h-ca1', { includeRevoked: true }))?.revokedAt, 6);
      assert.equal(await db.apiKeys.revoke(null, 'key_cb1', 8), true, 'the admin view revokes in any account');
    });

    it('keeps a presigned upload pending until markReady, once', async () => {
      const pending = { id: 'upl_contract2', filename: 'b.mp4', size: 7, contentType: 'video/mp4', sha256: '', key: 'uploads/upl_contract2/source', createdAt: 6 };
      await db.uploads.create(ADMIN, { ...pending, status: 'pending', multipartId: 'mp-1', expiresAt: 900 });
      assert.deepEqual(await db.uploads.get(ADMIN, 'upl_contract2'), { ...pending, status: 'pending', multipartId: 'mp-1', expiresAt: 900 });
      assert.equal(await db.uploads.markReady(ADMIN, 'upl_contract2', { sha256: 'cd' }), true);
      assert.deepEqual(await db.uploads.get(ADMIN, 'upl_contract2'), { ...pending, sha256: 'cd' });
      assert.equal(await db.uploads.markReady(ADMIN, 'upl_contract2', { sha256: 'ef' }), false, 'a ready upload is not changed again');
      assert.equal(await db.uploads.markReady(ADMIN, 'upl_contract1', { sha256: 'ef' }), false);
      assert.equal((await db.uploads.get(ADMIN, 'upl_contract2'))?.sha256, 'cd');
    });
  });
}
