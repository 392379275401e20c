import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildStoryboardVtt } from '../../src/ffmpeg/hls-master.js';
import { StoredZip } from '../../src/pipelines/stored-zip.js';
import { parseStoryboard, tileAt } from '../../web/console/src/storyboard.js';
import { readStoredZip } from '../../web/console/src/zip.js';

// The job page reads two things the pipelines write: the frames output's ZIP and the hls
// output's storyboard VTT. Both readers are checked against the writers themselves.
describe("console: the job page's readers of what the pipelines write", () => {
  const zipOf = async (files: Array<[string, Buffer]>, opts: { forceZip64?: boolean } = {}) => {
    const dir = await mkdtemp(join(tmpdir(), 'mf-console-zip-'));
    try {
      const zip = new StoredZip(opts);
      const chunks: Buffer[] = [];
      zip.stream.on('data', (c: Buffer) => chunks.push(c));
      for (const [name, data] of files) {
        if (name.endsWith('.json')) zip.addBuffer(data, name);
        else {
          await writeFile(join(dir, name), data);
          zip.addFile(join(dir, name), name);
        }
      }
      await zip.end();
      const buf = Buffer.concat(chunks);
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  for (const forceZip64 of [false, true]) {
    it(`reads every entry of a frames ZIP${forceZip64 ? ' with ZIP64 fields' : ''}, bytes intact`, async () => {
      const files: Array<[string, Buffer]> = [
        ['frame-000001.jpg', randomBytes(70_000)],
        ['frame-000002.jpg', randomBytes(1)],
        ['frame-000003.jpg', Buffer.alloc(0)],
        ['manifest.json', Buffer.from(JSON.stringify({ frames: [{ file: 'frame-000001.jpg', index: 0, time: 0.5 }] }))],
      ];
      const entries = readStoredZip(await zipOf(files, { forceZip64 }));
      assert.deepEqual(entries.map((e) => e.name), files.map(([n]) => n));
      for (const [i, e] of entries.entries()) assert.ok(Buffer.from(e.data).equals(files[i][1]), e.name);
    });
  }

  it('refuses what is not a ZIP', () => {
    assert.throws(() => readStoredZip(new Uint8Array(100).buffer), /not a ZIP/);
  });

  it("finds the storyboard tile of a time, the sprite resolved against the VTT's signed URL", async () => {
    const vtt = buildStoryboardVtt({ interval: 2, count: 5, columns: 3, rows: 2, tileWidth: 160, tileHeight: 90 }, 9, 'storyboard.jpg');
    const url = 'http://127.0.0.1:3000/v1/files/123.abc/jobs/job_1/00-hls/storyboard.vtt';
    const tiles = parseStoryboard(vtt, url);
    assert.equal(tiles.length, 5);
    assert.equal(tiles[0].sprite, 'http://127.0.0.1:3000/v1/files/123.abc/jobs/job_1/00-hls/storyboard.jpg');
    assert.deepEqual([tileAt(tiles, 0)!, tileAt(tiles, 3.9)!, tileAt(tiles, 8.99)!].map((t) => [t.x, t.y, t.w, t.h]), [[0, 0, 160, 90], [160, 0, 160, 90], [160, 90, 160, 90]]);
    assert.equal(tileAt(tiles, 50)!.start, tiles[4].start, 'past the end: the last tile');
    assert.equal(tileAt([], 1), null);
  });
});
