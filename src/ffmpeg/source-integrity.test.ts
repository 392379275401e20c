import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { looksLikeMatroska, matroskaDeclaredEnd } from './matroska.inspect.js';
import { parseBoxHeader, readTopLevelBoxes, trackExtents } from './mp4-index.inspect.js';
import { inspectTruncation } from './source-integrity.js';

// ISO BMFF boxes built by hand: size, type, body.
const u32 = (...n: number[]) => Buffer.concat(n.map((v) => Buffer.from([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255])));
const box = (type: string, ...body: Buffer[]) => {
  const content = Buffer.concat(body);
  return Buffer.concat([u32(8 + content.length), Buffer.from(type, 'latin1'), content]);
};
const full = (type: string, ...body: Buffer[]) => box(type, u32(0), ...body); // version 0, flags 0

/**
 * One track: `chunks` are [offset, sizes of its samples]; every sample lasts `delta` ticks
 * of `timescale`. stsc is written as runs of equal samples-per-chunk.
 */
function trak(handler: 'vide' | 'soun', timescale: number, delta: number, chunks: Array<[number, number[]]>): Buffer {
  const sizes = chunks.flatMap(([, s]) => s);
  const runs: number[][] = [];
  chunks.forEach(([, s], i) => {
    if (!runs.length || runs[runs.length - 1][1] !== s.length) runs.push([i + 1, s.length, 1]);
  });
  const stbl = box(
    'stbl',
    full('stts', u32(1, sizes.length, delta)),
    full('stsc', u32(runs.length, ...runs.flat())),
    full('stsz', u32(0, sizes.length, ...sizes)),
    full('stco', u32(chunks.length, ...chunks.map(([o]) => o))),
  );
  const mdhd = full('mdhd', u32(0, 0, timescale, sizes.length * delta), u32(0));
  const hdlr = full('hdlr', u32(0), Buffer.from(handler, 'latin1'), u32(0, 0, 0), Buffer.from('\0'));
  return box('trak', box('mdia', mdhd, hdlr, box('minf', stbl)));
}

/** ftyp, moov, mdat: a faststart file with a 1 s video track (10 samples of 100 bytes, 2 per chunk) and a 1 s audio track (4 samples of 50 bytes, one chunk each). */
function faststartFile(): Buffer {
  const ftyp = box('ftyp', Buffer.from('isom'), u32(512), Buffer.from('isomiso2'));
  const build = (mdatStart: number) => {
    const data = mdatStart + 8;
    const video: Array<[number, number[]]> = [];
    const audio: Array<[number, number[]]> = [];
    let at = data;
    for (let c = 0; c < 5; c++) {
      video.push([at, [100, 100]]);
      at += 200;
      if (c < 4) {
        audio.push([at, [50]]);
        at += 50;
      }
    }
    const moov = box('moov', trak('vide', 1000, 100, video), trak('soun', 48000, 12000, audio));
    return { moov, mdat: box('mdat', Buffer.alloc(at - data, 7)) };
  };
  const first = build(0);
  const { moov, mdat } = build(ftyp.length + first.moov.length);
  return Buffer.concat([ftyp, moov, mdat]);
}

const reader = (buf: Buffer) => async (at: number, len: number) => buf.subarray(at, at + len);
const inspect = (buf: Buffer) => inspectTruncation(reader(buf), buf.length, buf.subarray(0, 4096));

describe('MP4 box headers', () => {
  it('reads 32-bit sizes, 64-bit large sizes and "to the end of the file"; refuses what is not a box', () => {
    assert.deepEqual(parseBoxHeader(Buffer.concat([u32(24), Buffer.from('ftyp')]), 0, 0), { type: 'ftyp', start: 0, headerSize: 8, size: 24 });
    assert.deepEqual(parseBoxHeader(Buffer.concat([u32(1), Buffer.from('mdat'), u32(1, 0x10)]), 0, 64), { type: 'mdat', start: 64, headerSize: 16, size: 2 ** 32 + 16 });
    assert.deepEqual(parseBoxHeader(Buffer.concat([u32(0), Buffer.from('mdat')]), 0, 8), { type: 'mdat', start: 8, headerSize: 8, size: null });
    assert.equal(parseBoxHeader(Buffer.concat([u32(4), Buffer.from('ftyp')]), 0, 0), null, 'smaller than its own header');
    assert.equal(parseBoxHeader(Buffer.concat([u32(16), Buffer.from([0, 1, 2, 3])]), 0, 0), null, 'not a printable type');
    assert.equal(parseBoxHeader(Buffer.from('ab'), 0, 0), null);
  });

  it('walks the top-level boxes to where they say the file ends', async () => {
    const file = faststartFile();
    const { boxes, declaredEnd } = await readTopLevelBoxes(reader(file), file.length);
    assert.deepEqual(boxes.map((b) => b.type), ['ftyp', 'moov', 'mdat']);
    assert.equal(declaredEnd, file.length);
    const cut = file.subarray(0, file.length - 300);
    assert.equal((await readTopLevelBoxes(reader(cut), cut.length)).declaredEnd, file.length, 'the mdat still declares its full size');
  });
});

