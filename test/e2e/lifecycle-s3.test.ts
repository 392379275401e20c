import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { media } from '../helpers/media.js';
import { collectEvents } from '../helpers/platform.js';
import { startS3Platform, type S3Platform } from '../helpers/s3-platform.js';
import { waitFor } from '../helpers/temp.js';

/**
 * Retention on S3 storage, distributed: an API process and a worker process (whose sweeper
 * runs every 0.2 s here) on PostgreSQL, the objects in s3rver.
 */
describe('e2e: the sweeper expires objects on S3 (PostgreSQL, s3rver)', () => {
  let p: S3Platform;
  let direct: S3Client; // straight to s3rver: what the bucket really holds
  const stored = async (prefix: string) =>
    ((await direct.send(new ListObjectsV2Command({ Bucket: p.s3.bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);

  before(async () => {
    p = await startS3Platform({ MEDIAFORGE_RETENTION_SWEEP_SECONDS: '0.2' });
    direct = new S3Client({ region: p.s3.region, endpoint: p.s3.endpoint, forcePathStyle: true, credentials: p.s3.credentials });
  });
  after(async () => {
    direct?.destroy();
    await p?.stop();
  });

  it('deletes the outputs and the source from the bucket, answers 410 through the old link (no redirect), and storage goes to zero', async () => {
    const retention = encodeURIComponent(JSON.stringify({ sourceSeconds: 1, outputsSeconds: 1 }));
    const up = await p.call('POST', `/v1/uploads?filename=still.png&retention=${retention}`, await readFile(await media('still.png')), { 'content-type': 'application/octet-stream' });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const created = await p.call('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail' }, { type: 'image', width: 50, format: 'webp' }] });
    const events = await collectEvents(p.base, created.body.id);
    assert.equal(events.at(-1)!.data.status, 'succeeded', JSON.stringify(events.at(-1)!.data));
    const job = (await p.call('GET', `/v1/jobs/${created.body.id}`)).body;
    const links = job.outputs.map((o: any) => o.files[0].url as string);
    const jobPrefix = `acc_admin/jobs/${job.id}/`;

    await waitFor(async () => (await p.call('GET', `/v1/jobs/${job.id}`)).body.outputs.every((o: any) => o.status === 'expired'), { what: 'outputs expired', timeoutMs: 30_000 });
    await waitFor(async () => (await stored(jobPrefix)).length === 0, { what: 'objects deleted', timeoutMs: 30_000 });
    for (const link of links) {
      const res = await fetch(link, { redirect: 'manual' });
      const body = (await res.json()) as any;
      assert.deepEqual([res.status, body.error.code], [410, 'file_expired'], link);
    }

    await waitFor(async () => (await p.call('GET', `/v1/uploads/${up.body.id}`)).body.status === 'expired', { what: 'source expired', timeoutMs: 30_000 });
    await waitFor(async () => (await stored(`acc_admin/uploads/${up.body.id}/`)).length === 0, { what: 'source deleted', timeoutMs: 30_000 });
    const usage = (await p.call('GET', '/v1/account')).body.usage;
    assert.deepEqual([usage.storageBytes, usage.uploadBytes, usage.outputBytes], [0, 0, 0]);
  });

  it('a presigned upload keeps its source from its completion, then it goes from the bucket; DELETE of a job empties its prefix', async () => {
    const data = await readFile(await media('still.png'));
    const ticket = await p.call('POST', '/v1/uploads', { method: 'presigned', filename: 'still.png', size: data.length, contentType: 'image/png', retention: { sourceSeconds: 1 } });
    assert.equal(ticket.status, 201, JSON.stringify(ticket.body));
    assert.equal((await fetch(ticket.body.url, { method: 'PUT', headers: ticket.body.headers, body: data })).status, 200);
    const done = await p.call('POST', `/v1/uploads/${ticket.body.upload.id}/complete`);
    assert.equal(done.body.status, 'ready');
    assert.ok(Date.parse(done.body.sourceExpiresAt) >= Date.parse(ticket.body.upload.sourceExpiresAt), 'counted again from the completion');

    const job = await p.call('POST', '/v1/jobs', { input: { uploadId: ticket.body.upload.id }, outputs: [{ type: 'thumbnail' }] });
    const events = await collectEvents(p.base, job.body.id);
    assert.equal(events.at(-1)!.data.status, 'succeeded');
    assert.ok((await stored(`acc_admin/jobs/${job.body.id}/`)).length > 0);
    const deleted = await p.call('DELETE', `/v1/jobs/${job.body.id}`);
    assert.deepEqual([deleted.status, deleted.body.outputs[0].status], [200, 'deleted']);
    assert.deepEqual(await stored(`acc_admin/jobs/${job.body.id}/`), []);
    await waitFor(async () => (await stored(`acc_admin/uploads/${ticket.body.upload.id}/`)).length === 0, { what: 'presigned source deleted', timeoutMs: 30_000 });
    assert.equal((await p.call('GET', `/v1/uploads/${ticket.body.upload.id}`)).body.status, 'expired');
  });
});
