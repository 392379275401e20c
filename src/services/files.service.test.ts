import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import type { DomainError } from '../domain/errors.js';
import { FsBlobStore } from '../adapters/fs/fs.blob-store.js';
import { S3BlobStore } from '../adapters/s3/s3.blob-store.js';
import { DirectDownloadsService } from './direct-downloads.service.js';
import { cacheControlFor, FilesService } from './files.service.js';
import { LinkSigner } from './links.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const KEY = 'acc_a/jobs/job_1/00-mp4/video.mp4';
const SCOPE = 'acc_a/jobs/job_1/00-mp4/';
const code = (c: string) => (e: DomainError) => e.code === c;

describe('FilesService', () => {
  let dir: string;
  let blobs: FsBlobStore;
  const signer = new LinkSigner('test-secret', 3600);
  let clockNow = NOW;
  const clock = { now: () => clockNow };
  // Presigning is local computation (no request is made), so the real S3 adapter signs here.
  const s3 = new S3BlobStore({ bucket: 'media', region: 'us-east-1', endpoint: 'http://minio:9000', forcePathStyle: true, credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mf-files-'));
    blobs = new FsBlobStore(dir);
    await blobs.put(KEY, Readable.from([Buffer.from('0123456789')]));
  });
  after(async () => {
    s3.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens a stored file under a valid link: its size, headers and the link expiry', async () => {
    const files = new FilesService({ blobs, signer, clock });
    const file = await files.open(signer.token(SCOPE, NOW), KEY);
    assert.equal(file.size, 10);
    assert.deepEqual(file.headers, { contentType: 'video/mp4', contentDisposition: 'inline; filename="video.mp4"', cacheControl: 'private, max-age=3600' });
    assert.equal(file.linkExpiresAtMs, Math.floor(NOW / 1000) * 1000 + 3600_000);
    assert.equal(await text(await files.read(file, { start: 2, end: 4 })), '234');
    assert.equal(await text(await files.read(file)), '0123456789');
    assert.equal(await files.redirectFor(file), null, 'no DirectDownloadsService: the API serves the bytes');
  });

  it('refuses malformed keys, keys outside a job and unstored files as not_found', async () => {
    const files = new FilesService({ blobs, signer, clock });
    const token = signer.token(SCOPE, NOW);
    await assert.rejects(files.open(token, 'acc_a/jobs/job_1/../secret'), code('not_found'));
    await assert.rejects(files.open(token, 'uploads/up_1/source'), code('not_found'));
    await assert.rejects(files.open(token, 'acc_a/jobs/job_1/00-mp4/missing.mp4'), code('not_found'));
  });

  it('refuses a link for another job, a forged one and an expired one', async () => {
    const files = new FilesService({ blobs, signer, clock });
    await assert.rejects(files.open(signer.token('acc_a/jobs/job_2/00-mp4/', NOW), KEY), code('link_invalid'));
    // A valid link re-pointed by editing the URL: another account, job or output of the same job.
    const token0 = signer.token(SCOPE, NOW);
    await blobs.put('acc_b/jobs/job_1/00-mp4/video.mp4', Readable.from([Buffer.from('theirs')]));
    await blobs.put('acc_a/jobs/job_1/01-mp4/video.mp4', Readable.from([Buffer.from('other output')]));
    for (const edited of ['acc_b/jobs/job_1/00-mp4/video.mp4', 'acc_a/jobs/job_1/01-mp4/video.mp4', 'acc_a/jobs/job_2/00-mp4/video.mp4']) {
      await assert.rejects(files.open(token0, edited), code('link_invalid'), edited);
    }
    await assert.rejects(files.open('1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', KEY), code('link_invalid'));
    const token = signer.token(SCOPE, NOW);
    clockNow = NOW + 3601_000;
    try {
      await assert.rejects(files.open(token, KEY), code('link_expired'));
    } finally {
      clockNow = NOW;
    }
  });

  it('with direct downloads, redirects a file to a presigned GET no longer-lived than the link', async () => {
    const files = new FilesService({ blobs, signer, clock, downloads: new DirectDownloadsService({ signer: s3 }, { ttlSeconds: 7200 }) });
    const file = await files.open(signer.token(SCOPE, NOW), KEY);
    const url = new URL((await files.redirectFor(file))!);
    assert.equal(url.pathname, `/media/${KEY}`);
    assert.equal(url.searchParams.get('X-Amz-Expires'), '3600');
    assert.equal(url.searchParams.get('response-content-type'), 'video/mp4');
  });

  it('cache policy: HLS segments are immutable, playlists revalidate, the rest an hour', () => {
    assert.equal(cacheControlFor('jobs/j/00-hls/v0/seg_00001.m4s'), 'private, max-age=31536000, immutable');
    assert.equal(cacheControlFor('jobs/j/00-hls/v0/init.mp4'), 'private, max-age=31536000, immutable');
    assert.equal(cacheControlFor('jobs/j/00-hls/master.m3u8'), 'private, no-cache');
    assert.equal(cacheControlFor('jobs/j/00-frames/frames.zip'), 'private, max-age=3600');
  });
});