describe('MP4 sample tables', () => {
  it('give each track its samples, data end and the seconds wholly in the file', async () => {
    const file = faststartFile();
    const { boxes } = await readTopLevelBoxes(reader(file), file.length);
    const moov = boxes.find((b) => b.type === 'moov')!;
    const moovBytes = file.subarray(moov.start, moov.start + moov.size!);
    const mdatData = boxes[2].start + 8;
    const whole = trackExtents(moovBytes, file.length);
    assert.deepEqual(whole, [
      { handler: 'vide', timescale: 1000, samples: 10, completeSamples: 10, dataEnd: file.length, seconds: 1, completeSeconds: 1 },
      { handler: 'soun', timescale: 48000, samples: 4, completeSamples: 4, dataEnd: mdatData + 4 * 250, seconds: 1, completeSeconds: 1 },
    ]);
    // Cut inside the third video chunk's second sample: 4 whole video samples, 2 audio ones.
    const cutAt = mdatData + 250 + 250 + 150;
    const cut = trackExtents(moovBytes, cutAt);
    assert.deepEqual(cut.map((t) => [t.handler, t.completeSamples, t.completeSeconds]), [['vide', 5, 0.5], ['soun', 2, 0.5]]);
  });
});

describe('inspectTruncation', () => {
  it('a whole MP4 is not truncated; the same cut in half is, with the seconds of each track that are there', async () => {
    const file = faststartFile();
    assert.equal(await inspect(file), null);
    const half = file.subarray(0, Math.floor(file.length / 2));
    const t = await inspect(half);
    assert.ok(t);
    assert.deepEqual({ ...t, tracks: t.tracks.map((k) => [k.kind, k.seconds, k.completeSeconds, k.samples, k.completeSamples]) }, {
      container: 'mp4',
      fileBytes: half.length,
      declaredBytes: file.length,
      indexMissing: false,
      tracks: [['video', 1, 0.2, 10, 2], ['audio', 1, 0.25, 4, 1]],
    });
  });

  it('an MP4 cut before its index (moov at the end) has the index missing', async () => {
    const ftyp = box('ftyp', Buffer.from('isom'), u32(512));
    const mdat = box('mdat', Buffer.alloc(1000, 1));
    const file = Buffer.concat([ftyp, mdat, box('moov', trak('vide', 1000, 100, [[ftyp.length + 8, [500, 500]]]))]);
    assert.equal(await inspect(file), null);
    const cut = file.subarray(0, ftyp.length + 600);
    assert.deepEqual(await inspect(cut), { container: 'mp4', fileBytes: cut.length, declaredBytes: ftyp.length + mdat.length, indexMissing: true, tracks: [] });
  });

  it('trailing bytes after the last box, an mdat running to the end, and non-MP4 files are not truncation', async () => {
    const file = faststartFile();
    assert.equal(await inspect(Buffer.concat([file, Buffer.alloc(100)])), null);
    // mdat with size 0 ("to the end of the file"): only the sample index can tell a cut.
    const { boxes } = await readTopLevelBoxes(reader(file), file.length);
    const open = Buffer.from(file);
    open.writeUInt32BE(0, boxes[2].start);
    assert.equal(await inspect(open), null);
    const cut = await inspect(open.subarray(0, open.length - 10));
    assert.deepEqual([cut?.declaredBytes, cut?.tracks.map((k) => k.completeSamples)], [file.length, [9, 4]]);
    assert.equal(await inspect(Buffer.alloc(4096, 0x47)), null, 'MPEG-TS declares no size');
    assert.equal(await inspect(Buffer.from('just some text, definitely not a video')), null);
  });
});

describe('Matroska segment size', () => {
  // EBML header (ID 1A45DFA3, size 4, 4 bytes of content), then the Segment (ID 18538067) with an 8-byte size.
  const head = (segmentSize: number[]) => Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x84, 1, 2, 3, 4, 0x18, 0x53, 0x80, 0x67, ...segmentSize]);

  it('is where the file says it ends', () => {
    const h = head([0x01, 0, 0, 0, 0, 0x0a, 0x0e, 0x11]);
    assert.equal(looksLikeMatroska(h), true);
    assert.equal(matroskaDeclaredEnd(h), 9 + 4 + 8 + 0x0a0e11);
    assert.equal(matroskaDeclaredEnd(head([0x82])), 9 + 4 + 1 + 2, 'a one-byte size');
  });

  it('is unknown for a streamed file (all value bits set) and for what is not Matroska', () => {
    assert.equal(matroskaDeclaredEnd(head([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), null);
    assert.equal(matroskaDeclaredEnd(head([0xff])), null);
    assert.equal(looksLikeMatroska(Buffer.from('RIFF')), false);
    assert.equal(matroskaDeclaredEnd(Buffer.from([0x1a, 0x45, 0xdf, 0xa3])), null, 'cut inside the header');
  });

  it('a cut file is truncated; a whole one is not', async () => {
    const whole = Buffer.concat([head([0x9f]), Buffer.alloc(0x1f)]);
    assert.equal(whole.length, matroskaDeclaredEnd(whole));
    assert.equal(await inspect(whole), null);
    const cut = whole.subarray(0, 20);
    assert.deepEqual(await inspect(cut), { container: 'matroska', fileBytes: 20, declaredBytes: whole.length, indexMissing: false, tracks: [] });
  });
});
