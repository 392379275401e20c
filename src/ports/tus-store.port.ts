import type { Readable } from 'node:stream';

/**
 * Where a tus upload's bytes wait while they arrive (docs/tus.md): the tus data store (a
 * folder under the data dir, or S3 multipart). The HTTP layer hands the protocol to
 * @tus/server over the same store; the service only creates an upload ahead of the client
 * (direct uploads), reads a finished one once to move it into the blob store, and removes it.
 */
export interface TusStore {
  /** A new empty upload of `size` bytes under `id` (the `upl_…` id). */
  create(id: string, size: number, metadata: Record<string, string>): Promise<void>;
  /** The bytes of a finished upload. */
  read(id: string): Promise<Readable>;
  /** Its bytes and bookkeeping; no error when it is already gone. */
  remove(id: string): Promise<void>;
  /** Unfinished uploads past their expiry, removed; how many. */
  deleteExpired(): Promise<number>;
}
