import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { ApiProcess } from '../../src/main/distributed.js';
import { TEST_KEY } from '../helpers/platform.js';
import { startS3Platform, type S3Platform } from '../helpers/s3-platform.js';
import { waitFor } from '../helpers/temp.js';
import { tusUpload } from '../helpers/tus-client.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const TUS = { 'tus-resumable': '1.0.0' };
const auth = { authorization: `Bearer ${TEST_KEY}` };
const MiB = 1024 * 1024;

/** A load balancer of one line: each request to the next API process in turn; which served what is kept. */
async function roundRobin(): Promise<{ url: string; targets: string[]; served: Array<{ method: string; target: string }>; close(): Promise<void> }> {
  const targets: string[] = [];
  const served: Array<{ method: string; target: string }> = [];
  let next = 0;
  const server: Server = createServer((req, res) => {
    const target = targets[next++ % targets.length];
    served.push({ method: req.method!, target });
    const up = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, targets, served, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * tus on the distributed platform: two API processes (own lockers, pools, ports) on one
 * PostgreSQL schema and one S3 bucket (s3rver), with the S3 tus store (its info in the bucket)
 * and the PostgreSQL advisory locker.
 */
describe('e2e: tus uploads across two API processes (PostgreSQL + S3)', () => {
  let p: S3Platform;
  let second: ApiProcess;
  let lb: Awaited<ReturnType<typeof roundRobin>>;
  let s3: S3Client;

  before(async () => {
    lb = await roundRobin();
    p = await startS3Platform({ MEDIAFORGE_PUBLIC_URL: lb.url });
    second = await p.startApi({});
    lb.targets.push(p.base, second.url);
    s3 = new S3Client({ endpoint: p.s3.endpoint, region: p.s3.region, forcePathStyle: true, credentials: p.s3.credentials });
  });
  after(async () => {
    s3?.destroy();
    await lb?.close();
    await p?.stop();
  });

  it('one upload, its PATCHes served by both processes, ends as a ready upl_ with its SHA-256 and no tus leftovers', async () => {
    const data = randomBytes(12 * MiB);
    const { url } = await tusUpload(data, { endpoint: `${lb.url}/v1/uploads/tus`, headers: auth, chunkSize: 5 * MiB });
    const id = new URL(url).pathname.split('/').pop()!;
    assert.ok(url.startsWith(`${lb.url}/v1/uploads/tus/upl_`), url);
    const patches = lb.served.filter((s) => s.method === 'PATCH');
    assert.ok(new Set(patches.map((s) => s.target)).size === 2, `both processes took PATCHes: ${JSON.stringify(patches)}`);
    const upload = await p.call('GET', `/v1/uploads/${id}`);
    assert.equal(upload.body.status, 'ready');
    assert.equal(upload.body.sha256, sha(data));
    const list = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: p.s3.bucket }))).Contents ?? []).map((o) => o.Key!);
    const keys = await list();
    assert.ok(keys.some((k) => k.endsWith(`/uploads/${id}/source`)), `the source is stored under its key: ${keys.join(', ')}`);
    await waitFor(async () => !(await list()).some((k) => k.startsWith(id)), { what: 'the tus objects removed from the bucket' });
  });

  it('two processes writing one upload at once: the lock keeps them apart (409/423, never both), and the upload ends intact', async () => {
    const data = randomBytes(10 * MiB);
    const created = await fetch(`${p.base}/v1/uploads/tus`, { method: 'POST', headers: { ...auth, ...TUS, 'upload-length': String(data.length) } });
    assert.equal(created.status, 201, await created.text());
    const id = new URL(created.headers.get('location')!).pathname.split('/').pop()!;
    // Process A receives the first 6 MiB of a PATCH that then stalls, holding the lock.
    const stalled = request(`${p.base}/v1/uploads/tus/${id}`, {
      method: 'PATCH',
      headers: { ...auth, ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(data.length) },
    });
    const stalledDone = new Promise<number>((resolve) => {
      stalled.on('response', (r) => {
        r.resume();
        resolve(r.statusCode!);
      });
      stalled.on('error', () => resolve(0));
    });
    await new Promise<void>((r) => stalled.write(data.subarray(0, 6 * MiB), () => r()));
    await new Promise((r) => setTimeout(r, 1000));
    // Process B gets a PATCH of the same upload from offset 0.
    const rival = await fetch(`${second.url}/v1/uploads/tus/${id}`, {
      method: 'PATCH',
      headers: { ...auth, ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: data.subarray(0, MiB),
    });
    assert.ok([409, 423].includes(rival.status), `the rival was refused, not merged: ${rival.status} ${await rival.text()}`);
    // The lock spans the processes: B's request made A's let go (A answered its stalled PATCH, which
    // is still sending), rather than both writing. With a per-process lock A would never hear of B.
    const told = await Promise.race([stalledDone, new Promise<string>((r) => setTimeout(() => r('still writing'), 10_000))]);
    assert.equal(typeof told, 'number', 'the holder in the other process was asked to release and stopped with what it had');
    assert.equal((await p.call('GET', `/v1/uploads/${id}`)).body.status, 'pending', 'neither request completed the upload');
    stalled.destroy();
    // Whatever A stored is a prefix of the file: resuming from it gives the right bytes.
    const { url } = await tusUpload(data, { uploadUrl: `${lb.url}/v1/uploads/tus/${id}`, headers: auth, chunkSize: 5 * MiB, retryDelays: [200, 500, 1000] });
    assert.ok(url.endsWith(id));
    const upload = await p.call('GET', `/v1/uploads/${id}`);
    assert.equal(upload.body.status, 'ready');
    assert.equal(upload.body.sha256, sha(data));
  });
});
