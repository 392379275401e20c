/**
 * How much of an MP4/MOV file is really there, read from its own structure: the top-level
 * boxes (each declares its size) and the sample tables of the `moov` index (each sample's
 * offset, size and duration). A file cut short in transfer keeps a `moov` at the front that
 * still describes the whole movie; this finds where the data stops and how many seconds of
 * each track are complete, without decoding anything (a few small reads and one read of
 * the index).
 */

export interface BoxHeader {
  type: string;
  start: number;
  headerSize: number;
  /** Declared size in bytes; null for a box that runs to the end of the file (size 0). */
  size: number | null;
}

export type ReadAt = (position: number, length: number) => Promise<Buffer>;

/** A box header at `at` in `buf`, or null when the bytes are not one. */
export function parseBoxHeader(buf: Buffer, at: number, start: number): BoxHeader | null {
  if (buf.length - at < 8) return null;
  const size32 = buf.readUInt32BE(at);
  const type = buf.toString('latin1', at + 4, at + 8);
  if (!/^[\x20-\x7e]{4}$/.test(type)) return null;
  if (size32 === 0) return { type, start, headerSize: 8, size: null };
  if (size32 === 1) {
    if (buf.length - at < 16) return null;
    const size = Number(buf.readBigUInt64BE(at + 8));
    return size >= 16 ? { type, start, headerSize: 16, size } : null;
  }
  return size32 >= 8 ? { type, start, headerSize: 8, size: size32 } : null;
}

/** The file starts like an ISO base media file (MP4, MOV, M4A, 3GP). */
export function looksLikeIsoBmff(head: Buffer): boolean {
  const first = parseBoxHeader(head, 0, 0);
  return !!first && ['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip'].includes(first.type);
}

export interface TopLevelLayout {
  boxes: BoxHeader[];
  /** Where the boxes say the file ends (the end of the last box that declares a size). */
  declaredEnd: number;
}

/** Walks the top-level boxes by their sizes; stops at the end of the file or at bytes that are not a box. */
export async function readTopLevelBoxes(read: ReadAt, fileSize: number, maxBoxes = 10_000): Promise<TopLevelLayout> {
  const boxes: BoxHeader[] = [];
  let at = 0;
  let declaredEnd = 0;
  while (at < fileSize && boxes.length < maxBoxes) {
    const box = parseBoxHeader(await read(at, 16), 0, at);
    if (!box) break;
    boxes.push(box);
    if (box.size === null) {
      declaredEnd = Math.max(declaredEnd, fileSize);
      break;
    }
    at += box.size;
    declaredEnd = Math.max(declaredEnd, at);
  }
  return { boxes, declaredEnd };
}

export interface TrackExtent {
  handler: string;
  timescale: number;
  samples: number;
  /** Samples from the first that lie wholly inside the file. */
  completeSamples: number;
  /** The end of the sample data that lies farthest into the file. */
  dataEnd: number;
  seconds: number;
  completeSeconds: number;
}

/** Children of a box body (`buf` from `from` to `to`). */
function* children(buf: Buffer, from: number, to: number): Generator<{ type: string; body: number; end: number }> {
  let at = from;
  while (at + 8 <= to) {
    const h = parseBoxHeader(buf, at, at);
    if (!h) return;
    const end = h.size === null ? to : at + h.size;
    if (end > to) return;
    yield { type: h.type, body: at + h.headerSize, end };
    at = end;
  }
}

function child(buf: Buffer, from: number, to: number, type: string) {
  for (const c of children(buf, from, to)) if (c.type === type) return c;
  return null;
}

function path(buf: Buffer, from: number, to: number, types: string[]) {
  let box: { body: number; end: number } | null = { body: from, end: to };
  for (const t of types) {
    box = box && child(buf, box.body, box.end, t);
    if (!box) return null;
  }
  return box;
}

interface Tables {
  chunkOffsets: number[];
  /** [firstChunk (1-based), samplesPerChunk] runs. */
  chunkRuns: Array<[number, number]>;
  sizes: (i: number) => number;
  count: number;
  /** [sampleCount, delta] runs. */
  deltas: Array<[number, number]>;
}

