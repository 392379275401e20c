import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { StoredZip } from './stored-zip.js';

interface Read {
  name: string;
  data: Buffer;
  compressionMethod: number;
  crc32: number;
}

/** Every entry as yauzl reads it (it checks sizes against the directory; the CRC-32 the tests check themselves). */
function unzip(buf: Buffer): Promise<Read[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out: Read[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            out.push({ name: entry.fileName, data: Buffer.concat(chunks), compressionMethod: entry.compressionMethod, crc32: entry.crc32 });
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

async function collect(zip: StoredZip, fill: () => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    zip.stream.on('data', (c: Buffer) => chunks.push(c));
    zip.stream.on('end', resolve);
    zip.stream.on('error', reject);
  });
  fill();
  await zip.end();
  await done;
  return Buffer.concat(chunks);
}

describe('StoredZip: a streamed ZIP of stored entries', () => {
  let dir = '';
  const files: Record<string, Buffer> = {
    'frame-000001.jpg': randomBytes(50_000),
    'frame-000002.jpg': randomBytes(2.5 * 1024 * 1024), // more than one read
    'frame-000003.jpg': Buffer.alloc(0),
  };
  const manifest = Buffer.from(JSON.stringify({ frames: Object.keys(files) }));
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stored-zip-'));
    for (const [name, data] of Object.entries(files)) await writeFile(join(dir, name), data);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const forceZip64 of [false, true]) {
    it(`files and a buffer come back byte for byte, in order, stored${forceZip64 ? ', with every ZIP64 field' : ''}`, async () => {
      const zip = new StoredZip({ forceZip64 });
      const buf = await collect(zip, () => {
        for (const name of Object.keys(files)) zip.addFile(join(dir, name), name);
        zip.addBuffer(manifest, 'manifest.json');
      });
      const entries = await unzip(buf);
      assert.deepEqual(entries.map((e) => e.name), [...Object.keys(files), 'manifest.json']);
      for (const e of entries) {
        assert.equal(e.compressionMethod, 0);
        assert.equal(e.crc32, crc32(e.data), `${e.name}: the directory's CRC-32 is not the data's`);
        assert.ok(e.data.equals(e.name === 'manifest.json' ? manifest : files[e.name]), `${e.name} differs`);
      }
      // ZIP64 end-of-directory record present exactly when asked for (or needed).
      assert.equal(buf.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), forceZip64);
    });
  }

  it('the same files make the same bytes (fixed entry times)', async () => {
    const make = () => {
      const zip = new StoredZip();
      return collect(zip, () => zip.addFile(join(dir, 'frame-000001.jpg'), 'frame-000001.jpg'));
    };
    assert.ok((await make()).equals(await make()));
  });

  it('a file that cannot be read fails the stream and end()', async () => {
    const zip = new StoredZip();
    const streamError = new Promise<NodeJS.ErrnoException>((resolve) => zip.stream.on('error', resolve));
    zip.stream.resume();
    zip.addFile(join(dir, 'missing.jpg'), 'missing.jpg');
    zip.addFile(join(dir, 'frame-000001.jpg'), 'frame-000001.jpg');
    await assert.rejects(zip.end(), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
    assert.equal((await streamError).code, 'ENOENT');
  });

  it('destroy() fails the stream for its consumer', async () => {
    const zip = new StoredZip();
    const failed = new Promise((resolve) => zip.stream.on('error', resolve));
    zip.addFile(join(dir, 'frame-000002.jpg'), 'frame-000002.jpg');
    zip.destroy(new Error('ffmpeg failed'));
    assert.equal(((await failed) as Error).message, 'ffmpeg failed');
    await assert.rejects(zip.end(), /ffmpeg failed/);
  });
});
