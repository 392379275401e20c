import type { Readable } from 'node:stream';
import { Upload, type DataStore } from '@tus/server';
import type { TusStore } from '../../ports/tus-store.port.js';

/** The stores that can hand a finished upload back (@tus/file-store and @tus/s3-store both can). */
export type ReadableDataStore = DataStore & { read(id: string): Readable | Promise<Readable> };

/** The TusStore port over a @tus data store: the same store @tus/server writes to. */
export class TusDataStoreAdapter implements TusStore {
  constructor(readonly datastore: ReadableDataStore) {}

  async create(id: string, size: number, metadata: Record<string, string>): Promise<void> {
    await this.datastore.create(new Upload({ id, size, offset: 0, metadata, creation_date: new Date().toISOString() }));
  }

  async read(id: string): Promise<Readable> {
    return this.datastore.read(id);
  }

  async remove(id: string): Promise<void> {
    await this.datastore.remove(id).catch((err: unknown) => {
      // Both stores answer a missing upload with tus's FILE_NOT_FOUND (a 404 object).
      if ((err as { status_code?: number }).status_code === 404) return;
      throw err;
    });
  }

  async deleteExpired(): Promise<number> {
    return this.datastore.deleteExpired();
  }
}