function readTables(buf: Buffer, stbl: { body: number; end: number }): Tables | null {
  const box = (t: string) => child(buf, stbl.body, stbl.end, t);
  const stsz = box('stsz');
  const stsc = box('stsc');
  const stts = box('stts');
  const stco = box('stco');
  const co64 = box('co64');
  if (!stsz || !stsc || !stts || (!stco && !co64)) return null;
  const fixed = buf.readUInt32BE(stsz.body + 4);
  const count = buf.readUInt32BE(stsz.body + 8);
  const table = stsz.body + 12;
  if (!fixed && table + 4 * count > stsz.end) return null;
  const offsets = co64 ?? stco!;
  const nOffsets = buf.readUInt32BE(offsets.body + 4);
  const width = co64 ? 8 : 4;
  if (offsets.body + 8 + width * nOffsets > offsets.end) return null;
  const chunkOffsets = Array.from({ length: nOffsets }, (_, i) =>
    co64 ? Number(buf.readBigUInt64BE(offsets.body + 8 + 8 * i)) : buf.readUInt32BE(offsets.body + 8 + 4 * i),
  );
  const nRuns = buf.readUInt32BE(stsc.body + 4);
  if (stsc.body + 8 + 12 * nRuns > stsc.end) return null;
  const chunkRuns = Array.from({ length: nRuns }, (_, i) => [buf.readUInt32BE(stsc.body + 8 + 12 * i), buf.readUInt32BE(stsc.body + 12 + 12 * i)] as [number, number]);
  const nDeltas = buf.readUInt32BE(stts.body + 4);
  if (stts.body + 8 + 8 * nDeltas > stts.end) return null;
  const deltas = Array.from({ length: nDeltas }, (_, i) => [buf.readUInt32BE(stts.body + 8 + 8 * i), buf.readUInt32BE(stts.body + 12 + 8 * i)] as [number, number]);
  return { chunkOffsets, chunkRuns, sizes: fixed ? () => fixed : (i) => buf.readUInt32BE(table + 4 * i), count, deltas };
}

/** Where each track's samples lie, from the sample tables of a `moov` box (the whole box, header included). */
export function trackExtents(moov: Buffer, fileSize: number): TrackExtent[] {
  const top = parseBoxHeader(moov, 0, 0);
  if (!top || top.type !== 'moov') return [];
  const tracks: TrackExtent[] = [];
  for (const trak of children(moov, top.headerSize, moov.length)) {
    if (trak.type !== 'trak') continue;
    const mdia = child(moov, trak.body, trak.end, 'mdia');
    const mdhd = mdia && child(moov, mdia.body, mdia.end, 'mdhd');
    const hdlr = mdia && child(moov, mdia.body, mdia.end, 'hdlr');
    const stbl = mdia && path(moov, mdia.body, mdia.end, ['minf', 'stbl']);
    if (!mdhd || !hdlr || !stbl) continue;
    const timescale = moov.readUInt32BE(mdhd.body + (moov[mdhd.body] === 1 ? 20 : 12));
    const tables = readTables(moov, stbl);
    if (!tables || !timescale) continue;
    tracks.push({ handler: moov.toString('latin1', hdlr.body + 8, hdlr.body + 12), timescale, ...sampleExtent(tables, fileSize, timescale) });
  }
  return tracks;
}

function sampleExtent(t: Tables, fileSize: number, timescale: number) {
  let sample = 0;
  let completeSamples = -1;
  let dataEnd = 0;
  let run = 0;
  for (let chunk = 0; chunk < t.chunkOffsets.length && sample < t.count; chunk++) {
    while (run + 1 < t.chunkRuns.length && t.chunkRuns[run + 1][0] <= chunk + 1) run++;
    const perChunk = t.chunkRuns[run]?.[1] ?? 0;
    let at = t.chunkOffsets[chunk];
    for (let k = 0; k < perChunk && sample < t.count; k++, sample++) {
      at += t.sizes(sample);
      dataEnd = Math.max(dataEnd, at);
      if (at > fileSize && completeSamples < 0) completeSamples = sample;
    }
  }
  if (completeSamples < 0) completeSamples = sample;
  let ticks = 0;
  let completeTicks = 0;
  let seen = 0;
  for (const [n, delta] of t.deltas) {
    const inside = Math.max(0, Math.min(n, completeSamples - seen));
    completeTicks += inside * delta;
    ticks += n * delta;
    seen += n;
  }
  return { samples: t.count, completeSamples, dataEnd, seconds: ticks / timescale, completeSeconds: completeTicks / timescale };
}
