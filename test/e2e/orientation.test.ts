import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { quadrantJpeg, readLayout, UPRIGHT_LAYOUT, writeOrientedJpeg } from '../helpers/oriented-media.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { tempDir } from '../helpers/temp.js';

// The finding of issue 9, through the API and the worker: a 640×480 phone JPEG with EXIF
// Orientation 6 and `{ type: image, width: 240 }` must give an upright 240×320.
describe('e2e: a phone photo with EXIF orientation 6', () => {
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

  it('metadata says rotation 90; image and thumbnail are upright 240×320 and say so', async () => {
    const photo = await writeOrientedJpeg(await quadrantJpeg(t.dir, 640, 480), 6, t.dir);
    const up = await p.api('POST', '/v1/uploads?filename=IMG_0001.jpg', await readFile(photo), { 'content-type': 'application/octet-stream' });
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'image', width: 240 }, { type: 'thumbnail', width: 240, format: 'png' }] });
    assert.equal(created.status, 202);
    const events = await collectEvents(p.base, created.body.id);
    const job = events[events.length - 1].data;
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    const m = job.input.metadata;
    assert.deepEqual([m.kind, m.width, m.height, m.rotation, m.mirrored], ['image', 640, 480, 90, false]);
    for (const [i, output] of job.outputs.entries()) {
      assert.deepEqual([output.result.width, output.result.height], [240, 320], output.type);
      const path = join(t.dir, `out-${i}-${output.files[0].name}`);
      await writeFile(path, Buffer.from(await (await fetch(output.files[0].url)).arrayBuffer()));
      assert.deepEqual(await readLayout(path), { width: 240, height: 320, layout: UPRIGHT_LAYOUT[6] }, output.type);
    }
  });
});
