import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, rmdir, stat, readdir, copyFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertValidKey } from '../../domain/keys.js';
import { DomainError } from '../../domain/errors.js';
import type { BlobStore, ByteRange, PutOptions } from '../../ports/blob-store.port.js';

/** Counts bytes and fails the stream once the limit is passed, before the rest is read. */
export function byteLimit(maxBytes: number | undefined, onBytes?: (n: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      total += chunk.length;
      onBytes?.(total);
      if (maxBytes !== undefined && total > maxBytes) {
        cb(new DomainError('upload_too_large', `the file is larger than the limit of ${maxBytes} bytes`, { limitBytes: maxBytes }));
        return;
      }
      cb(null, chunk);
    },
  });
}

/**
 * Local-folder blob store. Writes go to a temp file and are renamed into place, so a
 * reader never sees half a file and a crash leaves only `.partial` debris (swept at start).
 */
export class FsBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    assertValidKey(key);
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Readable, opts: PutOptions = {}): Promise<{ size: number }> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString('hex')}.partial`;
    let size = 0;
    try {
      await pipeline(body, byteLimit(opts.maxBytes, (n) => (size = n)), createWriteStream(temp), { signal: opts.signal });
      await rename(temp, target);
      return { size };
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async putFile(key: string, localPath: string): Promise<{ size: number }> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString('hex')}.partial`;
    try {
      await copyFile(localPath, temp);
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return { size: (await stat(target)).size };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    const s = await this.stat(key);
    if (!s) throw new DomainError('not_found', `no stored file ${key}`);
    return createReadStream(path, range ? { start: range.start, end: range.end } : undefined);
  }

  async stat(key: string) {
    try {
      const s = await stat(this.pathOf(key));
      return s.isFile() ? { size: s.size } : null;
    } catch (caught) {
      const err = caught as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await rm(path, { force: true });
    await this.pruneEmptyParents(path);
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) assertValidKey(key);
    for (const key of keys) await this.delete(key);
  }

  async deletePrefix(prefix: string): Promise<void> {
    const path = this.pathOf(prefix.replace(/\/+$/, ''));
    await rm(path, { recursive: true, force: true });
    await this.pruneEmptyParents(path);
  }

  /** Folders exist only because keys have slashes; an emptied folder goes too. */
  private async pruneEmptyParents(path: string): Promise<void> {
    for (let dir = dirname(path); dir.startsWith(this.root + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
    }
  }

  async list(prefix: string): Promise<string[]> {
    const clean = prefix.replace(/\/+$/, '');
    const base = this.pathOf(clean);
    const out: string[] = [];
    const walk = async (dir: string) => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (caught) {
        const err = caught as NodeJS.ErrnoException;
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return;
        throw err;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile() && !e.name.endsWith('.partial')) out.push(relative(this.root, full).split(sep).join('/'));
      }
    };
    await walk(base);
    return out.sort();
  }

  /** The file already is local: hand out its path (read-only use by contract). */
  async withLocalFile<T>(key: string, fn: (path: string) => Promise<T>): Promise<T> {
    const path = this.pathOf(key);
    if (!(await this.stat(key))) throw new DomainError('not_found', `no stored file ${key}`);
    return fn(path);
  }

  /**
   * Removes `.partial` files left by a crash. Only one process writes the embedded store, so
   * it removes them all; processes sharing a folder pass `olderThanMs` so that another
   * process's upload in flight is left alone.
   */
  async sweepPartials(opts: { olderThanMs?: number; nowMs?: number } = {}): Promise<number> {
    let removed = 0;
    const walk = async (dir: string) => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.name.endsWith('.partial')) {
          if (opts.olderThanMs !== undefined) {
            const s = await stat(full).catch(() => null);
            if (!s || (opts.nowMs ?? Date.now()) - s.mtimeMs <= opts.olderThanMs) continue;
          }
          await rm(full, { force: true });
          removed++;
        }
      }
    };
    await walk(this.root);
    return removed;
  }
}
