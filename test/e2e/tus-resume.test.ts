import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';
import { TcpRelay } from '../helpers/tcp-relay.js';
import { tempDir, waitFor } from '../helpers/temp.js';
import { tusUpload } from '../helpers/tus-client.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const TUS = { 'tus-resumable': '1.0.0' };

async function create(base: string, key: string, size: number): Promise<string> {
  const res = await fetch(`${base}/v1/uploads/tus`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...TUS, 'upload-length': String(size) } });
  assert.equal(res.status, 201, await res.text());
  return new URL(res.headers.get('location')!).pathname.split('/').pop()!;
}

async function offsetOf(base: string, key: string, id: string): Promise<number> {
  const res = await fetch(`${base}/v1/uploads/tus/${id}`, { method: 'HEAD', headers: { authorization: `Bearer ${key}`, ...TUS } });
  assert.equal(res.status, 200);
  return Number(res.headers.get('upload-offset'));
}

/** A PATCH that sends `first` bytes of `data`, then holds the connection open (a transfer in flight). */
function patchThenHang(url: string, key: string, data: Buffer, first: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(url, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${key}`, ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(data.length) },
    });
    req.on('error', () => undefined);
    req.write(data.subarray(0, first), () => resolve());
  });
}

/** Resumes with tus-js-client from what the server has; answers the offset its first PATCH started at. */
async function resume(uploadUrl: string, key: string, data: Buffer): Promise<number> {
  let startedAt = -1;
  await tusUpload(data, {
    uploadUrl,
    headers: { authorization: `Bearer ${key}` },
    chunkSize: 256 * 1024,
    onBeforeRequest: (req) => {
      if (req.getMethod() === 'PATCH' && startedAt < 0) startedAt = Number(req.getHeader('Upload-Offset'));
    },
  });
  return startedAt;
}

describe('e2e: tus uploads resume after a cut connection and a killed server', () => {
  let p: TestPlatform;
  let relay: TcpRelay;
  before(async () => {
    p = await startTestPlatform();
    const u = new URL(p.base);
    relay = await TcpRelay.open({ host: u.hostname, port: Number(u.port) });
  });
  after(async () => {
    await relay.down();
    await p.stop();
  });

  it('a connection cut mid-PATCH resumes from the stored offset and ends with the right SHA-256', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const id = await create(p.base, TEST_KEY, data.length);
    const viaRelay = `${relay.via(p.base).replace(/\/$/, '')}/v1/uploads/tus/${id}`;
    // A PATCH of the whole file through the relay; 1.5 MiB of it sent, then the relay goes down.
    await patchThenHang(viaRelay, TEST_KEY, data, 1.5 * 1024 * 1024);
    await new Promise((r) => setTimeout(r, 500));
    await relay.down();
    await relay.up();
    const stored = await waitFor(async () => {
      const o = await offsetOf(p.base, TEST_KEY, id);
      return o > 0 ? o : null;
    }, { what: 'bytes stored before the cut' });
    assert.ok(stored > 0 && stored <= 1.5 * 1024 * 1024, `the bytes before the cut are kept: ${stored}`);
    assert.equal(await resume(viaRelay, TEST_KEY, data), stored, 'the client resumed from the stored offset');
    const upload = await p.api('GET', `/v1/uploads/${id}`);
    assert.equal(upload.body.status, 'ready');
    assert.equal(upload.body.sha256, sha(data));
  });
});

describe('e2e: tus upload across a server SIGKILL', () => {
  const KEY = 'mf_tus_kill_key_0123456789abcdef';
  let t: { dir: string; cleanup: () => Promise<void> };
  const servers: ServerProcess[] = [];
  before(async () => {
    t = await tempDir('mf-tus-kill-');
  });
  after(async () => {
    for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await t.cleanup();
  });

  it('the platform killed mid-PATCH: after a restart the upload resumes and ends with the right SHA-256', async () => {
    const env = { MEDIAFORGE_DATA_DIR: t.dir, MEDIAFORGE_API_KEY: KEY, MEDIAFORGE_WORKER_CONCURRENCY: '1' };
    const a = await startServerProcess(env);
    servers.push(a);
    const data = randomBytes(3 * 1024 * 1024);
    const id = await create(a.url, KEY, data.length);
    await patchThenHang(`${a.url}/v1/uploads/tus/${id}`, KEY, data, 1024 * 1024);
    // What the server had received reached its file before the kill.
    await new Promise((r) => setTimeout(r, 500));
    a.child.kill('SIGKILL');
    await a.exited;

    const b = await startServerProcess(env);
    servers.push(b);
    const stored = await offsetOf(b.url, KEY, id);
    assert.ok(stored > 0 && stored <= 1024 * 1024, `the bytes before the kill are kept: ${stored}`);
    assert.equal(await resume(`${b.url}/v1/uploads/tus/${id}`, KEY, data), stored);
    const res = await fetch(`${b.url}/v1/uploads/${id}`, { headers: { authorization: `Bearer ${KEY}` } });
    const upload = (await res.json()) as { status: string; sha256: string; size: number };
    assert.equal(upload.status, 'ready');
    assert.equal(upload.size, data.length);
    assert.equal(upload.sha256, sha(data));
  });
});

describe('e2e: a tus PATCH that goes silent is cut off, and resumes', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_UPLOAD_IDLE_TIMEOUT_SECONDS: '1' });
  });
  after(async () => p?.stop());

  it('closes a PATCH that sends nothing for the idle timeout, keeps what arrived, and the upload ends with the right SHA-256', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const id = await create(p.base, TEST_KEY, data.length);
    const url = `${p.base}/v1/uploads/tus/${id}`;
    // 512 KiB, then silence: without the guard the connection (and its lock on the upload) would be held for ever.
    const closed = new Promise<void>((resolve) => {
      const req = request(url, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${TEST_KEY}`, ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(data.length) },
      });
      req.on('error', () => resolve());
      req.on('response', (res) => res.resume().on('end', () => resolve()).on('close', () => resolve()));
      req.on('close', () => resolve());
      req.write(data.subarray(0, 512 * 1024));
    });
    const started = Date.now();
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the silent PATCH was not cut off within 10 s')), 10_000))]);
    assert.ok(Date.now() - started >= 900, 'not before the idle timeout');
    await waitFor(async () => (await offsetOf(p.base, TEST_KEY, id)) > 0, { what: 'the bytes that arrived stored' });
    const offset = await offsetOf(p.base, TEST_KEY, id);
    assert.ok(offset > 0 && offset <= 512 * 1024, `offset ${offset}`);
    assert.equal(await resume(url, TEST_KEY, data), offset, 'the client resumed from the stored offset');
    const upload = await p.api('GET', `/v1/uploads/${id}`);
    assert.equal(upload.body.sha256, sha(data));
  });
});
