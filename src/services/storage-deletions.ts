import type { BlobStore } from '../ports/blob-store.port.js';
import type { Database } from '../ports/db.port.js';
import type { PendingDeletion } from '../ports/lifecycle.port.js';

/**
 * Deletes keys a removal committed (`storage_deletions`, src/ports/lifecycle.port.ts) from
 * storage in one `deleteMany` (S3: DeleteObjects, 1000 a request) and marks them done; when
 * storage refuses, they are kept with the error and tried again from `retryAt` by the sweeper.
 * Deleting a key twice is harmless, so a crash between the delete and the mark costs nothing.
 */
export async function deleteStored(
  deps: { db: Pick<Database, 'retention'>; blobs: Pick<BlobStore, 'deleteMany'> },
  deletions: readonly PendingDeletion[],
  retryAt: number,
): Promise<{ deleted: number; error: Error | null }> {
  if (deletions.length === 0) return { deleted: 0, error: null };
  const ids = deletions.map((d) => d.id);
  try {
    await deps.blobs.deleteMany(deletions.map((d) => d.key));
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    await deps.db.retention.deletionsFailed(ids, error.message, retryAt);
    return { deleted: 0, error };
  }
  await deps.db.retention.deletionsDone(ids);
  return { deleted: deletions.length, error: null };
}
