import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { media } from '../helpers/media.js';
import { collectEvents, startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';
import { inAccount } from '../helpers/principals.js';
import { waitFor } from '../helpers/temp.js';

const octets = { 'content-type': 'application/octet-stream' };
const codeOf = (res: { status: number; body: any }) => [res.status, res.body?.error?.code];

describe('e2e: presets, retention settings and deletion (worker off)', () => {
  let p: TestPlatform;
  let b: { id: string; auth: Record<string, string> };
  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_WORKER: 'false' });
    const acc = (await p.api('POST', '/v1/accounts', { name: 'other school' })).body.id as string;
    const key = (await p.api('POST', `/v1/accounts/${acc}/keys`, { name: 'b' })).body.key as string;
    b = { id: acc, auth: { authorization: `Bearer ${key}` } };
  });
  after(async () => p.stop());
  const upload = async (headers: Record<string, string> = {}, query = '') => {
    const res = await p.api('POST', `/v1/uploads?filename=a.bin${query}`, new Uint8Array([1, 2, 3, 4]), { ...octets, ...headers });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };

  it('lists the built-ins, saves an account preset, and refuses duplicates, bad outputs and the built-in names', async () => {
    const list = await p.api('GET', '/v1/presets');
    assert.deepEqual(list.body.presets.map((x: any) => [x.name, x.builtIn]), [['lms-hls', true], ['frames-1fps', true], ['shorts-9x16-60s', true], ['web-mp4-720', true]]);
    const saved = await p.api('POST', '/v1/presets', { name: 'course-thumbs', description: 'poster for the catalogue', outputs: [{ type: 'thumbnail', width: 160 }] });
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    assert.deepEqual([saved.body.name, saved.body.builtIn, saved.body.outputs], ['course-thumbs', false, [{ type: 'thumbnail', width: 160 }]]);
    assert.deepEqual(codeOf(await p.api('POST', '/v1/presets', { name: 'course-thumbs', outputs: [{ type: 'thumbnail' }] })), [409, 'preset_exists']);
    const bad = await p.api('POST', '/v1/presets', { name: 'broken', outputs: [{ type: 'frames', fps: 1, count: 3 }] });
    assert.deepEqual([...codeOf(bad), bad.body.error.details.problems[0].path], [400, 'validation_failed', 'outputs[0]']);
    for (const [method, path, body] of [['POST', '/v1/presets', { name: 'lms-hls', outputs: [{ type: 'thumbnail' }] }], ['PUT', '/v1/presets/lms-hls', { outputs: [{ type: 'thumbnail' }] }], ['DELETE', '/v1/presets/lms-hls', undefined]] as const) {
      assert.deepEqual(codeOf(await p.api(method, path, body)), [409, 'preset_read_only'], `${method} ${path}`);
    }
    assert.equal((await p.api('GET', '/v1/presets/lms-hls')).body.outputs[0].type, 'hls');
  });

  it('a job takes the preset\'s outputs first, then its own; unknown and invalid presets are 422', async () => {
    const up = await upload();
    const job = await p.api('POST', '/v1/jobs', { input: { uploadId: up.id }, preset: 'course-thumbs', outputs: [{ type: 'frames', fps: 1 }] });
    assert.equal(job.status, 202, JSON.stringify(job.body));
    assert.deepEqual(job.body.outputs.map((o: any) => [o.type, o.width ?? o.fps, o.format]), [['thumbnail', 160, 'jpg'], ['frames', 1, 'jpg']], 'defaults applied when used');
    const builtIn = await p.api('POST', '/v1/jobs', { input: { uploadId: up.id }, preset: 'web-mp4-720' });
    assert.deepEqual(builtIn.body.outputs.map((o: any) => [o.type, o.height]), [['mp4', 720]]);
    const unknown = await p.api('POST', '/v1/jobs', { input: { uploadId: up.id }, preset: 'nope' });
    assert.deepEqual([...codeOf(unknown), unknown.body.error.details.path], [422, 'preset_not_found', 'preset']);
    const many = await p.api('POST', '/v1/jobs', { input: { uploadId: up.id }, preset: 'course-thumbs', outputs: Array.from({ length: 20 }, () => ({ type: 'thumbnail' })) });
    assert.deepEqual(codeOf(many), [400, 'validation_failed']);
    // Saved under an older schema, refused by today's: checked again at use.
    await p.platform.jobs.db.presets.create(inAccount('acc_admin'), { name: 'stale', description: null, outputs: [{ type: 'frames' }], createdAt: 1, updatedAt: 1 });
    const stale = await p.api('POST', '/v1/jobs', { input: { uploadId: up.id }, preset: 'stale' });
    assert.deepEqual([...codeOf(stale), stale.body.error.details.problems[0].path], [422, 'preset_invalid', 'preset(stale).outputs[0]']);
  });

  it("keeps an account's preset from every other account, and changes and deletes it", async () => {
    assert.deepEqual(codeOf(await p.api('GET', '/v1/presets/course-thumbs', undefined, b.auth)), [404, 'not_found']);
    assert.deepEqual(codeOf(await p.api('PUT', '/v1/presets/course-thumbs', { outputs: [{ type: 'audio' }] }, b.auth)), [404, 'not_found']);
    assert.deepEqual(codeOf(await p.api('DELETE', '/v1/presets/course-thumbs', undefined, b.auth)), [404, 'not_found']);
    assert.ok(!(await p.api('GET', '/v1/presets', undefined, b.auth)).body.presets.some((x: any) => x.name === 'course-thumbs'));
    const theirs = await upload(b.auth);
    assert.deepEqual(codeOf(await p.api('POST', '/v1/jobs', { input: { uploadId: theirs.id }, preset: 'course-thumbs' }, b.auth)), [422, 'preset_not_found']);

    const put = await p.api('PUT', '/v1/presets/course-thumbs', { outputs: [{ type: 'thumbnail', width: 320 }] });
    assert.deepEqual([put.status, put.body.outputs, put.body.description], [200, [{ type: 'thumbnail', width: 320 }], null]);
    const up = await upload();
    assert.equal((await p.api('POST', '/v1/jobs', { input: { uploadId: up.id }, preset: 'course-thumbs' })).body.outputs[0].width, 320);
    assert.equal((await p.api('DELETE', '/v1/presets/course-thumbs')).status, 200);
    assert.deepEqual(codeOf(await p.api('POST', '/v1/jobs', { input: { uploadId: up.id }, preset: 'course-thumbs' })), [422, 'preset_not_found']);
  });

  it('an upload keeps its source for the configured 7 days, or what it, its form field or its account asks', async () => {
    const plain = await upload();
    assert.equal(Date.parse(plain.sourceExpiresAt) - Date.parse(plain.createdAt), 7 * 86_400_000);
    const asked = await upload({}, `&retention=${encodeURIComponent('{"sourceSeconds":3600,"outputsSeconds":60}')}`);
    assert.deepEqual([Date.parse(asked.sourceExpiresAt) - Date.parse(asked.createdAt), asked.retention], [3600_000, { sourceSeconds: 3600, outputsSeconds: 60 }]);
    const form = new FormData();
    form.append('retention', JSON.stringify({ sourceSeconds: null }));
    form.append('file', new Blob([new Uint8Array([5, 6, 7])]), 'b.bin');
    const multipart = await p.api('POST', '/v1/uploads', form);
    assert.deepEqual([multipart.status, multipart.body.sourceExpiresAt], [201, null], 'kept until deleted');
    const used = (await p.api('GET', '/v1/account')).body.usage.storageBytes;
    const bad = await p.api('POST', `/v1/uploads?filename=x.bin&retention=${encodeURIComponent('{"sourceSeconds":-5}')}`, new Uint8Array([1]), octets);
    assert.deepEqual(codeOf(bad), [400, 'validation_failed']);
    assert.equal((await p.api('GET', '/v1/account')).body.usage.storageBytes, used, 'nothing stored');

    const patched = await p.api('PATCH', `/v1/accounts/${b.id}`, { retention: { sourceSeconds: 120, outputsSeconds: null } });
    assert.deepEqual([patched.status, patched.body.retention], [200, { sourceSeconds: 120, outputsSeconds: null }]);
    const theirs = await upload(b.auth);
    assert.equal(Date.parse(theirs.sourceExpiresAt) - Date.parse(theirs.createdAt), 120_000);
    const job = await p.api('POST', '/v1/jobs', { input: { uploadId: asked.id }, outputs: [], retention: { sourceSeconds: 0 } });
    assert.deepEqual(job.body.retention, { outputsSeconds: 60, sourceSeconds: 0 }, "the upload's outputsSeconds, the job's own source limit");
  });

  it('refuses to delete a queued or running job or its upload (409), then deletes both; storage usage goes down', async () => {
    const up = await upload();
    const job = (await p.api('POST', '/v1/jobs', { input: { uploadId: up.id }, outputs: [{ type: 'thumbnail' }] })).body;
    assert.deepEqual(codeOf(await p.api('DELETE', `/v1/jobs/${job.id}`)), [409, 'job_not_deletable']);
    const inUse = await p.api('DELETE', `/v1/uploads/${up.id}`);
    assert.deepEqual(codeOf(inUse), [409, 'upload_in_use']);
    assert.ok(inUse.body.error.details.jobId);
    // A worker claims it: running, still refused.
    await p.platform.jobs.db.jobs.claim(job.id, 'test-worker', Date.now(), 60_000);
    assert.equal((await p.api('GET', `/v1/jobs/${job.id}`)).body.status, 'running');
    assert.deepEqual(codeOf(await p.api('DELETE', `/v1/jobs/${job.id}`)), [409, 'job_not_deletable']);
    assert.deepEqual(codeOf(await p.api('DELETE', `/v1/jobs/${job.id}`, undefined, b.auth)), [404, 'not_found']);
    assert.equal((await p.api('POST', `/v1/jobs/${job.id}/cancel`)).body.status, 'canceled');

    const deleted = await p.api('DELETE', `/v1/jobs/${job.id}`);
    assert.deepEqual([deleted.status, typeof deleted.body.deletedAt], [200, 'string']);
    assert.equal((await p.api('GET', `/v1/jobs/${job.id}`)).body.deletedAt, deleted.body.deletedAt, 'readable by id');
    assert.ok(!(await p.api('GET', '/v1/jobs?limit=100')).body.jobs.some((j: any) => j.id === job.id), 'not listed');
    assert.deepEqual(codeOf(await p.api('POST', `/v1/jobs/${job.id}/retry`)), [409, 'job_not_retryable']);

    const before = (await p.api('GET', '/v1/account')).body.usage.uploadBytes;
    const gone = await p.api('DELETE', `/v1/uploads/${up.id}`);
    assert.deepEqual([gone.status, gone.body.status, typeof gone.body.removedAt], [200, 'deleted', 'string']);
    assert.equal((await p.api('GET', '/v1/account')).body.usage.uploadBytes, before - 4);
    const stored = await readdir(join(p.dataDir, 'storage', 'acc_admin', 'uploads')).catch((): string[] => []);
    assert.ok(!stored.includes(up.id), 'the source file is gone');
    assert.deepEqual(codeOf(await p.api('POST', '/v1/jobs', { input: { uploadId: up.id }, outputs: [] })), [410, 'upload_deleted']);
    assert.equal((await p.api('DELETE', `/v1/uploads/${up.id}`)).status, 200, 'deleting again changes nothing');
  });
});

