import { open } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { crc32 } from 'node:zlib';

const U32 = 0xffffffff;
const U16 = 0xffff;
/** Largest read of one file at a time: a frame is read whole when it is smaller. */
const CHUNK = 1 << 20;
/** 1980-01-01 00:00 in MS-DOS date/time: every entry gets the same time, so the same frames make the same ZIP. */
const DOS_DATE = (1 << 5) | 1;
const DOS_TIME = 0;
/** Unix, ZIP 4.5 (ZIP64); regular file, rw-rw-r--. */
const MADE_BY = (3 << 8) | 45;
const FILE_MODE = 0o100664;
const UTF8_NAMES = 0x0800;
const HAS_DESCRIPTOR = 0x0008;

interface Entry {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
  flags: number;
  zip64Size: boolean;
}

/**
 * A ZIP of stored (not deflated) entries, written to `stream` as entries are added: what
 * a frames ZIP is, since its images are already compressed. Each file is read once, in
 * chunks of at most 1 MiB, and its bytes go to the stream as they were read; the CRC-32 is
 * zlib's (native), not a JavaScript loop. Files get a data descriptor (the CRC is known only
 * after the read), buffers none. ZIP64 fields are written where sizes, offsets or the entry
 * count need them (`forceZip64` writes them always, which is how the tests reach them).
 */
export class StoredZip {
  readonly stream = new PassThrough({ highWaterMark: CHUNK });
  private readonly entries: Entry[] = [];
  private offset = 0;
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  constructor(private readonly opts: { forceZip64?: boolean } = {}) {}

  /** Appends the file at `path` as `name`; files are written in the order they were added. */
  addFile(path: string, name: string): void {
    this.enqueue(() => this.writeFile(path, name));
  }

  addBuffer(data: Buffer, name: string): void {
    this.enqueue(() => this.writeBuffer(data, name));
  }

  /** Writes the central directory once every entry is written, and ends the stream. Rejects when an entry failed. */
  async end(): Promise<void> {
    this.enqueue(() => this.writeDirectory());
    await this.queue;
    if (this.failure) throw this.failure;
    this.stream.end();
  }

