import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { S3BlobStore } from '../adapters/s3/s3.blob-store.js';
import { DirectDownloadsService, servedByApi } from './direct-downloads.service.js';

// Presigning is local computation (no request is made), so the real S3 adapter is used here.
const store = new S3BlobStore({
  bucket: 'media',
  region: 'us-east-1',
  endpoint: 'http://minio:9000',
  publicEndpoint: 'http://localhost:9000',
  forcePathStyle: true,
  credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' },
});
after(() => store.destroy());

const TTL = 3600; // slots of 900 s
const SLOT_START = Date.UTC(2026, 0, 1, 12, 0, 0); // a multiple of 900 s
const LINK_EXPIRES = SLOT_START + 86_400_000;
const KEY = 'jobs/job_1/00-hls/v0/seg_00001.m4s';
const HEADERS = { contentType: 'video/iso.segment', contentDisposition: 'inline; filename="seg_00001.m4s"', cacheControl: 'private, max-age=31536000, immutable' };

describe('DirectDownloadsService', () => {
  const downloads = new DirectDownloadsService({ signer: store }, { ttlSeconds: TTL });
  const at = (nowMs: number, linkExpiresAtMs = LINK_EXPIRES) => ({ nowMs, linkExpiresAtMs });

  it('playlists and the storyboard VTT stay on the API (their relative URIs must keep the token)', async () => {
    for (const key of ['jobs/j/00-hls/master.m3u8', 'jobs/j/00-hls/v0/index.m3u8', 'jobs/j/00-hls/storyboard.vtt']) {
      assert.equal(servedByApi(key), true, key);
      assert.equal(await downloads.redirectFor(key, HEADERS, at(SLOT_START)), null, key);
    }
    for (const key of ['jobs/j/00-frames/frames.zip', 'jobs/j/00-hls/v0/init_0.mp4', 'jobs/j/00-hls/storyboard.jpg', 'jobs/j/01-clips/series.json']) {
      assert.equal(servedByApi(key), false, key);
    }
  });

  it('a GET for this key on the public endpoint, with the response headers signed in', async () => {
    const url = new URL((await downloads.redirectFor(KEY, HEADERS, at(SLOT_START + 10_000)))!);
    assert.equal(url.origin, 'http://localhost:9000');
    assert.equal(url.pathname, `/media/${KEY}`);
    const q = url.searchParams;
    assert.equal(q.get('response-content-type'), HEADERS.contentType);
    assert.equal(q.get('response-content-disposition'), HEADERS.contentDisposition);
    assert.equal(q.get('response-cache-control'), HEADERS.cacheControl);
    assert.equal(q.get('X-Amz-SignedHeaders'), 'host');
    assert.match(q.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/);
  });

  it('signed at the start of a quarter-TTL slot: one URL per file and slot, valid ≥ 3/4 TTL after it is handed out', async () => {
    const first = await downloads.redirectFor(KEY, HEADERS, at(SLOT_START + 1_000));
    const later = await downloads.redirectFor(KEY, HEADERS, at(SLOT_START + 899_999));
    const next = await downloads.redirectFor(KEY, HEADERS, at(SLOT_START + 900_000));
    assert.equal(later, first);
    assert.notEqual(next, first);
    const q = new URL(later!).searchParams;
    assert.equal(q.get('X-Amz-Date'), '20260101T120000Z');
    assert.equal(q.get('X-Amz-Expires'), String(TTL));
    assert.equal(new URL(next!).searchParams.get('X-Amz-Date'), '20260101T121500Z');
    assert.notEqual(await downloads.redirectFor('jobs/job_1/00-hls/v0/seg_00002.m4s', HEADERS, at(SLOT_START)), first);
  });

  it('never outlives the download link it was minted for', async () => {
    const q = new URL((await downloads.redirectFor(KEY, HEADERS, at(SLOT_START + 5_000, SLOT_START + 120_000)))!).searchParams;
    assert.equal(q.get('X-Amz-Date'), '20260101T120000Z');
    assert.equal(q.get('X-Amz-Expires'), '120');
  });

  it('a TTL under 4 s is not slotted: signed now', async () => {
    const short = new DirectDownloadsService({ signer: store }, { ttlSeconds: 3 });
    const q = new URL((await short.redirectFor(KEY, HEADERS, at(SLOT_START + 7_400)))!).searchParams;
    assert.equal(q.get('X-Amz-Date'), '20260101T120007Z');
    assert.equal(q.get('X-Amz-Expires'), '3');
  });
});
