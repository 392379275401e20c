import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ffprobeJson, media } from '../helpers/media.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { tempDir } from '../helpers/temp.js';
import { readZip } from '../helpers/zip.js';

describe('e2e: one job → vertical clip series + ZIP, MP4 rendition and audio track', () => {
  let p: TestPlatform;
  let t: { dir: string; cleanup: () => Promise<void> };
  let uploadId: string;
  let silentUploadId: string;
  before(async () => {
    p = await startTestPlatform();
    t = await tempDir();
    const up = await p.api('POST', '/v1/uploads?filename=clip.mp4', await readFile(await media('clip20.mp4')), { 'content-type': 'application/octet-stream' });
    uploadId = up.body.id;
    const silent = await p.api('POST', '/v1/uploads?filename=silent.mp4', await readFile(await media('black-intro.mp4')), { 'content-type': 'application/octet-stream' });
    silentUploadId = silent.body.id;
  });
  after(async () => {
    await p.stop();
    await t.cleanup();
  });

  it('runs clips + mp4 + audio in one job with progress, and serves every file', async () => {
    const created = await p.api('POST', '/v1/jobs', {
      input: { uploadId },
      outputs: [
        { type: 'clips', segmentSeconds: 8, aspect: '9:16', archive: true, preset: 'ultrafast' },
        { type: 'mp4', height: 120, preset: 'ultrafast' },
        { type: 'audio', format: 'mp3' },
      ],
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const events = await collectEvents(p.base, created.body.id);
    const final = events[events.length - 1];
    assert.equal(final.data.status, 'succeeded', JSON.stringify(final.data));
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.progress);
    assert.ok(progress.some((v) => v > 2 && v < 100), `intermediate progress: ${progress.join(', ')}`);

    const job = (await p.api('GET', `/v1/jobs/${created.body.id}`)).body;
    const [clips, mp4, audio] = job.outputs;
    assert.deepEqual(clips.files.map((f: any) => f.name), ['clip-001.mp4', 'clip-002.mp4', 'clip-003.mp4', 'series.json', 'clips.zip']);
    assert.deepEqual(clips.result.clips.map((c: any) => c.start), [0, 8, 16]);
    const firstClip = join(t.dir, 'clip-001.mp4');
    const res = await fetch(clips.files[0].url);
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    await writeFile(firstClip, Buffer.from(await res.arrayBuffer()));
    const v = (await ffprobeJson(firstClip)).streams.find((s: any) => s.codec_type === 'video');
    assert.deepEqual([v.width, v.height], [136, 240], "9:16 of 320×240: 240·9/16 = 135, rounded to even");
    const series = await (await fetch(clips.files[3].url)).json();
    assert.equal(series.clips.length, 3);
    const zip = await readZip(Buffer.from(await (await fetch(clips.files[4].url)).arrayBuffer()));
    assert.equal(zip.size, 4);

    assert.equal(mp4.result.height, 120);
    assert.equal(mp4.result.copied, false);
    const audioRes = await fetch(audio.files[0].url);
    assert.equal(audioRes.headers.get('content-type'), 'audio/mpeg');
    assert.equal(audio.result.codec, 'mp3');
  });

  it('a bad clips request is a 400 naming the field; audio from a silent video fails with input_has_no_audio', async () => {
    const bad = await p.api('POST', '/v1/jobs', { input: { uploadId }, outputs: [{ type: 'clips', segmentSeconds: 5, ranges: [{ start: 0, end: 1 }] }] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'validation_failed');
    assert.match(JSON.stringify(bad.body.error), /either segmentSeconds or ranges/);

    const created = await p.api('POST', '/v1/jobs', { input: { uploadId: silentUploadId }, outputs: [{ type: 'audio', format: 'wav' }] });
    const events = await collectEvents(p.base, created.body.id);
    assert.equal(events[events.length - 1].data.status, 'failed');
    const job = (await p.api('GET', `/v1/jobs/${created.body.id}`)).body;
    assert.equal(job.error.code, 'input_has_no_audio');
    assert.equal(job.attempts, 1, 'a permanent error is not retried');
  });
});
