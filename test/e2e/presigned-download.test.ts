import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { hlsMedia } from '../helpers/hls-media.js';
import { collectEvents } from '../helpers/platform.js';
import { startS3Platform, type S3Platform } from '../helpers/s3-platform.js';
import { readZip } from '../helpers/zip.js';

const TTL_SECONDS = 4; // presigned GETs live 3–4 s here, so the expiry test waits only seconds
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('downloads with S3 storage: the API checks the link, then redirects to a presigned GET', () => {
  let p: S3Platform;
  let direct: S3Client; // straight to s3rver, bypassing the gate: the stored truth
  let job: any;
  const file = (output: number, name: string) => job.outputs[output].files.find((f: any) => f.name === name) as { url: string; size: number };
  const stored = async (url: string) => {
    const key = decodeURIComponent(new URL(url).pathname.split('/').slice(4).join('/'));
    const res = await direct.send(new GetObjectCommand({ Bucket: p.s3.bucket, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  };
  const redirectOf = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { redirect: 'manual', headers });
    const text = await res.text();
    return Object.assign(res, { bodyText: text });
  };

  before(async () => {
    p = await startS3Platform({ MEDIAFORGE_S3_DOWNLOAD_TTL_SECONDS: String(TTL_SECONDS), MEDIAFORGE_ENCODER_PRESET: 'ultrafast' });
    direct = new S3Client({ region: p.s3.region, endpoint: p.s3.endpoint, forcePathStyle: true, credentials: p.s3.credentials });
    const up = await p.call('POST', '/v1/uploads?filename=clip.mp4', await readFile(await hlsMedia('hls-640x360.mp4')), { 'content-type': 'application/octet-stream' });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const created = await p.call('POST', '/v1/jobs', {
      input: { uploadId: up.body.id },
      outputs: [{ type: 'frames', fps: 1 }, { type: 'hls', segmentSeconds: 2 }],
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const events = await collectEvents(p.base, created.body.id);
    assert.equal(events.at(-1)!.data.status, 'succeeded', JSON.stringify(events.at(-1)!.data));
    job = (await p.call('GET', `/v1/jobs/${created.body.id}`)).body;
  });
  after(async () => {
    direct?.destroy();
    await p?.stop();
  });

  it('the job JSON keeps the API link as `url`', () => {
    const zip = file(0, 'frames.zip');
    assert.ok(zip.url.startsWith(`${p.base}/v1/files/`), zip.url);
  });

  it('a zip link answers 302 to a presigned GET of that key on the storage, with CORS and no caching of the redirect', async () => {
    const zip = file(0, 'frames.zip');
    const res = await redirectOf(zip.url, { origin: 'https://player.example' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const location = new URL(res.headers.get('location')!);
    assert.equal(location.origin, p.gate.endpoint);
    assert.equal(location.pathname, `/${p.s3.bucket}/acc_admin/jobs/${job.id}/00-frames/frames.zip`);
    assert.equal(location.searchParams.get('X-Amz-Expires'), String(TTL_SECONDS));
    assert.equal(location.searchParams.get('response-content-type'), 'application/zip');
  });

  it('following it gives exactly the stored bytes, with the headers the API would send, from the storage', async () => {
    const zip = file(0, 'frames.zip');
    const before = p.gate.requests.length;
    const res = await fetch(zip.url); // follows the redirect, as browsers and `curl -L` do
    assert.equal(res.status, 200);
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.length, zip.size);
    assert.equal(sha256(body), sha256(await stored(zip.url)));
    assert.equal(res.headers.get('content-type'), 'application/zip');
    assert.equal(res.headers.get('content-disposition'), 'inline; filename="frames.zip"');
    assert.equal(res.headers.get('cache-control'), 'private, max-age=3600');
    const manifest = JSON.parse((await readZip(body)).get('manifest.json')!.toString());
    assert.equal(manifest.frames.length, job.outputs[0].result.frameCount);
    const fetched = p.gate.requests.slice(before).filter((r) => r.presigned && r.method === 'GET');
    assert.deepEqual(fetched.map((r) => [r.path, r.status]), [[`/${p.s3.bucket}/acc_admin/jobs/${job.id}/00-frames/frames.zip`, 200]]);
  });

  it('Range works against the presigned URL, directly and through the redirect', async () => {
    const zip = file(0, 'frames.zip');
    const whole = await stored(zip.url);
    const location = (await redirectOf(zip.url)).headers.get('location')!;
    const res = await fetch(location, { headers: { range: 'bytes=10-109' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 10-109/${whole.length}`);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), whole.subarray(10, 110));
    // The client's Range header travels with it across the redirect. (Not a suffix range here:
    // s3rver reads `bytes=-n` as `bytes=0-n`; AWS, R2 and MinIO answer it correctly.)
    const viaApi = await fetch(zip.url, { headers: { range: `bytes=${whole.length - 50}-` } });
    assert.equal(viaApi.status, 206);
    assert.deepEqual(Buffer.from(await viaApi.arrayBuffer()), whole.subarray(whole.length - 50));
  });

  it('the storage answers browsers on other origins (bucket CORS): after a cross-origin redirect the Origin is "null"', async () => {
    const location = (await redirectOf(file(0, 'frames.zip').url)).headers.get('location')!;
    const res = await fetch(location, { headers: { origin: 'null', range: 'bytes=0-9' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /Content-Range/);
    await res.arrayBuffer();
    const preflight = await fetch(location, { method: 'OPTIONS', headers: { origin: 'null', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' } });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /range/);
  });

  it('a tampered presigned URL is refused by the storage: signature, key or response headers changed', async () => {
    const location = new URL((await redirectOf(file(0, 'frames.zip').url)).headers.get('location')!);
    const sig = location.searchParams.get('X-Amz-Signature')!;
    const badSig = new URL(location);
    badSig.searchParams.set('X-Amz-Signature', `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`);
    const otherKey = new URL(location);
    otherKey.pathname = `/${p.s3.bucket}/acc_admin/jobs/${job.id}/01-hls/poster.jpg`;
    const otherType = new URL(location);
    otherType.searchParams.set('response-content-type', 'text/html');
    for (const url of [badSig, otherKey, otherType]) {
      const res = await fetch(url);
      assert.equal(res.status, 403, url.toString());
      assert.match(await res.text(), /SignatureDoesNotMatch/);
    }
  });

  it('an expired presigned URL is refused by the storage', async () => {
    const location = new URL((await redirectOf(file(0, 'frames.zip').url)).headers.get('location')!);
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(location.searchParams.get('X-Amz-Date')!)!;
    const expiresAt = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) + Number(location.searchParams.get('X-Amz-Expires')) * 1000;
    await sleep(expiresAt - Date.now() + 1000);
    const res = await fetch(location);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /Request has expired/);
    // The API link itself is still good: asking again gives a fresh URL that works.
    const again = await fetch(file(0, 'frames.zip').url);
    assert.equal(again.status, 200);
    await again.arrayBuffer();
  });

  it('the redirect still needs a valid link: a forged token is 403 link_invalid, with no Location', async () => {
    const url = new URL(file(0, 'frames.zip').url);
    const [, v1, files, token, ...rest] = url.pathname.split('/');
    const [exp, mac] = token!.split('.');
    url.pathname = ['', v1, files, `${exp}.${mac!.slice(0, -1)}${mac!.endsWith('A') ? 'B' : 'A'}`, ...rest].join('/');
    const before = p.gate.requests.length;
    const res = await redirectOf(url.toString());
    assert.equal(res.status, 403);
    assert.equal(JSON.parse(res.bodyText).error.code, 'link_invalid');
    assert.equal(res.headers.get('location'), null);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const missing = await redirectOf(file(0, 'frames.zip').url.replace('frames.zip', 'nothing.zip'));
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.bodyText).error.code, 'not_found');
    assert.equal(missing.headers.get('location'), null);
    assert.equal(p.gate.requests.slice(before).filter((r) => r.presigned).length, 0);
  });

  it('playlists and the storyboard VTT are served by the API; segments, init sections and images redirect', async () => {
    const master = file(1, 'master.m3u8');
    const res = await redirectOf(master.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.equal(res.headers.get('cache-control'), 'private, no-cache');
    for (const name of ['v0/index.m3u8', 'storyboard.vtt']) assert.equal((await redirectOf(file(1, name).url)).status, 200, name);
    const names = job.outputs[1].files.map((f: any) => f.name as string);
    const redirected = names.filter((n: string) => /(?:\.m4s|init_\d+\.mp4|\.jpg)$/.test(n));
    assert.ok(redirected.some((n: string) => n.endsWith('.m4s')) && redirected.some((n: string) => n.includes('init_')), names.join(','));
    for (const name of redirected) {
      const r = await redirectOf(file(1, name).url);
      assert.equal(r.status, 302, name);
      const seg = await fetch(r.headers.get('location')!);
      assert.equal(seg.status, 200, name);
      assert.equal(sha256(Buffer.from(await seg.arrayBuffer())), sha256(await stored(file(1, name).url)), name);
      if (name.endsWith('.m4s')) assert.equal(seg.headers.get('cache-control'), 'private, max-age=31536000, immutable');
    }
  });

  it('HEAD is answered by the API (a presigned GET does not sign HEAD)', async () => {
    const zip = file(0, 'frames.zip');
    const res = await fetch(zip.url, { method: 'HEAD', redirect: 'manual' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(zip.size));
  });

  it('MEDIAFORGE_S3_DOWNLOADS=proxy: the same link is streamed by the API, nothing presigned', async () => {
    const proxy = await p.startApi({ MEDIAFORGE_S3_DOWNLOADS: 'proxy' });
    try {
      const zip = file(0, 'frames.zip');
      const url = zip.url.replace(p.base, proxy.url);
      const before = p.gate.requests.length;
      const res = await fetch(url, { redirect: 'manual' });
      assert.equal(res.status, 200);
      assert.equal(sha256(Buffer.from(await res.arrayBuffer())), sha256(await stored(zip.url)));
      assert.equal(p.gate.requests.slice(before).filter((r) => r.presigned).length, 0);
    } finally {
      await proxy.close();
    }
  });
});
