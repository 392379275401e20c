import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { media } from '../helpers/media.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';

describe('e2e: input from a URL', () => {
  let p: TestPlatform;
  let server: Server;
  let port: number;
  let requests = 0;
  before(async () => {
    const clip = await readFile(await media('clip20.mp4'));
    server = createServer((req, res) => {
      requests++;
      if (req.url === '/clip.mp4') {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(clip.length) });
        return res.end(clip);
      }
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
    p = await startTestPlatform({ MEDIAFORGE_URL_ALLOWLIST: '127.0.0.1' });
  });
  after(async () => {
    await p.stop();
    server.close();
  });

  it('downloads once and makes clips, an MP4 and the audio track from it', async () => {
    const before = requests;
    const created = await p.api('POST', '/v1/jobs', {
      input: { url: `http://127.0.0.1:${port}/clip.mp4` },
      outputs: [
        { type: 'clips', segmentSeconds: 10, aspect: '9:16', archive: true, preset: 'ultrafast' },
        { type: 'mp4', height: 120, preset: 'ultrafast' },
        { type: 'audio', format: 'm4a' },
      ],
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const events = await collectEvents(p.base, created.body.id);
    assert.equal(events[events.length - 1].data.status, 'succeeded', JSON.stringify(events[events.length - 1].data));
    assert.ok(events.some((e) => e.data.stage === 'downloading'), 'reported the download stage');
    const job = (await p.api('GET', `/v1/jobs/${created.body.id}`)).body;
    assert.equal(job.input.url, `http://127.0.0.1:${port}/clip.mp4`);
    assert.equal(job.input.metadata.width, 320);
    assert.deepEqual(job.outputs.map((o: any) => o.status), ['succeeded', 'succeeded', 'succeeded']);
    assert.equal(job.outputs[0].result.count, 2);
    assert.equal(requests - before, 1, 'one download for three outputs');
  });

  it('refuses a URL that resolves to loopback without the allowlist, a missing file, and a request with both inputs', async () => {
    const forbidden = await p.api('POST', '/v1/jobs', { input: { url: `http://localhost:${port}/clip.mp4` }, outputs: [{ type: 'audio' }] });
    await collectEvents(p.base, forbidden.body.id);
    const failed = (await p.api('GET', `/v1/jobs/${forbidden.body.id}`)).body;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.code, 'url_forbidden');
    assert.equal(failed.attempts, 1);

    const missing = await p.api('POST', '/v1/jobs', { input: { url: `http://127.0.0.1:${port}/nope.mp4` }, outputs: [{ type: 'audio' }] });
    await collectEvents(p.base, missing.body.id);
    assert.equal((await p.api('GET', `/v1/jobs/${missing.body.id}`)).body.error.code, 'url_not_found');

    const both = await p.api('POST', '/v1/jobs', { input: { uploadId: 'upl_x', url: 'https://example.com/a.mp4' }, outputs: [] });
    assert.equal(both.status, 400);
    assert.match(JSON.stringify(both.body.error), /exactly one of input.uploadId or input.url/);
    const ftp = await p.api('POST', '/v1/jobs', { input: { url: 'ftp://example.com/a.mp4' }, outputs: [] });
    assert.equal(ftp.status, 400);
  });

  it('refuses to import from the API itself, though 127.0.0.1 is allowlisted', async () => {
    // A signed link of this server is the classic way to make a worker fetch from its own API.
    const self = await p.api('POST', '/v1/jobs', { input: { url: `${p.base}/v1/openapi.json` }, outputs: [] });
    await collectEvents(p.base, self.body.id);
    const job = (await p.api('GET', `/v1/jobs/${self.body.id}`)).body;
    assert.equal(job.status, 'failed');
    assert.equal(job.error.code, 'url_forbidden');
    assert.match(job.error.message, /own API/);
  });
});
