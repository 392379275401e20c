import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { combedPixels, interlaceMedia } from '../helpers/interlace-media.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { tempDir } from '../helpers/temp.js';

describe('e2e: a source whose field order is unknown is scanned once by the worker', () => {
  let p: TestPlatform;
  let t: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    p = await startTestPlatform();
    t = await tempDir();
  });
  after(async () => {
    await p.stop();
    await t.cleanup();
  });

  it('interlaced MPEG-4 in AVI: input.metadata carries the idet scan, and the outputs are deinterlaced', async () => {
    const up = await p.api('POST', '/v1/uploads?filename=tape.avi', await readFile(await interlaceMedia('interlaced-unflagged.avi')), { 'content-type': 'application/octet-stream' });
    const created = await p.api('POST', '/v1/jobs', {
      input: { uploadId: up.body.id },
      outputs: [{ type: 'mp4', preset: 'ultrafast' }, { type: 'thumbnail', format: 'png' }],
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const events = await collectEvents(p.base, created.body.id);
    assert.equal(events.at(-1)!.data.status, 'succeeded', JSON.stringify(events.at(-1)!.data));

    const job = (await p.api('GET', `/v1/jobs/${created.body.id}`)).body;
    const meta = job.input.metadata;
    assert.equal(meta.fieldOrder, 'unknown');
    assert.deepEqual([meta.interlaceScan.interlaced, meta.interlaceScan.parity], [true, 'bff']);
    const [mp4, thumbnail] = job.outputs;
    assert.equal(mp4.result.deinterlace.applied, true);
    assert.match(mp4.result.deinterlace.reason, /^idet found interlacing/);
    assert.deepEqual([thumbnail.result.deinterlace.applied, thumbnail.result.deinterlace.method], [true, 'yadif']);
    const png = join(t.dir, 'thumbnail.png');
    await writeFile(png, Buffer.from(await (await fetch(thumbnail.files[0].url)).arrayBuffer()));
    assert.ok((await combedPixels(png)) < 200, 'the thumbnail is not combed');
  });
});
