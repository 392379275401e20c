import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { media } from '../helpers/media.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { waitFor } from '../helpers/temp.js';

const octets = { 'content-type': 'application/octet-stream' };
const thumbs = { outputs: [{ type: 'thumbnail', width: 80 }], metadata: { lesson: 'one' } };
const codeOf = (res: { status: number; body: any }) => [res.status, res.body?.error?.code];

/** Processing that starts on upload (docs/lifecycle.md), through the HTTP API, embedded (SQLite, folder storage, a worker). */
describe('e2e: processing that starts on upload (raw body, multipart)', () => {
  let p: TestPlatform;
  let clip: Buffer;
  before(async () => {
    p = await startTestPlatform();
    clip = await readFile(await media('tiny1.mp4'));
  });
  after(async () => p.stop());

  const succeeded = async (jobId: string) =>
    waitFor(async () => {
      const job = (await p.api('GET', `/v1/jobs/${jobId}`)).body;
      assert.notEqual(job.status, 'failed', JSON.stringify(job.error));
      return job.status === 'succeeded' && job;
    }, { what: `job ${jobId} to succeed` });
  const storedUploads = async () => readdir(join(p.dataDir, 'storage', 'acc_admin', 'uploads')).catch(() => [] as string[]);

  it('a raw body with ?process= makes one job on the upload, as its account, and the upload shows it', async () => {
    const res = await p.api('POST', `/v1/uploads?filename=a.mp4&process=${encodeURIComponent(JSON.stringify(thumbs))}`, clip, octets);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.jobId, /^job_/);
    assert.deepEqual([res.body.status, res.body.processError, res.body.process.outputs[0].type], ['ready', null, 'thumbnail']);
    const job = await succeeded(res.body.jobId);
    assert.deepEqual([job.input.uploadId, job.metadata, job.outputs.map((o: any) => [o.type, o.width])], [res.body.id, { lesson: 'one' }, [['thumbnail', 80]]]);
    assert.equal((await p.api('GET', `/v1/uploads/${res.body.id}`)).body.jobId, res.body.jobId);
    assert.equal((await p.api('GET', '/v1/jobs?limit=100')).body.jobs.filter((j: any) => j.input.uploadId === res.body.id).length, 1);
  });

  it('the X-Mediaforge-Process header does the same, with a preset', async () => {
    const res = await p.api('POST', '/v1/uploads?filename=b.mp4', clip, { ...octets, 'x-mediaforge-process': JSON.stringify({ preset: 'frames-1fps' }) });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const job = await succeeded(res.body.jobId);
    assert.deepEqual(job.outputs.map((o: any) => o.type), ['frames']);
  });

  it('multipart takes a `process` field before the file', async () => {
    const form = new FormData();
    form.append('process', JSON.stringify(thumbs));
    form.append('file', new Blob([new Uint8Array(clip)], { type: 'video/mp4' }), 'c.mp4');
    const res = await p.api('POST', '/v1/uploads', form);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await succeeded(res.body.jobId);
  });

  it('an upload without process has jobId null', async () => {
    const res = await p.api('POST', '/v1/uploads?filename=d.mp4', clip, octets);
    assert.deepEqual([res.status, res.body.jobId, res.body.process, res.body.processError], [201, null, null, null]);
  });

  it('refuses a bad process before storing a byte: unknown preset, bad outputs, not JSON, neither preset nor outputs', async () => {
    const before = (await storedUploads()).length;
    const unknown = await p.api('POST', `/v1/uploads?filename=e.mp4&process=${encodeURIComponent('{"preset":"nope"}')}`, clip, octets);
    assert.deepEqual([...codeOf(unknown), unknown.body.error.details.path], [422, 'preset_not_found', 'preset']);
    const bad = await p.api('POST', `/v1/uploads?filename=e.mp4&process=${encodeURIComponent('{"outputs":[{"type":"frames","fps":1,"count":3}]}')}`, clip, octets);
    assert.deepEqual([...codeOf(bad), bad.body.error.details.problems[0].path], [400, 'validation_failed', 'outputs[0]']);
    assert.deepEqual(codeOf(await p.api('POST', '/v1/uploads?filename=e.mp4', clip, { ...octets, 'x-mediaforge-process': '{nope' })), [400, 'validation_failed']);
    const empty = await p.api('POST', `/v1/uploads?filename=e.mp4&process=${encodeURIComponent('{}')}`, clip, octets);
    assert.deepEqual([...codeOf(empty), empty.body.error.details.problems[0].path], [400, 'validation_failed', 'preset']);
    const form = new FormData();
    form.append('process', '{"preset":"nope"}');
    form.append('file', new Blob([new Uint8Array(clip)], { type: 'video/mp4' }), 'f.mp4');
    assert.deepEqual(codeOf(await p.api('POST', '/v1/uploads', form)), [422, 'preset_not_found']);
    assert.equal((await storedUploads()).length, before, 'nothing stored');
  });

  it('a quota that refuses the job at completion leaves the upload ready with processError', async () => {
    const acc = (await p.api('POST', '/v1/accounts', { name: 'full', quotas: { processingMinutesPerMonth: 0 } })).body.id as string;
    const key = (await p.api('POST', `/v1/accounts/${acc}/keys`, { name: 'k' })).body.key as string;
    const res = await p.api('POST', `/v1/uploads?filename=g.mp4&process=${encodeURIComponent(JSON.stringify(thumbs))}`, clip, { ...octets, authorization: `Bearer ${key}` });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual([res.body.status, res.body.jobId, res.body.processError?.code], ['ready', null, 'quota_exceeded']);
    assert.match(res.body.processError.message, /processing minutes/);
    assert.equal((await p.api('GET', '/v1/jobs', undefined, { authorization: `Bearer ${key}` })).body.jobs.length, 0, 'no job');
  });
});
