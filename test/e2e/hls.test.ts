import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { parseMediaPlaylist } from '../../src/ffmpeg/hls-master.js';
import { hlsMedia } from '../helpers/hls-media.js';
import { parseMaster, parseVtt } from '../helpers/hls-package.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';

describe('e2e: phone video → { type: "hls" } → progress → package through one signed link', () => {
  let p: TestPlatform;
  let job: any;
  before(async () => {
    p = await startTestPlatform();
    const up = await p.api('POST', '/v1/uploads?filename=phone.mp4', await readFile(await hlsMedia('hls-rotated.mp4')), { 'content-type': 'application/octet-stream' });
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'hls', segmentSeconds: 2 }] });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const events = await collectEvents(p.base, created.body.id);
    assert.equal(events.at(-1)!.data.status, 'succeeded', JSON.stringify(events.at(-1)!.data));
    assert.ok(events.some((e) => e.event === 'progress' && e.data.progress > 2 && e.data.progress < 100), 'intermediate progress');
    job = (await p.api('GET', `/v1/jobs/${created.body.id}`)).body;
  });
  after(async () => p.stop());

  const fileUrl = (name: string) => job.outputs[0].files.find((f: any) => f.name === name).url as string;

  it('the result lists the master first, every file with a url, and the timings', () => {
    const out = job.outputs[0];
    assert.equal(out.status, 'succeeded');
    assert.equal(out.files[0].name, 'master.m3u8');
    assert.deepEqual(out.result.renditions.map((r: any) => `${r.width}x${r.height}`), ['360x640', '240x426']);
    for (const k of ['firstSegmentAt', 'playableAt']) assert.ok(!Number.isNaN(Date.parse(out.result[k])), k);
    for (const name of ['poster.jpg', 'storyboard.jpg', 'storyboard.vtt', 'v0/index.m3u8', 'v1/init_1.mp4']) assert.ok(fileUrl(name), name);
  });

  it('a player follows the relative references from the master URL alone', async () => {
    const masterUrl = fileUrl('master.m3u8');
    const res = await fetch(masterUrl, { headers: { origin: 'https://lms.example' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('cache-control'), 'private, no-cache');
    const variants = parseMaster(await res.text());
    assert.equal(variants.length, 2);
    for (const v of variants) {
      const playlistUrl = new URL(v.uri, masterUrl);
      const pl = await fetch(playlistUrl);
      assert.equal(pl.status, 200, playlistUrl.pathname);
      const media = parseMediaPlaylist(await pl.text());
      const init = await fetch(new URL(media.initUri!, playlistUrl));
      assert.equal(init.status, 200);
      assert.equal(init.headers.get('content-type'), 'video/mp4');
      assert.match(init.headers.get('cache-control')!, /immutable/);
      for (const s of media.segments) {
        const seg = await fetch(new URL(s.uri, playlistUrl));
        assert.equal(seg.status, 200);
        assert.equal(seg.headers.get('content-type'), 'video/iso.segment');
        assert.equal(seg.headers.get('cache-control'), 'private, max-age=31536000, immutable');
        assert.ok((await seg.arrayBuffer()).byteLength > 0);
      }
    }
  });

  it('segments answer Range requests and CORS preflights', async () => {
    const segUrl = fileUrl('v0/seg_00000.m4s');
    const part = await fetch(segUrl, { headers: { range: 'bytes=0-99' } });
    assert.equal(part.status, 206);
    assert.equal((await part.arrayBuffer()).byteLength, 100);
    assert.match(part.headers.get('content-range')!, /^bytes 0-99\/\d+$/);
    const pre = await fetch(segUrl, { method: 'OPTIONS', headers: { origin: 'https://lms.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-headers')!, /range/);
  });

  it('the storyboard VTT is served as text/vtt and its cues point at the sprite', async () => {
    const res = await fetch(fileUrl('storyboard.vtt'));
    assert.equal(res.headers.get('content-type'), 'text/vtt');
    const cues = parseVtt(await res.text());
    assert.ok(cues.length >= 3);
    const sprite = await fetch(new URL(cues[0].target.split('#')[0], fileUrl('storyboard.vtt')));
    assert.equal(sprite.status, 200);
    assert.equal(sprite.headers.get('content-type'), 'image/jpeg');
  });

  it('the link covers only this job: a changed token or another job id is refused', async () => {
    const masterUrl = fileUrl('master.m3u8');
    const [, token] = /\/v1\/files\/([^/]+)\//.exec(masterUrl)!;
    const forged = masterUrl.replace(token, `${token.split('.')[0]}.${'A'.repeat(32)}`);
    const bad = await fetch(forged);
    assert.equal(bad.status, 403);
    assert.equal((await bad.json()).error.code, 'link_invalid');
    const other = await fetch(masterUrl.replace(`/jobs/${job.id}/`, '/jobs/job_someoneelse01/'));
    assert.equal(other.status, 403);
    assert.equal((await other.json()).error.code, 'link_invalid');
  });

  it('a bad hls request is a 400 naming the field', async () => {
    const res = await p.api('POST', '/v1/jobs', { input: { uploadId: job.input.uploadId }, outputs: [{ type: 'hls', segmentType: 'dash', renditions: [720, 720] }] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'validation_failed');
    assert.match(JSON.stringify(res.body.error), /segmentType/);
  });
});
