import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What `mediaforge watch` did with each file of its folder, kept in the folder itself
 * (`.mediaforge-watch.json`) so a restart does not send a finished file again, and goes on
 * following a job it had started. A file is the same file while its name, size and
 * modification time are; written whole to a temporary file and renamed over the old one, so
 * a crash mid-write leaves the previous state, never half of one.
 */
export const STATE_FILE = '.mediaforge-watch.json';

export interface WatchedFile {
  size: number;
  mtimeMs: number;
  status: 'processing' | 'done' | 'failed';
  uploadId?: string;
  jobId?: string;
  error?: string;
  /** Where its results were saved. */
  results?: string;
}

export interface WatchStateData {
  version: 1;
  files: Record<string, WatchedFile>;
}

export class WatchState {
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string, readonly data: WatchStateData) {}

  static async open(dir: string): Promise<WatchState> {
    const path = join(dir, STATE_FILE);
    let data: WatchStateData = { version: 1, files: {} };
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as WatchStateData;
      if (parsed?.version === 1 && parsed.files && typeof parsed.files === 'object') data = parsed;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${path}: ${(err as Error).message}; move it away to start over`);
    }
    return new WatchState(path, data);
  }

  /** The entry of this very file (same size and mtime), if any. */
  get(name: string, stats: { size: number; mtimeMs: number }): WatchedFile | null {
    const f = this.data.files[name];
    return f && f.size === stats.size && Math.trunc(f.mtimeMs) === Math.trunc(stats.mtimeMs) ? f : null;
  }

  /** Sets the entry and writes the state (one write at a time, in order). */
  async set(name: string, entry: WatchedFile): Promise<void> {
    this.data.files[name] = entry;
    const text = JSON.stringify(this.data, null, 2);
    const tmp = `${this.path}.${process.pid}.tmp`;
    const next = this.writing.then(async () => {
      await writeFile(tmp, text);
      await rename(tmp, this.path);
    });
    this.writing = next.catch(() => undefined);
    await next;
  }
}
