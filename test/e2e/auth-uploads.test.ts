import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { media } from '../helpers/media.js';
import { startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';

describe('e2e: auth, uploads and request validation', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_MAX_UPLOAD_BYTES: '3MB' });
  });
  after(async () => p.stop());

  it('refuses /v1 without a valid key, with a stable code', async () => {
    const none = await fetch(`${p.base}/v1/jobs`);
    assert.equal(none.status, 401);
    assert.equal((await none.json()).error.code, 'unauthorized');
    const wrong = await fetch(`${p.base}/v1/jobs`, { headers: { authorization: 'Bearer mf_nope' } });
    assert.equal(wrong.status, 401);
    const malformed = await fetch(`${p.base}/v1/jobs`, { headers: { authorization: TEST_KEY } });
    assert.equal(malformed.status, 401);
  });

  it('serves health and the OpenAPI document without a key', async () => {
    const health = await fetch(`${p.base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).checks.database, 'ok');
    const doc = await (await fetch(`${p.base}/v1/openapi.json`)).json();
    assert.equal(doc.openapi, '3.1.0');
    const jobBody = doc.paths['/v1/jobs'].post.requestBody.content['application/json'].schema;
    assert.ok(JSON.stringify(jobBody).includes('"frames"'), 'generated from the job schema');
    assert.equal(jobBody.additionalProperties, false);
  });

  it('takes a multipart upload and a raw upload, hashing what it stored', async () => {
    const file = await readFile(await media('clip20.mp4'));
    const sha = createHash('sha256').update(file).digest('hex');
    const form = new FormData();
    form.append('file', new Blob([file], { type: 'video/mp4' }), 'my clip.mp4');
    const multi = await p.api('POST', '/v1/uploads', form);
    assert.equal(multi.status, 201);
    assert.equal(multi.body.size, file.length);
    assert.equal(multi.body.sha256, sha);
    assert.equal(multi.body.filename, 'my clip.mp4');
    assert.equal(multi.body.contentType, 'video/mp4');

    const raw = await p.api('POST', '/v1/uploads?filename=../../etc/raw.mp4', file, { 'content-type': 'application/octet-stream' });
    assert.equal(raw.status, 201);
    assert.equal(raw.body.sha256, sha);
    assert.equal(raw.body.filename, 'raw.mp4', 'path parts never survive');
    const got = await p.api('GET', `/v1/uploads/${raw.body.id}`);
    assert.deepEqual(got.body, raw.body);
    assert.equal((await p.api('GET', '/v1/uploads/upl_doesnotexist')).body.error.code, 'not_found');
  });

  it('refuses empty and oversized uploads, keeping nothing', async () => {
    const stored = async () => (await readdir(join(p.dataDir, 'storage', 'acc_admin', 'uploads'), { recursive: true }).catch(() => [])).length;
    const before = await stored();
    const empty = await p.api('POST', '/v1/uploads?filename=x', new Uint8Array(0), { 'content-type': 'application/octet-stream' });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.code, 'upload_empty');

    const big = new Uint8Array(4 * 1024 * 1024);
    const declared = await p.api('POST', '/v1/uploads?filename=big', big, { 'content-type': 'application/octet-stream' });
    assert.equal(declared.status, 413);
    assert.equal(declared.body.error.code, 'upload_too_large');

    // No Content-Length (chunked): the limit is enforced while streaming.
    const chunks = Readable.from((function* () {
      for (let i = 0; i < 8; i++) yield Buffer.alloc(512 * 1024);
    })());
    const res = await fetch(`${p.base}/v1/uploads?filename=stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/octet-stream' },
      body: Readable.toWeb(chunks) as unknown as ReadableStream,
      duplex: 'half',
    } as RequestInit).catch((err) => err);
    if (res instanceof Response) {
      assert.equal(res.status, 413);
      assert.equal((await res.json()).error.code, 'upload_too_large');
    } // else the server closed the socket mid-body, which is also a refusal
    const form = new FormData();
    form.append('file', new Blob([big]), 'big.bin');
    const multi = await p.api('POST', '/v1/uploads', form);
    assert.equal(multi.status, 413);
    assert.equal(multi.body.error.code, 'upload_too_large');
    assert.equal(await stored(), before, 'no file or folder left behind by refused uploads');
  });

  it('wants the multipart field to be called file', async () => {
    const form = new FormData();
    form.append('video', new Blob([new Uint8Array(10)]), 'x.mp4');
    const res = await p.api('POST', '/v1/uploads', form);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'upload_missing_file');
  });

  it('rejects malformed job requests with the JSON path of the problem', async () => {
    const up = await p.api('POST', '/v1/uploads?filename=a.mp4', await readFile(await media('clip20.mp4')), { 'content-type': 'application/octet-stream' });
    const cases: Array<[unknown, number, string, string?]> = [
      [{ input: { uploadId: up.body.id }, outputs: [{ type: 'frames', fps: 1, colour: 'red' }] }, 400, 'validation_failed', 'outputs[0].colour'],
      [{ input: { uploadId: up.body.id }, outputs: [{ type: 'frames', fps: 'fast' }] }, 400, 'validation_failed', 'outputs[0].fps'],
      [{ input: { uploadId: up.body.id }, outputs: [{ type: 'frames' }] }, 400, 'validation_failed', 'outputs[0]'],
      [{ input: { uploadId: up.body.id }, outputs: [{ type: 'sparkles' }] }, 400, 'validation_failed', 'outputs[0].type'],
      [{ input: { uploadId: up.body.id }, extra: 1 }, 400, 'validation_failed', 'extra'],
      [{ outputs: [] }, 400, 'validation_failed', 'input'],
      [{ input: { uploadId: 'upl_unknown' }, outputs: [] }, 422, 'upload_not_found'],
    ];
    for (const [body, status, code, path] of cases) {
      const res = await p.api('POST', '/v1/jobs', body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.error.code, code);
      if (path) assert.equal(res.body.error.details.problems[0].path, path, JSON.stringify(res.body.error));
      assert.ok(res.body.error.message.length > 10);
    }
    const badJson = await p.api('POST', '/v1/jobs', '{"input":', { 'content-type': 'application/json' });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.error.code, 'validation_failed');
    const badQuery = await p.api('GET', '/v1/jobs?status=exploded');
    assert.equal(badQuery.status, 400);
    assert.equal(badQuery.body.error.details.problems[0].path, 'status');
    const unknownRoute = await p.api('GET', '/v1/nothing-here');
    assert.equal(unknownRoute.status, 404);
    assert.equal(unknownRoute.body.error.code, 'not_found');
  });

  it('makes a retried request with the same Idempotency-Key return the same job, and refuses a different body', async () => {
    const up = await p.api('POST', '/v1/uploads?filename=a.mp4', await readFile(await media('clip20.mp4')), { 'content-type': 'application/octet-stream' });
    const body = { input: { uploadId: up.body.id }, outputs: [] };
    const first = await p.api('POST', '/v1/jobs', body, { 'idempotency-key': 'order-42' });
    assert.equal(first.status, 202);
    const again = await p.api('POST', '/v1/jobs', body, { 'idempotency-key': 'order-42' });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    const other = await p.api('POST', '/v1/jobs', { ...body, metadata: { x: 1 } }, { 'idempotency-key': 'order-42' });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'idempotency_conflict');
    const list = await p.api('GET', '/v1/jobs?limit=100');
    assert.equal(list.body.jobs.filter((j: any) => j.id === first.body.id).length, 1);
  });
});
