import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SCOPES, type Scope } from '../../src/domain/account.js';
import { media } from '../helpers/media.js';
import { startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';
import { runCli } from '../helpers/process.js';

const asKey = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * Accounts through the real platform: the admin key creates accounts and their keys, each
 * account's key sees only its own media, scopes are enforced per route, revocation is at
 * once. The isolation walk (accounts-walk.test.ts) covers every route; this file the flows.
 */
describe('e2e: accounts, keys and isolation', () => {
  let p: TestPlatform;
  let video: string;
  const as = (key: string) => ({
    api: (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => p.api(method, path, body, { ...asKey(key), ...headers }),
  });
  const account = async (name: string, scopes?: Scope[]) => {
    const acc = await p.api('POST', '/v1/accounts', { name });
    assert.equal(acc.status, 201, JSON.stringify(acc.body));
    const key = await p.api('POST', `/v1/accounts/${acc.body.id}/keys`, { name: `${name} ci`, ...(scopes ? { scopes } : {}) });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    return { id: acc.body.id as string, key: key.body.key as string, keyId: key.body.id as string };
  };

  before(async () => {
    p = await startTestPlatform();
    video = await media('clip6.mp4');
  });
  after(async () => p.stop());

  it('creates an account with quotas and a key whose secret is shown once; lists never show it', async () => {
    const created = await p.api('POST', '/v1/accounts', { name: 'School A', quotas: { runningJobs: 2, storageBytes: 10_000_000 } });
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^acc_[a-z0-9]+$/);
    assert.deepEqual(created.body.quotas, { storageBytes: 10_000_000, runningJobs: 2, processingMinutesPerMonth: null, uploadBytes: null });
    const key = await p.api('POST', `/v1/accounts/${created.body.id}/keys`, { name: 'lms', scopes: ['jobs:read', 'uploads:write'] });
    assert.equal(key.status, 201);
    assert.match(key.body.key, /^mf_[A-Za-z0-9_-]{32}$/);
    assert.match(key.body.id, /^key_/);
    assert.deepEqual(key.body.scopes, ['jobs:read', 'uploads:write']);
    assert.equal(key.headers.get('cache-control'), 'no-store');

    assert.equal((await as(key.body.key).api('GET', '/v1/jobs')).status, 200);
    const listed = await p.api('GET', `/v1/accounts/${created.body.id}/keys`);
    assert.equal(listed.status, 200);
    const shown = JSON.stringify(listed.body);
    assert.ok(!shown.includes(key.body.key) && !/"(key|hash)"/.test(shown), 'neither the secret nor its hash is listed');
    assert.equal(listed.body.keys[0].id, key.body.id);
    assert.ok(listed.body.keys[0].lastUsedAt, 'the key was used once: last-used is set');

    const own = await as(key.body.key).api('GET', '/v1/account');
    assert.deepEqual([own.status, own.body.id, own.body.name, own.body.usage.runningJobs], [200, created.body.id, 'School A', 0]);
    const patched = await p.api('PATCH', `/v1/accounts/${created.body.id}`, { quotas: { runningJobs: null } });
    assert.deepEqual([patched.status, patched.body.quotas.runningJobs, patched.body.quotas.storageBytes], [200, null, 10_000_000]);
    assert.ok((await p.api('GET', '/v1/accounts')).body.accounts.some((a: { id: string }) => a.id === created.body.id));
  });

  it('refuses bad account and key requests with a code and a message', async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/v1/accounts', {}, 400, 'validation_failed'],
      ['POST', '/v1/accounts', { name: 'x', quotas: { runningJobs: -1 } }, 400, 'validation_failed'],
      ['POST', '/v1/accounts', { name: 'x', extra: 1 }, 400, 'validation_failed'],
      ['PATCH', '/v1/accounts/acc_nope', { name: 'y' }, 404, 'not_found'],
      ['GET', '/v1/accounts/acc_nope', undefined, 404, 'not_found'],
      ['POST', '/v1/accounts/acc_nope/keys', { name: 'k' }, 404, 'not_found'],
      ['POST', '/v1/accounts/acc_admin/keys', { name: 'k', scopes: ['jobs:fly'] }, 400, 'validation_failed'],
      ['POST', '/v1/accounts/acc_admin/keys', { name: 'k', scopes: [] }, 400, 'validation_failed'],
      ['DELETE', '/v1/keys/key_nope', undefined, 404, 'not_found'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await p.api(method, path, body);
      assert.deepEqual([res.status, res.body?.error?.code], [status, code], `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.ok(res.body.error.message.length > 10);
    }
  });

  it("keeps each account's uploads, jobs, files and Idempotency-Keys its own", async () => {
    const [a, b] = [await account('tenant a'), await account('tenant b')];
    const form = new FormData();
    form.append('file', new Blob([await import('node:fs/promises').then((fs) => fs.readFile(video))]), 'clip.mp4');
    const upload = await as(a.key).api('POST', '/v1/uploads', form);
    assert.equal(upload.status, 201, JSON.stringify(upload.body));
    const body = { input: { uploadId: upload.body.id }, outputs: [{ type: 'thumbnail' }] };
    const job = await as(a.key).api('POST', '/v1/jobs', body, { 'idempotency-key': 'nightly-1' });
    assert.equal(job.status, 202, JSON.stringify(job.body));

    // B: another account's ids are missing, and using them changes nothing.
    for (const [method, path] of [['GET', `/v1/jobs/${job.body.id}`], ['POST', `/v1/jobs/${job.body.id}/cancel`], ['POST', `/v1/jobs/${job.body.id}/retry`], ['GET', `/v1/jobs/${job.body.id}/events`], ['GET', `/v1/uploads/${upload.body.id}`]]) {
      const res = await as(b.key).api(method, path);
      assert.deepEqual([res.status, res.body?.error?.code], [404, 'not_found'], `${method} ${path}`);
    }
    const borrowed = await as(b.key).api('POST', '/v1/jobs', body);
    assert.deepEqual([borrowed.status, borrowed.body.error.code], [422, 'upload_not_found'], "a job cannot use another account's upload");
    assert.deepEqual((await as(b.key).api('GET', '/v1/jobs')).body.jobs, []);
    assert.equal((await p.api('GET', `/v1/jobs/${job.body.id}`)).status, 404, "the admin account's key does not read another account's job either");

    // The same Idempotency-Key in B is B's own request; in A a replay.
    const bUpload = await as(b.key).api('POST', '/v1/uploads?filename=b.mp4', new Uint8Array(await import('node:fs/promises').then((fs) => fs.readFile(video))), { 'content-type': 'application/octet-stream' });
    const bJob = await as(b.key).api('POST', '/v1/jobs', { ...body, input: { uploadId: bUpload.body.id } }, { 'idempotency-key': 'nightly-1' });
    assert.equal(bJob.status, 202);
    const replay = await as(a.key).api('POST', '/v1/jobs', body, { 'idempotency-key': 'nightly-1' });
    assert.deepEqual([replay.status, replay.body.id], [200, job.body.id]);

    // Finished: the file is stored under A's prefix, and its link cannot be re-pointed to B's.
    let done = job.body;
    for (let i = 0; i < 200 && !['succeeded', 'failed'].includes(done.status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      done = (await as(a.key).api('GET', `/v1/jobs/${job.body.id}`)).body;
    }
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const url = new URL(done.outputs[0].files[0].url);
    assert.match(url.pathname, new RegExp(`^/v1/files/[^/]+/${a.id}/jobs/${job.body.id}/00-thumbnail/`));
    assert.ok((await stat(join(p.dataDir, 'storage', a.id, 'uploads', upload.body.id, 'source'))).size > 0, 'the upload is under the account prefix');
    assert.equal((await fetch(url)).status, 200);
    let bDone = bJob.body;
    for (let i = 0; i < 200 && !['succeeded', 'failed'].includes(bDone.status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      bDone = (await as(b.key).api('GET', `/v1/jobs/${bJob.body.id}`)).body;
    }
    const bKey = new URL(bDone.outputs[0].files[0].url).pathname.split('/').slice(4).join('/');
    const token = url.pathname.split('/')[3];
    const repointed = await fetch(`${url.origin}/v1/files/${token}/${bKey}`);
    assert.equal(repointed.status, 403, "A's link opens nothing of B's");
    const usage = await as(a.key).api('GET', '/v1/account');
    assert.ok(usage.body.usage.storageBytes > 0 && usage.body.usage.outputBytes > 0, JSON.stringify(usage.body.usage));
    // The usage report counts each account's own finished jobs only.
    const today = new Date().toISOString().slice(0, 10);
    const report = await as(a.key).api('GET', `/v1/account/usage?from=${today}&to=${today}`);
    assert.equal(report.status, 200, JSON.stringify(report.body));
    assert.deepEqual([report.body.accountId, report.body.days.length, report.body.totals.jobs], [a.id, 1, 1]);
    assert.ok(report.body.days[0].cpuSeconds > 0 && report.body.days[0].outputs[0].type === 'thumbnail', JSON.stringify(report.body.days[0]));
    assert.equal((await as(b.key).api('GET', `/v1/account/usage?from=${today}`)).body.totals.jobs, 1, "B's own job, not A's");
    for (const q of ['from=2026-13-01', 'from=yesterday', 'from=2026-02-01&to=2026-01-01', 'from=2020-01-01&to=2026-01-01', 'day=1']) {
      const bad = await as(a.key).api('GET', `/v1/account/usage?${q}`);
      assert.deepEqual([bad.status, bad.body.error.code], [400, 'validation_failed'], q);
    }
  });

  it('answers 403 forbidden naming the scope a key lacks, and lets no key mint a stronger one', async () => {
    const reader = await account('readers', ['jobs:read']);
    const res = await as(reader.key).api('POST', '/v1/jobs', { input: { url: 'https://example.com/a.mp4' }, outputs: [{ type: 'thumbnail' }] });
    assert.deepEqual([res.status, res.body.error.code, res.body.error.details.scope], [403, 'forbidden', 'jobs:write']);
    assert.match(res.body.error.message, /jobs:write/);

    const manager = await account('managers', ['keys:manage', 'jobs:read']);
    const ok = await as(manager.key).api('POST', `/v1/accounts/${manager.id}/keys`, { name: 'dashboard', scopes: ['jobs:read'] });
    assert.equal(ok.status, 201);
    for (const scopes of [['jobs:write'], ['admin'], ['jobs:read', 'uploads:write']]) {
      const refused = await as(manager.key).api('POST', `/v1/accounts/${manager.id}/keys`, { name: 'x', scopes });
      assert.deepEqual([refused.status, refused.body.error.code], [403, 'forbidden'], scopes.join());
    }
    const elsewhere = await as(manager.key).api('POST', `/v1/accounts/${reader.id}/keys`, { name: 'x', scopes: ['jobs:read'] });
    assert.deepEqual([elsewhere.status, elsewhere.body.error.code], [404, 'not_found'], "another account's keys are not there for it");
    assert.equal((await as(manager.key).api('GET', `/v1/accounts/${reader.id}/keys`)).status, 404);
    assert.equal((await as(manager.key).api('DELETE', `/v1/keys/${reader.keyId}`)).status, 404);
    assert.equal((await as(manager.key).api('GET', '/v1/accounts')).status, 403, 'accounts are the admin scope');
  });

  it('revokes a key at once', async () => {
    const acc = await account('revoked');
    assert.equal((await as(acc.key).api('GET', '/v1/jobs')).status, 200);
    const revoked = await p.api('DELETE', `/v1/keys/${acc.keyId}`);
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revokedAt);
    const after = await as(acc.key).api('GET', '/v1/jobs');
    assert.deepEqual([after.status, after.body.error.code], [401, 'unauthorized']);
    assert.equal((await p.api('DELETE', `/v1/keys/${acc.keyId}`)).status, 200, 'revoking again answers the revoked key');
    assert.equal((await p.api('GET', '/v1/jobs')).status, 200, 'the admin key still works');
  });

  it('the bootstrap key is the admin account with every scope', async () => {
    const own = await p.api('GET', '/v1/account');
    assert.deepEqual([own.status, own.body.id], [200, 'acc_admin']);
    const keys = await p.api('GET', '/v1/accounts/acc_admin/keys');
    assert.deepEqual(keys.body.keys.map((k: { scopes: string[] }) => k.scopes), [['admin']]);
    assert.ok(SCOPES.includes('admin') && TEST_KEY.length > 0);
  });

  it('the CLI creates and lists accounts and keys, and revokes a key', async () => {
    const cli = async (...args: string[]) => {
      const r = await runCli([...args, '--url', p.base, '--key', TEST_KEY]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const created = JSON.parse(await cli('accounts', 'create', 'cli school', '--running-jobs', '3', '--storage-bytes', 'none', '--json'));
    assert.deepEqual([created.name, created.quotas.runningJobs, created.quotas.storageBytes], ['cli school', 3, null]);
    assert.match(await cli('accounts', 'list'), new RegExp(`${created.id}\\s+cli school\\s+-\\s+3`));
    const shown = await cli('keys', 'create', created.id, '--name', 'grader', '--scopes', 'jobs:read,jobs:write');
    const secret = /\n {2}(mf_\S+)\n/.exec(shown)?.[1];
    assert.ok(secret, shown);
    assert.match(shown, /not shown again/);
    const listed = await cli('keys', 'list', created.id);
    assert.match(listed, /grader\s+jobs:read,jobs:write/);
    assert.ok(!listed.includes(secret!), 'the list never shows the secret');
    const keyId = /^(key_\S+)/m.exec(listed.split('\n').slice(1).join('\n'))?.[1];
    assert.equal((await as(secret!).api('GET', '/v1/jobs')).status, 200);
    assert.match(await cli('keys', 'revoke', keyId!), /revoked key_/);
    assert.equal((await as(secret!).api('GET', '/v1/jobs')).status, 401);
    const refused = await runCli(['accounts', 'list', '--url', p.base, '--key', secret!]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /\[unauthorized\]/);
    const bad = await runCli(['accounts', 'create', 'x', '--running-jobs', 'lots', '--url', p.base, '--key', TEST_KEY]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /whole number or none/);
  });

  it('refuses over the storage and minutes quotas with 403 quota_exceeded, and narrows the upload limit to the account', async () => {
    const acc = await account('quota school');
    const bytes = new Uint8Array(await import('node:fs/promises').then((fs) => fs.readFile(video)));
    const raw = (path: string) => as(acc.key).api('POST', path, bytes, { 'content-type': 'application/octet-stream' });

    await p.api('PATCH', `/v1/accounts/${acc.id}`, { quotas: { uploadBytes: 1000 } });
    const big = await raw('/v1/uploads?filename=c.mp4');
    assert.deepEqual([big.status, big.body.error.code, big.body.error.details.limitBytes], [413, 'upload_too_large', 1000]);

    await p.api('PATCH', `/v1/accounts/${acc.id}`, { quotas: { uploadBytes: null, storageBytes: bytes.length + 10, processingMinutesPerMonth: 1 } });
    const first = await raw('/v1/uploads?filename=c.mp4');
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const second = await raw('/v1/uploads?filename=c.mp4');
    assert.deepEqual([second.status, second.body.error.code, second.body.error.details.quota, second.body.error.details.limit], [403, 'quota_exceeded', 'storageBytes', bytes.length + 10]);
    assert.match(second.body.error.message, /storage/);

    // A job is refused only once nothing is left; its outputs then fill the storage quota.
    const thumb = { input: { uploadId: first.body.id }, outputs: [{ type: 'thumbnail' }] };
    const job = await as(acc.key).api('POST', '/v1/jobs', thumb, { 'idempotency-key': 'thumb-1' });
    assert.equal(job.status, 202, JSON.stringify(job.body));
    for (let i = 0; i < 200; i++) {
      if ((await as(acc.key).api('GET', `/v1/jobs/${job.body.id}`)).body.status === 'succeeded') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const over = await as(acc.key).api('POST', '/v1/jobs', { input: { uploadId: first.body.id }, outputs: [{ type: 'thumbnail' }] });
    assert.deepEqual([over.status, over.body.error.code, over.body.error.details.quota], [403, 'quota_exceeded', 'storageBytes']);
    assert.ok(over.body.error.details.used > over.body.error.details.limit - 10);
    // A client retrying the request that was accepted gets its job, over the quota or not.
    const replay = await as(acc.key).api('POST', '/v1/jobs', thumb, { 'idempotency-key': 'thumb-1' });
    assert.deepEqual([replay.status, replay.body.id, replay.body.status], [200, job.body.id, 'succeeded'], JSON.stringify(replay.body));
    const changed = await as(acc.key).api('POST', '/v1/jobs', { ...thumb, outputs: [{ type: 'thumbnail', format: 'png' }] }, { 'idempotency-key': 'thumb-1' });
    assert.deepEqual([changed.status, changed.body.error.code], [409, 'idempotency_conflict']);

    // The 6 s clip used one processing minute of one.
    await p.api('PATCH', `/v1/accounts/${acc.id}`, { quotas: { storageBytes: null } });
    const minutes = await as(acc.key).api('POST', '/v1/jobs', { input: { uploadId: first.body.id }, outputs: [{ type: 'thumbnail' }] });
    assert.deepEqual([minutes.status, minutes.body.error.code, minutes.body.error.details], [403, 'quota_exceeded', { quota: 'processingMinutesPerMonth', used: 1, limit: 1 }]);
    await p.api('PATCH', `/v1/accounts/${acc.id}`, { quotas: { processingMinutesPerMonth: null } });
    assert.equal((await as(acc.key).api('POST', '/v1/jobs', { input: { uploadId: first.body.id }, outputs: [{ type: 'thumbnail' }] })).status, 202, 'lifting the quota lets work in again');
  });
});
