import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { media } from '../helpers/media.js';
import { collectEvents, startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';
import { rawRequest } from '../helpers/raw-http.js';

const auth = { authorization: `Bearer ${TEST_KEY}` };
const openDescriptors = () => readdirSync('/proc/self/fd').length;
/** `.partial` files under dir; a listing that races a folder being removed counts as not settled yet. */
const partials = async (dir: string) => {
  try {
    return (await readdir(dir, { recursive: true })).filter((f) => String(f).endsWith('.partial'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ['(a folder vanished while listing)'];
    throw err;
  }
};
const storedUploads = async (dir: string) => (await readdir(join(dir, 'storage', 'acc_admin', 'uploads'), { recursive: true }).catch(() => [])).length;

/** Waits (bounded) until `check` holds; returns its last value for the assertion message. */
async function settle<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let v = await read();
  while (!ok(v) && Date.now() < until) {
    await sleep(50);
    v = await read();
  }
  return v;
}

/** A socket that has sent a request head and the first bytes of a body, then does what the test says. */
function startBody(base: string, head: string, firstBytes: string): Promise<Socket> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const s = connect(Number(url.port), url.hostname, () => {
      s.write(head + firstBytes);
      resolve(s);
    });
    s.on('error', reject);
  });
}

const multipartHead = (base: string, length: number, boundary = 'zz') =>
  `POST /v1/uploads HTTP/1.1\r\nhost: ${new URL(base).host}\r\nauthorization: Bearer ${TEST_KEY}\r\ncontent-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${length}\r\n\r\n`;
const rawHead = (base: string, length: number) =>
  `POST /v1/uploads?filename=a.mp4 HTTP/1.1\r\nhost: ${new URL(base).host}\r\nauthorization: Bearer ${TEST_KEY}\r\ncontent-type: application/octet-stream\r\ncontent-length: ${length}\r\n\r\n`;
const partHead = (name = 'file', filename = 'a.mp4') => `--zz\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: video/mp4\r\n\r\n`;

/** `rounds` multipart and `rounds` raw uploads, each dropped after its first 64 KiB. */
async function dropUploads(base: string, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const multi = await startBody(base, multipartHead(base, 10_000_000), `${partHead()}${'x'.repeat(64 * 1024)}`);
    const raw = await startBody(base, rawHead(base, 10_000_000), 'y'.repeat(64 * 1024));
    await sleep(30);
    multi.destroy();
    raw.destroy();
  }
}

