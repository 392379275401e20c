import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectEvents, startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';
import { media } from '../helpers/media.js';
import { waitFor } from '../helpers/temp.js';
import { tusUpload, uploadIdOf } from '../helpers/tus-client.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const auth = (key = TEST_KEY) => ({ authorization: `Bearer ${key}` });
const TUS = { 'tus-resumable': '1.0.0' };

/**
 * tus 1.0 at /v1/uploads/tus on the embedded platform (file store under the data dir), with
 * tus-js-client as a browser or a backend would use it: uploads become ordinary `upl_…`
 * uploads of the caller's account, limits and ownership as for the other ways in.
 */
describe('e2e: tus uploads (embedded)', () => {
  let p: TestPlatform;
  const LIMIT = 8 * 1024 * 1024;

  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_MAX_UPLOAD_BYTES: String(LIMIT), MEDIAFORGE_TUS_EXPIRY_SECONDS: '4', MEDIAFORGE_RETENTION_SWEEP_SECONDS: '0.3' });
  });
  after(async () => p.stop());

  it('a tus upload becomes a ready upl_ upload with its SHA-256, and a job runs on it', async () => {
    const video = await readFile(await media('clip6.mp4'));
    const { url } = await tusUpload(video, {
      endpoint: `${p.base}/v1/uploads/tus`,
      headers: auth(),
      chunkSize: 64 * 1024,
      metadata: { filename: 'clip.mp4', filetype: 'video/mp4' },
    });
    const id = uploadIdOf(url);
    assert.match(id, /^upl_/);
    assert.ok(url.startsWith(`${p.base}/v1/uploads/tus/upl_`), url);
    const upload = await p.api('GET', `/v1/uploads/${id}`);
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
    assert.equal(upload.body.status ?? 'ready', 'ready');
    assert.equal(upload.body.size, video.length);
    assert.equal(upload.body.sha256, sha(video));
    assert.equal(upload.body.filename, 'clip.mp4');
    assert.equal(upload.body.contentType, 'video/mp4');
    // A HEAD after the end still tells a resuming client it is complete.
    const head = await fetch(url, { method: 'HEAD', headers: { ...auth(), ...TUS } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('upload-offset'), String(video.length));
    // The tus store's copy went once the bytes were in storage.
    await waitFor(async () => !(await readdir(join(p.dataDir, 'tus')).catch(() => [])).some((f) => f.startsWith(id)), { what: 'the tus copy removed' });

    const job = await p.api('POST', '/v1/jobs', { input: { uploadId: id }, outputs: [{ type: 'thumbnail', width: 160 }] });
    assert.equal(job.status, 202, JSON.stringify(job.body));
    await collectEvents(p.base, job.body.id);
    assert.equal((await p.api('GET', `/v1/jobs/${job.body.id}`)).body.status, 'succeeded');
  });

  it('creation with upload in one request (the whole file in the POST)', async () => {
    const data = randomBytes(100_000);
    const { url } = await tusUpload(data, { endpoint: `${p.base}/v1/uploads/tus`, headers: auth(), uploadDataDuringCreation: true });
    const upload = await p.api('GET', `/v1/uploads/${uploadIdOf(url)}`);
    assert.equal(upload.body.sha256, sha(data));
  });

  it('while it arrives the upload is pending, and a job on it is refused', async () => {
    const created = await fetch(`${p.base}/v1/uploads/tus`, { method: 'POST', headers: { ...auth(), ...TUS, 'upload-length': '1000' } });
    assert.equal(created.status, 201, await created.text());
    const id = uploadIdOf(created.headers.get('location')!);
    assert.equal((await p.api('GET', `/v1/uploads/${id}`)).body.status, 'pending');
    const job = await p.api('POST', '/v1/jobs', { input: { uploadId: id }, outputs: [{ type: 'thumbnail' }] });
    assert.equal(job.status, 409);
    assert.equal(job.body.error.code, 'upload_incomplete');
  });

  it('refuses a file over the limit at creation (413 upload_too_large) and bytes past the declared length', async () => {
    const res = await fetch(`${p.base}/v1/uploads/tus`, { method: 'POST', headers: { ...auth(), ...TUS, 'upload-length': String(LIMIT + 1) } });
    assert.equal(res.status, 413);
    const body = await res.json();
    assert.equal(body.error.code, 'upload_too_large');
    assert.equal(body.error.details.limitBytes, LIMIT);
    const empty = await fetch(`${p.base}/v1/uploads/tus`, { method: 'POST', headers: { ...auth(), ...TUS, 'upload-length': '0' } });
    assert.equal(empty.status, 400);
    assert.equal((await empty.json()).error.code, 'upload_empty');
    const deferred = await fetch(`${p.base}/v1/uploads/tus`, { method: 'POST', headers: { ...auth(), ...TUS, 'upload-defer-length': '1' } });
    assert.equal(deferred.status, 400);
    assert.equal((await deferred.json()).error.code, 'validation_failed');
    // A PATCH longer than the declared length is cut at it: tus refuses the body.
    const created = await fetch(`${p.base}/v1/uploads/tus`, { method: 'POST', headers: { ...auth(), ...TUS, 'upload-length': '10' } });
    const url = created.headers.get('location')!;
    const over = await fetch(url, { method: 'PATCH', headers: { ...auth(), ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: randomBytes(20) });
    assert.equal(over.status, 413);
    assert.equal((await p.api('GET', `/v1/uploads/${uploadIdOf(url)}`)).body.status, 'pending');
  });

  it('refuses without a key, and another account can neither read, patch nor delete the upload (404)', async () => {
    const none = await fetch(`${p.base}/v1/uploads/tus`, { method: 'POST', headers: { ...TUS, 'upload-length': '10' } });
    assert.equal(none.status, 401);
    const created = await fetch(`${p.base}/v1/uploads/tus`, { method: 'POST', headers: { ...auth(), ...TUS, 'upload-length': '10' } });
    const url = created.headers.get('location')!;
    assert.equal((await fetch(url, { method: 'HEAD', headers: TUS })).status, 401);

    const acc = await p.api('POST', '/v1/accounts', { name: 'other' });
    const key = (await p.api('POST', `/v1/accounts/${acc.body.id}/keys`, { name: 'other ci' })).body.key as string;
    const head = await fetch(url, { method: 'HEAD', headers: { ...auth(key), ...TUS } });
    assert.equal(head.status, 404);
    const patch = await fetch(url, { method: 'PATCH', headers: { ...auth(key), ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: randomBytes(10) });
    assert.equal(patch.status, 404);
    assert.equal((await patch.json()).error.code, 'not_found');
    assert.equal((await fetch(url, { method: 'DELETE', headers: { ...auth(key), ...TUS } })).status, 404);
    assert.equal((await p.api('GET', `/v1/uploads/${uploadIdOf(url)}`, undefined, auth(key))).status, 404);
    // Still the owner's, untouched: it can finish it.
    const own = await fetch(url, { method: 'PATCH', headers: { ...auth(), ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: Buffer.alloc(10, 7) });
    assert.equal(own.status, 204, await own.text());
    assert.equal((await p.api('GET', `/v1/uploads/${uploadIdOf(url)}`)).body.sha256, sha(Buffer.alloc(10, 7)));
  });

  it('termination removes the upload', async () => {
    const created = await fetch(`${p.base}/v1/uploads/tus`, { method: 'POST', headers: { ...auth(), ...TUS, 'upload-length': '10' } });
    const url = created.headers.get('location')!;
    const del = await fetch(url, { method: 'DELETE', headers: { ...auth(), ...TUS } });
    assert.equal(del.status, 204);
    assert.equal((await p.api('GET', `/v1/uploads/${uploadIdOf(url)}`)).body.status, 'deleted');
    assert.equal((await fetch(url, { method: 'HEAD', headers: { ...auth(), ...TUS } })).status, 410);
  });

  it('an unfinished upload expires: its row and its partial bytes are removed', async () => {
    const created = await fetch(`${p.base}/v1/uploads/tus`, { method: 'POST', headers: { ...auth(), ...TUS, 'upload-length': '1000' } });
    assert.ok(created.headers.get('upload-expires'), 'the expiry is announced');
    const url = created.headers.get('location')!;
    const id = uploadIdOf(url);
    const part = await fetch(url, { method: 'PATCH', headers: { ...auth(), ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: randomBytes(300) });
    assert.equal(part.status, 204);
    assert.ok((await readdir(join(p.dataDir, 'tus'))).includes(id));
    await waitFor(async () => (await p.api('GET', `/v1/uploads/${id}`)).body.status === 'expired', { timeoutMs: 15_000, what: 'the row expired' });
    await waitFor(async () => !(await readdir(join(p.dataDir, 'tus'))).includes(id), { timeoutMs: 15_000, what: 'the partial bytes removed' });
    assert.equal((await fetch(url, { method: 'HEAD', headers: { ...auth(), ...TUS } })).status, 410);
    const patch = await fetch(url, { method: 'PATCH', headers: { ...auth(), ...TUS, 'upload-offset': '300', 'content-type': 'application/offset+octet-stream' }, body: randomBytes(10) });
    assert.equal(patch.status, 410);
    assert.equal((await patch.json()).error.code, 'upload_expired');
  });

  it('a browser sends a direct upload with the capability token only (no account key)', async () => {
    const data = randomBytes(200_000);
    const ticket = await p.api('POST', '/v1/uploads', { method: 'tus', size: data.length, filename: 'b.bin', contentType: 'application/octet-stream', sha256: sha(data) });
    assert.equal(ticket.status, 201, JSON.stringify(ticket.body));
    assert.equal(ticket.body.upload.status, 'pending');
    assert.ok(ticket.body.url.startsWith(`${p.base}/v1/uploads/tus/${ticket.body.upload.id}?token=`), ticket.body.url);
    const { url } = await tusUpload(data, { uploadUrl: ticket.body.url, chunkSize: 50_000 });
    assert.equal(uploadIdOf(url), ticket.body.upload.id);
    const upload = await p.api('GET', `/v1/uploads/${ticket.body.upload.id}`);
    assert.equal(upload.body.status, 'ready');
    assert.equal(upload.body.sha256, sha(data));

    // The token opens its own upload only, and a forged one nothing.
    const other = await p.api('POST', '/v1/uploads', { method: 'tus', size: 10 });
    const token = new URL(ticket.body.url).searchParams.get('token')!;
    const borrowed = new URL(other.body.url);
    borrowed.searchParams.set('token', token);
    const patch = (u: string) => fetch(u, { method: 'PATCH', headers: { ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: Buffer.alloc(10) });
    const refused = await patch(borrowed.toString());
    assert.equal(refused.status, 403);
    assert.equal((await refused.json()).error.code, 'upload_token_invalid');
    const forged = new URL(other.body.url);
    forged.searchParams.set('token', token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    assert.equal((await patch(forged.toString())).status, 403);
    assert.equal((await patch(other.body.url)).status, 204, 'its own token opens it');

    // Refusals at creation, as for the other methods.
    const big = await p.api('POST', '/v1/uploads', { method: 'tus', size: LIMIT + 1 });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'upload_too_large');
    assert.equal((await p.api('POST', '/v1/uploads', { method: 'tus', size: 10, extra: 1 })).body.error.code, 'validation_failed');
  });

  it('answers CORS for a console on another origin (preflight, exposed tus headers)', async () => {
    const origin = 'https://console.example';
    const pre = await fetch(`${p.base}/v1/uploads/tus`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'upload-length,tus-resumable' } });
    assert.equal(pre.status, 204);
    assert.ok(pre.headers.get('access-control-allow-origin'));
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Upload-Length/i);
    const created = await fetch(`${p.base}/v1/uploads/tus`, { method: 'POST', headers: { ...auth(), ...TUS, origin, 'upload-length': '10' } });
    const exposed = created.headers.get('access-control-expose-headers') ?? '';
    for (const h of ['Location', 'Upload-Offset', 'Tus-Resumable', 'Upload-Length']) assert.match(exposed, new RegExp(h, 'i'));
    // Refusals the API answers itself are readable from that origin too.
    const refused = await fetch(`${p.base}/v1/uploads/tus/upl_nope`, { method: 'PATCH', headers: { ...auth(), ...TUS, origin, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: Buffer.alloc(1) });
    assert.equal(refused.status, 404);
    assert.equal(refused.headers.get('access-control-allow-origin'), origin);
    assert.equal(refused.headers.get('tus-resumable'), '1.0.0');
  });
});
