import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { loadConfig, loadDistributedConfig } from '../../src/main/config.js';
import { startApiProcess, type ApiProcess } from '../../src/main/distributed.js';
import { createLogger } from '../../src/main/logger.js';
import { dropSchema, freshSchema, PG_URL } from '../contracts/postgres.schema.js';
import { startTestPlatform, TEST_KEY } from '../helpers/platform.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { startSigV4Gate } from '../helpers/sigv4-gate.js';
import { tempDir } from '../helpers/temp.js';

const TTL_SECONDS = 3;

describe('presigned direct uploads (S3 storage, AWS SDK client, s3rver)', () => {
  let s3: TestS3Server;
  let api: ApiProcess;
  let client: S3Client;
  let cleanupDir: () => Promise<void>;
  let gate: { endpoint: string; stop(): Promise<void> };
  const schema = freshSchema('mf_presign');

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const exists = async (key: string) =>
    client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key })).then(
      () => true,
      () => false,
    );

  before(async () => {
    s3 = await startS3Server();
    // AWS, R2 and MinIO verify SigV4 on presigned URLs; s3rver does not, so a gate checks it.
    gate = await startSigV4Gate(s3.endpoint, s3.credentials.secretAccessKey);
    const t = await tempDir('mf-presign-');
    cleanupDir = t.cleanup;
    const env = {
      ...s3.env,
      MEDIAFORGE_S3_ENDPOINT: gate.endpoint,
      PORT: '0',
      HOST: '127.0.0.1',
      MEDIAFORGE_DATA_DIR: t.dir,
      MEDIAFORGE_API_KEY: TEST_KEY,
      MEDIAFORGE_DATABASE_URL: PG_URL,
      MEDIAFORGE_DATABASE_SCHEMA: schema,
      MEDIAFORGE_QUEUE_NAME: `${schema}-jobs`,
      MEDIAFORGE_PRESIGN_TTL_SECONDS: String(TTL_SECONDS),
      MEDIAFORGE_PRESIGN_MULTIPART_THRESHOLD: '5MiB',
      MEDIAFORGE_S3_PART_SIZE: '5MiB',
    };
    // The S3 client inside the API reads credentials from the standard AWS variables.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey });
    api = await startApiProcess(loadConfig({}, { overrides: env }), loadDistributedConfig({}, { overrides: env }), { logger: createLogger('silent') });
    client = new S3Client({ region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
  });

  after(async () => {
    client?.destroy();
    await api?.close();
    await gate?.stop();
    await s3?.stop();
    await dropSchema(schema);
    await cleanupDir?.();
  });

  it('hands out a PUT URL for the upload’s own key; the upload is usable only after complete', async () => {
    const data = randomBytes(4096);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const created = await call('POST', '/v1/uploads', { method: 'presigned', filename: 'clip.mp4', size: data.length, contentType: 'video/mp4', sha256 });
    assert.equal(created.status, 201);
    const id = created.body.upload.id as string;
    assert.equal(created.body.upload.status, 'pending');
    assert.equal(new URL(created.body.url).pathname, `/${s3.bucket}/acc_admin/uploads/${id}/source`);

    const early = await call('POST', '/v1/jobs', { input: { uploadId: id }, outputs: [{ type: 'thumbnail' }] });
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, 'upload_incomplete');
    const notYet = await call('POST', `/v1/uploads/${id}/complete`);
    assert.equal(notYet.status, 409);
    assert.equal(notYet.body.error.code, 'upload_incomplete');

    const put = await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: data });
    assert.equal(put.status, 200, await put.text());
    const done = await call('POST', `/v1/uploads/${id}/complete`);
    assert.equal(done.status, 200);
    assert.equal(done.body.status, 'ready');
    assert.equal(done.body.sha256, sha256);
    assert.equal((await call('GET', `/v1/uploads/${id}`)).body.status, 'ready');

    const job = await call('POST', '/v1/jobs', { input: { uploadId: id }, outputs: [{ type: 'thumbnail' }] });
    assert.ok(job.status === 201 || job.status === 202, JSON.stringify(job.body));
    const again = await call('POST', `/v1/uploads/${id}/complete`);
    assert.equal(again.status, 200, 'completing twice is harmless');
  });

  it('a URL cannot write any other key: changing the path breaks the signature', async () => {
    const created = await call('POST', '/v1/uploads', { method: 'presigned', size: 10, contentType: 'video/mp4' });
    const id = created.body.upload.id as string;
    for (const other of [`acc_admin/uploads/upl_someoneelse000/source`, `uploads/${id}/source`, `acc_other/uploads/${id}/source`, `acc_admin/jobs/${id}/00-frames/x.jpg`, `acc_admin/uploads/${id}/other`]) {
      const url = new URL(created.body.url);
      url.pathname = `/${s3.bucket}/${other}`;
      const res = await fetch(url, { method: 'PUT', headers: created.body.headers, body: Buffer.alloc(10) });
      assert.equal(res.status, 403, `PUT to ${other} was accepted`);
      assert.equal(await exists(other), false);
    }
    const wrongType = await fetch(created.body.url, { method: 'PUT', headers: { 'content-type': 'text/html' }, body: Buffer.alloc(10) });
    assert.equal(wrongType.status, 403, 'the content type is part of the signature');
  });

  it('an expired URL is refused and the upload stays unusable', async () => {
    const created = await call('POST', '/v1/uploads', { method: 'presigned', size: 10, contentType: 'video/mp4' });
    await new Promise((r) => setTimeout(r, (TTL_SECONDS + 1.5) * 1000));
    const res = await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: Buffer.alloc(10) });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /expired/i);
    const done = await call('POST', `/v1/uploads/${created.body.upload.id}/complete`);
    assert.equal(done.body.error.code, 'upload_incomplete');
  });

  it('a wrong size is refused: by the signature on a single PUT, at complete for multipart', async () => {
    const small = await call('POST', '/v1/uploads', { method: 'presigned', size: 1000, contentType: 'video/mp4' });
    const put = await fetch(small.body.url, { method: 'PUT', headers: small.body.headers, body: Buffer.alloc(500) });
    assert.equal(put.status, 403, 'the declared length is part of the signature');
    assert.equal(await exists(`acc_admin/uploads/${small.body.upload.id}/source`), false);

    const size = 5 * 1024 * 1024 + 1000;
    const big = await call('POST', '/v1/uploads', { method: 'presigned', size, contentType: 'video/mp4' });
    const parts = big.body.parts as { partNumber: number; url: string }[];
    const etags = [];
    for (const p of parts) {
      // The second part is 10 bytes instead of 1000.
      const res = await fetch(p.url, { method: 'PUT', body: Buffer.alloc(p.partNumber === 1 ? big.body.partSizeBytes : 10) });
      etags.push({ partNumber: p.partNumber, etag: res.headers.get('etag')! });
    }
    const r1 = await call('POST', `/v1/uploads/${big.body.upload.id}/complete`, { parts: etags });
    assert.equal(r1.status, 422);
    assert.equal(r1.body.error.code, 'upload_size_mismatch');
    assert.equal(await exists(`acc_admin/uploads/${big.body.upload.id}/source`), false);
    const job = await call('POST', '/v1/jobs', { input: { uploadId: big.body.upload.id }, outputs: [{ type: 'thumbnail' }] });
    assert.equal(job.body.error.code, 'upload_incomplete');
  });

  it('a wrong checksum is refused at complete and the object discarded', async () => {

    const sum = await call('POST', '/v1/uploads', { method: 'presigned', size: 8, contentType: 'video/mp4', sha256: 'a'.repeat(64) });
    await fetch(sum.body.url, { method: 'PUT', headers: sum.body.headers, body: Buffer.from('12345678') });
    const r2 = await call('POST', `/v1/uploads/${sum.body.upload.id}/complete`);
    assert.equal(r2.status, 422);
    assert.equal(r2.body.error.code, 'upload_checksum_mismatch');
    assert.equal(await exists(`acc_admin/uploads/${sum.body.upload.id}/source`), false);
    const job = await call('POST', '/v1/jobs', { input: { uploadId: sum.body.upload.id }, outputs: [{ type: 'thumbnail' }] });
    assert.equal(job.body.error.code, 'upload_incomplete');
  });

  it('large files get multipart part URLs, assembled at complete', async () => {
    const size = 5 * 1024 * 1024 + 1000;
    const data = randomBytes(size);
    const created = await call('POST', '/v1/uploads', { method: 'presigned', size, contentType: 'video/mp4' });
    assert.equal(created.status, 201);
    assert.equal(created.body.url, undefined);
    const parts = created.body.parts as { partNumber: number; url: string }[];
    assert.equal(parts.length, 2);
    const partSize = created.body.partSizeBytes as number;
    const missing = await call('POST', `/v1/uploads/${created.body.upload.id}/complete`, {});
    assert.equal(missing.body.error.code, 'validation_failed');
    const etags = [];
    for (const p of parts) {
      const res = await fetch(p.url, { method: 'PUT', body: data.subarray((p.partNumber - 1) * partSize, p.partNumber * partSize) });
      assert.equal(res.status, 200);
      etags.push({ partNumber: p.partNumber, etag: res.headers.get('etag')! });
    }
    const done = await call('POST', `/v1/uploads/${created.body.upload.id}/complete`, { parts: etags });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.size, size);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `acc_admin/uploads/${created.body.upload.id}/` }));
    assert.deepEqual(listed.Contents?.map((c) => c.Key), [`acc_admin/uploads/${created.body.upload.id}/source`]);
  });

  it('refuses bad presigned requests with codes a person can act on', async () => {
    const unknown = await call('POST', '/v1/uploads', { method: 'presigned', size: 10, contentType: 'video/mp4', key: 'jobs/x' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, 'validation_failed');
    const huge = await call('POST', '/v1/uploads', { method: 'presigned', size: 10 * 1024 ** 4, contentType: 'video/mp4' });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'upload_too_large');
    const missing = await call('POST', '/v1/uploads/upl_doesnotexist0/complete');
    assert.equal(missing.status, 404);
  });
});

describe('presigned uploads with local storage', () => {
  it('are refused with presigned_unavailable', async () => {
    const t = await startTestPlatform({ MEDIAFORGE_WORKER: 'false' });
    try {
      const res = await t.api('POST', '/v1/uploads', { method: 'presigned', size: 10, contentType: 'video/mp4' });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'presigned_unavailable');
      const done = await t.api('POST', '/v1/uploads/upl_whatever0000/complete');
      assert.equal(done.body.error.code, 'presigned_unavailable');
    } finally {
      await t.stop();
    }
  });
});
