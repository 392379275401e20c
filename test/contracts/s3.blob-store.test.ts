import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { S3BlobStore } from '../../src/adapters/s3/s3.blob-store.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { startSigV4Gate } from '../helpers/sigv4-gate.js';
import { runBlobStoreContract } from './blob-store.contract.js';

runBlobStoreContract('S3 (s3rver)', async () => {
  const s3 = await startS3Server();
  const store = new S3BlobStore({ bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
  return {
    store,
    cleanup: async () => {
      store.destroy();
      await s3.stop();
    },
  };
});

describe('S3 blob store specifics (s3rver)', () => {
  let s3: TestS3Server;
  let store: S3BlobStore;
  before(async () => {
    s3 = await startS3Server();
    // Pages of 2 keys, so listing and prefix deletion must follow continuation tokens.
    store = new S3BlobStore({ bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials, listPageSize: 2 });
  });
  after(async () => {
    store.destroy();
    await s3.stop();
  });

  it('lists and deletes by prefix across pages', async () => {
    const keys = Array.from({ length: 7 }, (_, i) => `jobs/job_page1/00-frames/f${i}.jpg`);
    for (const k of keys) await store.put(k, Readable.from([Buffer.from(k)]));
    await store.put('jobs/job_page10/keep.txt', Readable.from([Buffer.from('k')]));
    assert.deepEqual(await store.list('jobs/job_page1/'), [...keys].sort());
    await store.deletePrefix('jobs/job_page1/');
    assert.deepEqual(await store.list('jobs/job_page1/'), []);
    assert.deepEqual(await store.list('jobs/job_page10/'), ['jobs/job_page10/keep.txt']);
  });

  it('deleteMany sends batches (pages of 2 here): every key of five goes, in three DeleteObjects', async () => {
    const keys = Array.from({ length: 5 }, (_, i) => `acc_b/jobs/job_batch/00-frames/f${i}.jpg`);
    for (const k of keys) await store.put(k, Readable.from([Buffer.from(k)]));
    const sent: string[] = [];
    const send = store.client.send.bind(store.client);
    store.client.send = ((cmd: { constructor: { name: string } }, ...rest: unknown[]) => {
      sent.push(cmd.constructor.name);
      return (send as (...a: unknown[]) => unknown)(cmd, ...rest);
    }) as typeof store.client.send;
    try {
      await store.deleteMany(keys);
    } finally {
      store.client.send = send;
    }
    assert.deepEqual(sent, ['DeleteObjectsCommand', 'DeleteObjectsCommand', 'DeleteObjectsCommand']);
    assert.deepEqual(await store.list('acc_b/jobs/job_batch/'), []);
  });

  it('streams a multi-part object up and reads it back', async () => {
    const part = Buffer.alloc(5 * 1024 * 1024 + 17, 7);
    const { size } = await store.put('jobs/job_big1/00-mp4/video.mp4', Readable.from([part, Buffer.from('tail')]));
    assert.equal(size, part.length + 4);
    assert.deepEqual(await store.stat('jobs/job_big1/00-mp4/video.mp4'), { size: part.length + 4 });
    assert.equal(await text(await store.get('jobs/job_big1/00-mp4/video.mp4', { start: part.length, end: part.length + 3 })), 'tail');
  });

  it('withLocalFile removes its temp copy, also when the callback throws', async () => {
    await store.put('uploads/upl_tmpfile1/source', Readable.from([Buffer.from('abc')]));
    const seen = await store.withLocalFile('uploads/upl_tmpfile1/source', async (path) => path);
    await assert.rejects(access(seen));
    let failedPath = '';
    await assert.rejects(
      store.withLocalFile('uploads/upl_tmpfile1/source', async (path) => {
        failedPath = path;
        throw new Error('ffmpeg failed');
      }),
      /ffmpeg failed/,
    );
    await assert.rejects(access(failedPath));
  });

  it('an aborted write stores nothing', async () => {
    const controller = new AbortController();
    const slow = Readable.from(
      (async function* () {
        yield Buffer.alloc(1024, 1);
        controller.abort();
        await new Promise((r) => setTimeout(r, 50));
        yield Buffer.alloc(1024, 2);
      })(),
    );
    await assert.rejects(store.put('uploads/upl_abort1/source', slow, { signal: controller.signal }));
    assert.equal(await store.stat('uploads/upl_abort1/source'), null);
  });

  it('presignGet: a GET for one key, on the public endpoint, with the response headers it names', async () => {
    // The gate verifies SigV4 like AWS/R2/MinIO and stands for the "public" address of the same storage.
    const gate = await startSigV4Gate(s3.endpoint, s3.credentials.secretAccessKey);
    const signer = new S3BlobStore({ bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, publicEndpoint: gate.endpoint, forcePathStyle: true, credentials: s3.credentials });
    try {
      await signer.put('jobs/job_get1/00-frames/frames.zip', Readable.from([Buffer.from('zip bytes')]));
      const url = await signer.presignGet('jobs/job_get1/00-frames/frames.zip', {
        expiresInSeconds: 60,
        contentType: 'application/zip',
        contentDisposition: 'inline; filename="frames.zip"',
        cacheControl: 'private, max-age=3600',
      });
      assert.ok(url.startsWith(`${gate.endpoint}/${s3.bucket}/jobs/job_get1/00-frames/frames.zip?`), url);
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'zip bytes');
      assert.equal(res.headers.get('content-type'), 'application/zip');
      assert.equal(res.headers.get('content-disposition'), 'inline; filename="frames.zip"');
      assert.equal(res.headers.get('cache-control'), 'private, max-age=3600');
      // Uploads are signed for the public endpoint too.
      assert.ok((await signer.presignPut('uploads/upl_pub1/source', { expiresInSeconds: 60, contentType: 'video/mp4', contentLength: 3 })).startsWith(`${gate.endpoint}/`));
      assert.ok(gate.requests.some((r) => r.presigned && r.status === 200));
    } finally {
      signer.destroy();
      await gate.stop();
    }
  });

  it('check() names a missing bucket', async () => {
    const other = new S3BlobStore({ bucket: 'no-such-bucket', region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
    try {
      await assert.rejects(other.check(), /S3 bucket no-such-bucket: the bucket does not exist/);
      await store.check();
    } finally {
      other.destroy();
    }
  });
});