describe('e2e: the sweeper expires files on the local folder (short retention, sweep every 0.2 s)', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_RETENTION_SWEEP_SECONDS: '0.2' });
  });
  after(async () => p.stop());

  it('removes the outputs after outputsSeconds and the source after sourceSeconds: 410 through the old link, storage back to zero', async () => {
    const retention = encodeURIComponent(JSON.stringify({ sourceSeconds: 1, outputsSeconds: 1 }));
    const up = await p.api('POST', `/v1/uploads?filename=still.png&retention=${retention}`, await readFile(await media('still.png')), octets);
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail' }] });
    const events = await collectEvents(p.base, created.body.id, TEST_KEY);
    assert.equal(events.at(-1)!.data.status, 'succeeded', JSON.stringify(events.at(-1)!.data));
    const job = (await p.api('GET', `/v1/jobs/${created.body.id}`)).body;
    const link = job.outputs[0].files[0].url as string;
    assert.equal(Date.parse(job.outputsExpireAt) - Date.parse(job.finishedAt), 1000);

    await waitFor(async () => (await p.api('GET', `/v1/jobs/${job.id}`)).body.outputs[0].status === 'expired', { what: 'outputs expired', timeoutMs: 30_000 });
    // The row says expired first; the file goes with the deletion pass just after.
    const outputsDir = join(p.dataDir, 'storage', 'acc_admin', 'jobs');
    await waitFor(async () => (await readdir(outputsDir).catch((): string[] => [])).length === 0, { what: 'output files removed', timeoutMs: 30_000 });
    const res = await fetch(link);
    const body = (await res.json()) as any;
    assert.deepEqual([res.status, body.error.code], [410, 'file_expired'], 'the link verified, the file is gone');
    const after = (await p.api('GET', `/v1/jobs/${job.id}`)).body;
    assert.deepEqual([after.status, after.outputs[0].files[0].url, typeof after.outputsRemovedAt], ['succeeded', null, 'string']);

    await waitFor(async () => (await p.api('GET', `/v1/uploads/${up.body.id}`)).body.status === 'expired', { what: 'source expired', timeoutMs: 30_000 });
    assert.equal((await p.api('GET', '/v1/account')).body.usage.storageBytes, 0);
    assert.deepEqual(await readdir(join(p.dataDir, 'storage', 'acc_admin')).catch((): string[] => []), [], 'nothing left in the folder');
    assert.deepEqual(codeOf(await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [] })), [410, 'upload_expired']);
  });
});
