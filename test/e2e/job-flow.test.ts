import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ffprobeJson, media } from '../helpers/media.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { tempDir } from '../helpers/temp.js';
import { readZip } from '../helpers/zip.js';

describe('e2e: upload → frames + thumbnail job → progress → download', () => {
  let p: TestPlatform;
  let t: { dir: string; cleanup: () => Promise<void> };
  let uploadId: string;
  before(async () => {
    p = await startTestPlatform();
    t = await tempDir();
    const up = await p.api('POST', '/v1/uploads?filename=clip.mp4', await readFile(await media('clip20.mp4')), { 'content-type': 'application/octet-stream' });
    uploadId = up.body.id;
  });
  after(async () => {
    await p.stop();
    await t.cleanup();
  });

  it('runs the job, streams progress over SSE and serves the ZIP, the thumbnail and the metadata', async () => {
    const created = await p.api('POST', '/v1/jobs', {
      input: { uploadId },
      outputs: [{ type: 'frames', fps: 1 }, { type: 'thumbnail', width: 160 }],
      metadata: { course: 'intro' },
    });
    assert.equal(created.status, 202);
    assert.equal(created.body.status, 'queued');
    const events = await collectEvents(p.base, created.body.id);
    const final = events[events.length - 1];
    assert.equal(final.event, 'status');
    assert.equal(final.data.status, 'succeeded', JSON.stringify(final.data.error));
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.progress);
    assert.ok(progress.some((v) => v > 2 && v < 100), `saw intermediate progress: ${progress.join(', ')}`);
    assert.deepEqual([...progress].sort((a, b) => a - b), progress, 'progress never goes backwards');

    const job = (await p.api('GET', `/v1/jobs/${created.body.id}`)).body;
    assert.equal(job.progress, 100);
    assert.equal(job.attempts, 1);
    assert.deepEqual(job.metadata, { course: 'intro' });
    assert.equal(job.input.metadata.width, 320);
    assert.equal(job.input.metadata.hasAudio, true);
    assert.ok(job.startedAt && job.finishedAt);

    const [frames, thumb] = job.outputs;
    assert.equal(frames.status, 'succeeded');
    assert.equal(frames.result.frameCount, 20);
    const zipRes = await fetch(frames.files[0].url);
    assert.equal(zipRes.status, 200);
    assert.equal(zipRes.headers.get('content-type'), 'application/zip');
    const zip = await readZip(Buffer.from(await zipRes.arrayBuffer()));
    const manifest = JSON.parse(zip.get('manifest.json')!.toString());
    assert.equal(manifest.frames.length, 20);
    manifest.frames.forEach((f: any, i: number) => assert.ok(Math.abs(f.time - i) < 1 / 60, `frame ${i} at ${f.time}`));
    const firstFrame = join(t.dir, 'first.jpg');
    await writeFile(firstFrame, zip.get(manifest.frames[0].file)!);
    const probe = await ffprobeJson(firstFrame);
    assert.equal(probe.streams[0].width, 320);
    assert.equal(probe.streams[0].height, 240);

    assert.equal(thumb.status, 'succeeded');
    const thumbRes = await fetch(thumb.files[0].url);
    assert.equal(thumbRes.headers.get('content-type'), 'image/jpeg');
    const thumbPath = join(t.dir, 'thumb.jpg');
    await writeFile(thumbPath, Buffer.from(await thumbRes.arrayBuffer()));
    assert.equal((await ffprobeJson(thumbPath)).streams[0].width, 160);
  });

  it('serves byte ranges and refuses forged or misplaced links', async () => {
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId }, outputs: [{ type: 'thumbnail' }] });
    await collectEvents(p.base, created.body.id);
    const job = (await p.api('GET', `/v1/jobs/${created.body.id}`)).body;
    const url: string = job.outputs[0].files[0].url;
    const size: number = job.outputs[0].files[0].size;
    const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
    assert.equal(whole.length, size);

    const part = await fetch(url, { headers: { range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-19/${size}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), whole.subarray(10, 20));
    const tail = await fetch(url, { headers: { range: 'bytes=-5' } });
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), whole.subarray(size - 5));
    const beyond = await fetch(url, { headers: { range: `bytes=${size + 10}-` } });
    assert.equal(beyond.status, 416);
    assert.equal((await beyond.json()).error.code, 'range_not_satisfiable');

    const forged = url.replace(/\/v1\/files\/(\d+)\.[\w-]+\//, '/v1/files/$1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/');
    const forgedRes = await fetch(forged);
    assert.equal(forgedRes.status, 403);
    assert.equal((await forgedRes.json()).error.code, 'link_invalid');
    assert.equal(forgedRes.headers.get('access-control-allow-origin'), '*', 'players on other origins can read the error');
    // A valid token for one job does not open another job's files or the uploads.
    const other = url.replace(created.body.id, 'job_00000000000000000000000000');
    assert.equal((await fetch(other)).status, 403);
    const token = /\/v1\/files\/([^/]+)\//.exec(url)![1];
    assert.equal((await fetch(`${p.base}/v1/files/${token}/uploads/${uploadId}/source`)).status, 404);
    assert.equal((await fetch(`${p.base}/v1/files/${token}/jobs/${created.body.id}/..%2F..%2Fadmin.key`)).status, 404);
  });

  it('a job with no outputs only probes, and a finished job’s stream ends at once', async () => {
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId }, outputs: [] });
    const events = await collectEvents(p.base, created.body.id);
    assert.equal(events[events.length - 1].data.status, 'succeeded');
    assert.equal(events[events.length - 1].data.input.metadata.duration, 20);
    const again = await collectEvents(p.base, created.body.id);
    assert.equal(again.length, 1);
    assert.equal((await fetch(`${p.base}/v1/jobs/job_nope/events`, { headers: { authorization: `Bearer ${(await import('../helpers/platform.js')).TEST_KEY}` } })).status, 404);
  });

  it('lists jobs newest first with cursor pagination and a status filter', async () => {
    const page1 = (await p.api('GET', '/v1/jobs?limit=2')).body;
    assert.equal(page1.jobs.length, 2);
    assert.ok(page1.nextCursor);
    const page2 = (await p.api('GET', `/v1/jobs?limit=2&cursor=${page1.nextCursor}`)).body;
    assert.ok(page2.jobs.length >= 1);
    assert.ok(page2.jobs[0].id < page1.jobs[1].id, 'strictly older');
    assert.ok(page1.jobs[0].createdAt >= page1.jobs[1].createdAt);
    const succeeded = (await p.api('GET', '/v1/jobs?status=succeeded&limit=100')).body;
    assert.ok(succeeded.jobs.length >= 3);
    assert.ok(succeeded.jobs.every((j: any) => j.status === 'succeeded'));
  });

  it('refuses to cancel or retry a job in the wrong state', async () => {
    const done = (await p.api('GET', '/v1/jobs?status=succeeded&limit=1')).body.jobs[0];
    const cancel = await p.api('POST', `/v1/jobs/${done.id}/cancel`);
    assert.equal(cancel.status, 409);
    assert.equal(cancel.body.error.code, 'job_not_cancelable');
    const retry = await p.api('POST', `/v1/jobs/${done.id}/retry`);
    assert.equal(retry.status, 409);
    assert.equal(retry.body.error.code, 'job_not_retryable');
    assert.equal((await p.api('POST', '/v1/jobs/job_missing/cancel')).status, 404);
  });
});
