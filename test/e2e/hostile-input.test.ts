import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { media } from '../helpers/media.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';

/**
 * Uploaded media is hostile. Each bad input ends its job in `failed` with a stable code
 * and a readable message, on the first attempt, and the server stays up.
 */
describe('e2e: hostile and broken input', () => {
  let p: TestPlatform;
  let hits = 0;
  const bait = createServer((_req, res) => {
    hits++;
    res.end('x');
  });
  let port = 0;
  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_MAX_DURATION_SECONDS: '60', MEDIAFORGE_MAX_PIXELS: '1000000', MEDIAFORGE_MAX_FRAMES_PER_JOB: '100' });
    await new Promise<void>((r) => bait.listen(0, '127.0.0.1', r));
    port = (bait.address() as AddressInfo).port;
  });
  after(async () => {
    bait.close();
    await p.stop();
  });

  async function runWith(bytes: Uint8Array | string, outputs: unknown[] = [{ type: 'thumbnail' }]) {
    const up = await p.api('POST', '/v1/uploads?filename=input', typeof bytes === 'string' ? Buffer.from(bytes) : bytes, { 'content-type': 'application/octet-stream' });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const job = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs });
    const events = await collectEvents(p.base, job.body.id);
    return events[events.length - 1].data;
  }

  const expectFailure = (job: any, code: string) => {
    assert.equal(job.status, 'failed', JSON.stringify(job));
    assert.equal(job.error.code, code, JSON.stringify(job.error));
    assert.ok(job.error.message.length > 15, 'a message a person can act on');
    assert.equal(job.attempts, 1, 'permanent errors are not retried');
  };

  it('refuses an HLS playlist that points at local files and at a local server', async () => {
    const job = await runWith(`#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n/etc/passwd\n#EXTINF:4,\nhttp://127.0.0.1:${port}/seg.ts\n#EXT-X-ENDLIST\n`);
    expectFailure(job, 'input_forbidden');
    assert.match(job.error.message, /playlist/);
  });

  it('refuses ffconcat and concat lists', async () => {
    expectFailure(await runWith(`ffconcat version 1.0\nfile '/etc/passwd'\nfile 'http://127.0.0.1:${port}/a.mp4'\n`), 'input_forbidden');
    expectFailure(await runWith(`file '/etc/passwd'\nfile 'http://127.0.0.1:${port}/a.mp4'\n`), 'input_forbidden');
    assert.equal(hits, 0, 'nothing was fetched from the bait server');
  });

  it('fails non-media with input_invalid and truncated media with input_truncated', async () => {
    expectFailure(await runWith('just some text, definitely not a video\n'.repeat(100)), 'input_invalid');
    const clip = await readFile(await media('clip20.mp4'));
    // The moov atom sits at the end of this MP4: the first half has no index at all.
    const cut = await runWith(clip.subarray(0, Math.floor(clip.length / 2)));
    expectFailure(cut, 'input_truncated');
    assert.match(cut.error.message, /index \(moov\) .* is missing: it was probably cut short in transfer/);
    expectFailure(await runWith(new Uint8Array(4096).fill(0x47)), 'input_invalid');
  });

  it('enforces the duration and pixel limits with limit_exceeded', async () => {
    const long = await runWith(await readFile(await media('long120.mp4')));
    expectFailure(long, 'limit_exceeded');
    assert.match(long.error.message, /120 s; the limit is 60 s/);
    assert.equal(long.input.metadata, null, 'nothing past the probe ran');
    const big = await runWith(await readFile(await media('big.png')));
    expectFailure(big, 'limit_exceeded');
    assert.match(big.error.message, /2000×1200/);
  });

  it('enforces the frames-per-job limit and rejects outputs the input cannot give', async () => {
    const clip = await readFile(await media('clip20.mp4'));
    const tooMany = await runWith(clip, [{ type: 'frames', fps: 10 }]);
    expectFailure(tooMany, 'limit_exceeded');
    assert.match(tooMany.error.message, /200 frames; the limit is 100/);
    const tone = await runWith(await readFile(await media('tone5.m4a')), [{ type: 'thumbnail' }]);
    expectFailure(tone, 'output_unsupported');
    assert.equal(tone.outputs[0].status, 'failed');
  });

  it('is still healthy after all of that', async () => {
    const health = await fetch(`${p.base}/healthz`);
    assert.equal(health.status, 200);
  });
});