describe('e2e: hostile and broken upload requests', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_UPLOAD_IDLE_TIMEOUT_SECONDS: '1', MEDIAFORGE_MAX_CONCURRENT_UPLOADS: '2' });
  });
  after(async () => p.stop());

  it('a multipart body that ends inside a part is a 400, and the server lives on', async () => {
    const body = `${partHead()}abcdef`;
    const res = await rawRequest(p.base, 'POST', '/v1/uploads', { headers: { ...auth, 'content-type': 'multipart/form-data; boundary=zz' }, body });
    assert.equal(res.status, 400, res.body);
    assert.equal(JSON.parse(res.body).error.code, 'upload_malformed');
    assert.match(JSON.parse(res.body).error.message, /ended inside a part/);
    assert.equal((await fetch(`${p.base}/healthz`)).status, 200);
    assert.deepEqual(await partials(p.dataDir), []);
  });

  it('multipart without a boundary, or with a broken part header, is a 400 naming the problem', async () => {
    const noBoundary = await rawRequest(p.base, 'POST', '/v1/uploads', { headers: { ...auth, 'content-type': 'multipart/form-data' }, body: `${partHead()}abc\r\n--zz--\r\n` });
    assert.equal(noBoundary.status, 400, noBoundary.body);
    assert.equal(JSON.parse(noBoundary.body).error.code, 'upload_malformed');
    assert.match(JSON.parse(noBoundary.body).error.message, /boundary/);
    const empty = await rawRequest(p.base, 'POST', '/v1/uploads', { headers: { ...auth, 'content-type': 'multipart/form-data; boundary=zz' }, body: '' });
    assert.equal(empty.status, 400, empty.body);
    assert.equal(JSON.parse(empty.body).error.code, 'upload_missing_file');
  });

  it('a second file part is refused and nothing of the first is kept', async () => {
    const before = await storedUploads(p.dataDir);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(1000).fill(1)]), 'one.mp4');
    form.append('file', new Blob([new Uint8Array(1000).fill(2)]), 'two.mp4');
    const res = await p.api('POST', '/v1/uploads', form);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'upload_too_many_files');
    assert.equal(await storedUploads(p.dataDir), before);
  });

  it('clients that drop mid-upload leave no open descriptor and no partial file (multipart and raw)', async () => {
    // Warm up the code paths once so lazily opened descriptors are counted in the baseline.
    await settle(openDescriptors, () => true);
    const baseline = openDescriptors();
    await dropUploads(p.base, 20);
    const left = await settle(() => partials(p.dataDir), (x) => x.length === 0);
    assert.deepEqual(left, [], 'partial files of dropped uploads are removed');
    const fds = await settle(openDescriptors, (n) => n <= baseline + 2);
    assert.ok(fds <= baseline + 2, `descriptors: ${baseline} before, ${fds} after 40 dropped uploads`);
    assert.equal((await fetch(`${p.base}/healthz`)).status, 200);
  });

  it('a body that goes silent is cut off after the idle timeout; a slow but steady one is not', async () => {
    const silent = await startBody(p.base, rawHead(p.base, 1_000_000), 'z'.repeat(1000));
    const closed = new Promise<void>((resolve) => silent.on('close', () => resolve()));
    const outcome = await Promise.race([closed.then(() => 'closed'), sleep(20_000).then(() => 'still open')]);
    assert.equal(outcome, 'closed', 'the server closes a body silent for longer than MEDIAFORGE_UPLOAD_IDLE_TIMEOUT_SECONDS=1');
    assert.deepEqual(await settle(() => partials(p.dataDir), (x) => x.length === 0), []);

    // 12 chunks 300 ms apart: 3.6 s in all, longer than the idle timeout, never idle for 1 s.
    const chunks = 12;
    const steady = await startBody(p.base, rawHead(p.base, chunks * 100), '');
    let answer = '';
    steady.on('data', (d) => (answer += d));
    for (let i = 0; i < chunks; i++) {
      steady.write(Buffer.alloc(100, i + 1));
      await sleep(300);
    }
    await settle(() => answer, (a) => a.includes('\r\n\r\n{'));
    steady.destroy();
    assert.match(answer, /^HTTP\/1\.1 201/, answer.slice(0, 200));
    assert.equal(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).size, chunks * 100);
  });

  it('one key may hold only so many uploads at once (MEDIAFORGE_MAX_CONCURRENT_UPLOADS=2)', async () => {
    const a = await startBody(p.base, rawHead(p.base, 2000), 'a'.repeat(1000));
    const b = await startBody(p.base, rawHead(p.base, 2000), 'b'.repeat(1000));
    await sleep(200);
    const third = await rawRequest(p.base, 'POST', '/v1/uploads?filename=c.mp4', { headers: { ...auth, 'content-type': 'application/octet-stream' }, body: 'c'.repeat(2000) });
    assert.equal(third.status, 429, third.body);
    assert.equal(JSON.parse(third.body).error.code, 'too_many_uploads');
    let answer = '';
    a.on('data', (d) => (answer += d));
    a.write('a'.repeat(1000));
    await settle(() => answer, (x) => x.includes('201'));
    b.destroy();
    a.destroy();
    await sleep(100);
    const fourth = await rawRequest(p.base, 'POST', '/v1/uploads?filename=d.mp4', { headers: { ...auth, 'content-type': 'application/octet-stream' }, body: 'd'.repeat(2000) });
    assert.equal(fourth.status, 201, 'slots are given back when uploads end, finished or dropped');
  });

  it('an upload without a key is refused at once and its connection closed, not drained', async () => {
    const s = await startBody(p.base, rawHead(p.base, 100_000_000).replace(/authorization: [^\r]*\r\n/, ''), 'q'.repeat(1000));
    let answer = '';
    s.on('data', (d) => (answer += d));
    const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
    const outcome = await Promise.race([closed.then(() => 'closed'), sleep(5000).then(() => 'open')]);
    assert.equal(outcome, 'closed');
    assert.match(answer, /^HTTP\/1\.1 401/);
    assert.match(answer, /connection: close/i);
  });
});

describe('e2e: download links do not take their host from the request', () => {
  it('without MEDIAFORGE_PUBLIC_URL they point at the listen address, whatever Host says; with it, at the public URL', async () => {
    for (const env of [{}, { MEDIAFORGE_PUBLIC_URL: 'https://media.example.com/base' }] as Array<Record<string, string>>) {
      const p = await startTestPlatform(env);
      try {
        const up = await p.api('POST', '/v1/uploads?filename=a.mp4', await readFile(await media('clip20.mp4')), { 'content-type': 'application/octet-stream' });
        const job = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail', width: 64 }] });
        await collectEvents(p.base, job.body.id);
        const res = await rawRequest(p.base, 'GET', `/v1/jobs/${job.body.id}`, { headers: { ...auth, host: 'evil.example' } });
        assert.equal(res.status, 200, res.body);
        const url: string = JSON.parse(res.body).outputs[0].files[0].url;
        const expected = 'MEDIAFORGE_PUBLIC_URL' in env ? 'https://media.example.com/base/v1/files/' : `${p.base}/v1/files/`;
        assert.ok(url.startsWith(expected), `${url} should start with ${expected}`);
        assert.doesNotMatch(res.body, /evil\.example/);
      } finally {
        await p.stop();
      }
    }
  });
});

describe('e2e: clients that go away are not server errors', () => {
  it('dropped and cut uploads are logged at info, never as an error', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        cb();
      },
    });
    const p = await startTestPlatform({}, { logger: pino({ level: 'info' }, sink) });
    try {
      await dropUploads(p.base, 5);
      await rawRequest(p.base, 'POST', '/v1/uploads', { headers: { ...auth, 'content-type': 'multipart/form-data; boundary=zz' }, body: `${partHead()}abc` });
      await settle(() => partials(p.dataDir), (x) => x.length === 0);
      await sleep(200);
      const errors = lines.filter((l) => l.level >= 50);
      assert.deepEqual(errors.map((l) => l.msg), [], 'no error-level log for a client that left or cut its body');
      assert.ok(lines.some((l) => l.level === 30 && /closed before the upload was complete|ended inside a part/.test(l.msg)), 'the drops are logged at info');
    } finally {
      await p.stop();
    }
  });
});