  /** Stops: the stream fails (its consumer sees the error) and nothing more is read. */
  destroy(err: Error = new Error('the ZIP was abandoned')): void {
    this.failure ??= err;
    this.stream.destroy(err);
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(async () => {
      if (this.failure) return;
      try {
        await step();
      } catch (err) {
        this.destroy(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  private async write(buf: Buffer): Promise<void> {
    if (this.stream.destroyed) throw this.failure ?? new Error('the ZIP stream was closed');
    this.offset += buf.length;
    if (this.stream.write(buf)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
    });
    if (this.stream.destroyed) throw this.failure ?? new Error('the ZIP stream was closed');
  }

  private localHeader(entry: Omit<Entry, 'crc' | 'size'> & { crc: number; size: number }): Buffer {
    const extra = entry.zip64Size ? Buffer.alloc(20) : Buffer.alloc(0);
    if (entry.zip64Size) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2); // sizes follow in the data descriptor
    }
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(entry.zip64Size ? 45 : 20, 4);
    h.writeUInt16LE(entry.flags, 6);
    h.writeUInt16LE(0, 8); // stored
    h.writeUInt16LE(DOS_TIME, 10);
    h.writeUInt16LE(DOS_DATE, 12);
    h.writeUInt32LE(entry.crc, 14);
    h.writeUInt32LE(entry.zip64Size ? U32 : entry.size, 18);
    h.writeUInt32LE(entry.zip64Size ? U32 : entry.size, 22);
    h.writeUInt16LE(entry.name.length, 26);
    h.writeUInt16LE(extra.length, 28);
    return Buffer.concat([h, entry.name, extra]);
  }

  private async writeFile(path: string, nameText: string): Promise<void> {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const entry: Entry = {
        name: Buffer.from(nameText, 'utf8'),
        crc: 0,
        size: 0,
        offset: this.offset,
        flags: UTF8_NAMES | HAS_DESCRIPTOR,
        zip64Size: this.opts.forceZip64 === true || size >= U32,
      };
      await this.write(this.localHeader(entry));
      let crc = 0;
      let total = 0;
      for (;;) {
        // A fresh buffer per read: the stream keeps it until its consumer took it.
        const buf = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, size - total || 1)));
        const { bytesRead } = await fh.read(buf, 0, buf.length, total);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        crc = crc32(chunk, crc);
        total += bytesRead;
        await this.write(chunk);
      }
      entry.crc = crc;
      entry.size = total;
      const d = Buffer.alloc(entry.zip64Size ? 24 : 16);
      d.writeUInt32LE(0x08074b50, 0);
      d.writeUInt32LE(crc, 4);
      if (entry.zip64Size) {
        d.writeBigUInt64LE(BigInt(total), 8);
        d.writeBigUInt64LE(BigInt(total), 16);
      } else {
        d.writeUInt32LE(total, 8);
        d.writeUInt32LE(total, 12);
      }
      await this.write(d);
      this.entries.push(entry);
    } finally {
      await fh.close();
    }
  }

  private async writeBuffer(data: Buffer, nameText: string): Promise<void> {
    const entry: Entry = {
      name: Buffer.from(nameText, 'utf8'),
      crc: crc32(data),
      size: data.length,
      offset: this.offset,
      flags: UTF8_NAMES,
      zip64Size: this.opts.forceZip64 === true || data.length >= U32,
    };
    if (entry.zip64Size) {
      // Sizes in the local ZIP64 field itself (no descriptor for a buffer).
      const h = this.localHeader(entry);
      h.writeBigUInt64LE(BigInt(data.length), 30 + entry.name.length + 4);
      h.writeBigUInt64LE(BigInt(data.length), 30 + entry.name.length + 12);
      await this.write(h);
    } else await this.write(this.localHeader(entry));
    await this.write(data);
    this.entries.push(entry);
  }

  private async writeDirectory(): Promise<void> {
    const force = this.opts.forceZip64 === true;
    const start = this.offset;
    for (const e of this.entries) {
      const bigOffset = force || e.offset >= U32;
      const fields = [...(e.zip64Size ? [e.size, e.size] : []), ...(bigOffset ? [e.offset] : [])];
      const extra = Buffer.alloc(fields.length ? 4 + 8 * fields.length : 0);
      if (fields.length) {
        extra.writeUInt16LE(0x0001, 0);
        extra.writeUInt16LE(8 * fields.length, 2);
        fields.forEach((v, i) => extra.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
      }
      const h = Buffer.alloc(46);
      h.writeUInt32LE(0x02014b50, 0);
      h.writeUInt16LE(MADE_BY, 4);
      h.writeUInt16LE(e.zip64Size || bigOffset ? 45 : 20, 6);
      h.writeUInt16LE(e.flags, 8);
      h.writeUInt16LE(0, 10);
      h.writeUInt16LE(DOS_TIME, 12);
      h.writeUInt16LE(DOS_DATE, 14);
      h.writeUInt32LE(e.crc, 16);
      h.writeUInt32LE(e.zip64Size ? U32 : e.size, 20);
      h.writeUInt32LE(e.zip64Size ? U32 : e.size, 24);
      h.writeUInt16LE(e.name.length, 28);
      h.writeUInt16LE(extra.length, 30);
      // comment length, disk number, internal attributes: 0
      h.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
      h.writeUInt32LE(bigOffset ? U32 : e.offset, 42);
      await this.write(Buffer.concat([h, e.name, extra]));
    }
    const size = this.offset - start;
    const count = this.entries.length;
    if (force || count >= U16 || size >= U32 || start >= U32) {
      const at = this.offset;
      const r = Buffer.alloc(56 + 20);
      r.writeUInt32LE(0x06064b50, 0);
      r.writeBigUInt64LE(44n, 4);
      r.writeUInt16LE(MADE_BY, 12);
      r.writeUInt16LE(45, 14);
      // this disk, directory's disk: 0
      r.writeBigUInt64LE(BigInt(count), 24);
      r.writeBigUInt64LE(BigInt(count), 32);
      r.writeBigUInt64LE(BigInt(size), 40);
      r.writeBigUInt64LE(BigInt(start), 48);
      r.writeUInt32LE(0x07064b50, 56);
      r.writeUInt32LE(0, 60);
      r.writeBigUInt64LE(BigInt(at), 64);
      r.writeUInt32LE(1, 72);
      await this.write(r);
    }
    const z64 = force || count >= U16 || size >= U32 || start >= U32;
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(z64 ? U16 : count, 8);
    eocd.writeUInt16LE(z64 ? U16 : count, 10);
    eocd.writeUInt32LE(z64 ? U32 : size, 12);
    eocd.writeUInt32LE(z64 ? U32 : start, 16);
    await this.write(eocd);
  }
}
