import type { BlobStore, DownloadUrlSigner } from '../ports/blob-store.port.js';
import type { BucketObjectReader } from '../ports/bucket-objects.port.js';
import type { Database } from '../ports/db.port.js';
import type { DirectUploadSigner } from '../ports/direct-upload.port.js';
import type { EventPublisher } from '../ports/event-publisher.port.js';
import type { EventBus } from '../ports/events.port.js';
import type { JobQueue } from '../ports/queue.port.js';
import type { TusBackend } from './tus.js';

/** The adapters a composition root chose (embedded.ts, distributed.ts), which compose.ts and compose.worker.ts build on. */
export interface Backends {
  db: Database;
  queue: JobQueue;
  blobs: BlobStore;
  events: EventBus;
  /** A worker process's publisher of every event on the broker (docs/notifications.md#events-on-the-broker); absent: none. */
  eventPublisher?: EventPublisher;
  /** Present when the blob store can sign URLs (S3): enables presigned direct uploads and downloads. */
  signer?: DirectUploadSigner & DownloadUrlSigner;
  /** Present with S3 storage: reads the objects bucket events name (POST /v1/ingest/s3-events). */
  bucketObjects?: BucketObjectReader;
  /** The tus data store (and its locker across processes): resumable uploads at /v1/uploads/tus; absent: none. */
  tus?: TusBackend;
  /** One line per backend for the health endpoint and `doctor`. */
  describe: Record<string, string>;
  /** Closes the adapters (queue, events, blobs, database), in that order. */
  close(): Promise<void>;
}
