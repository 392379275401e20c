import type { Logger } from 'pino';
import type { Locker } from '@tus/server';
import { TusDataStoreAdapter, type ReadableDataStore } from '../adapters/tus/tus-store.js';
import { systemClock } from '../adapters/system-clock.js';
import type { TusHttp } from '../http/tus-server.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { Database } from '../ports/db.port.js';
import { TusCapabilities } from '../services/tus-capability.js';
import { TusUploadsService } from '../services/tus-uploads.service.js';
import type { JobsService } from '../services/jobs.service.js';
import type { QuotasService } from '../services/quotas.service.js';
import type { RetentionService } from '../services/retention.service.js';
import type { UploadCompletion } from '../services/upload-completion.js';
import type { Config, DistributedConfig } from './config.js';
import { join } from 'node:path';
import { FileStore } from '@tus/file-store';
import { S3TusStore } from '../adapters/tus/s3.tus-store.js';
import { PgTusLocker } from '../adapters/postgres/pg.tus-locker.js';

/** The tus data store a composition root chose (a folder embedded, S3 distributed) and its locker. */
export interface TusBackend {
  datastore: ReadableDataStore;
  /** Absent: @tus/server's in-memory locker (right for one process only). */
  locker?: Locker;
}

/** How long a browser's upload token lasts: as long as the upload may stay unfinished, at most a day. */
const capabilityTtlSeconds = (config: Config) => Math.min(Math.ceil(config.limits.tusExpiryMs / 1000), 86_400);

/**
 * The tus service and what the HTTP layer needs of it, and the API process's sweep of the tus
 * store's expired uploads (every retention period; the rows go with the retention sweeper).
 */
export function tusHttp(
  config: Config,
  backend: TusBackend,
  deps: {
    db: Database;
    blobs: BlobStore;
    signingSecret: string;
    quotas: QuotasService;
    retention: RetentionService;
    jobs: JobsService;
    completion: UploadCompletion;
    logger: Logger;
  },
): { tus: TusHttp; stop(): void } {
  const service = new TusUploadsService({
    db: deps.db,
    blobs: deps.blobs,
    store: new TusDataStoreAdapter(backend.datastore),
    clock: systemClock,
    maxUploadBytes: config.limits.maxUploadBytes,
    expiryMs: config.limits.tusExpiryMs,
    capabilities: new TusCapabilities(deps.signingSecret, capabilityTtlSeconds(config)),
    quotas: deps.quotas,
    retention: deps.retention,
    jobs: deps.jobs,
    completion: deps.completion,
  });
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    service
      .sweepExpired()
      .then((n) => n > 0 && deps.logger.info({ removed: n }, 'expired tus uploads removed'))
      .catch((err: unknown) => deps.logger.warn({ err: (err as Error).message }, 'tus expiry sweep failed; the next one tries again'))
      .finally(() => (running = false));
  }, Math.min(config.retention.sweepMs, config.limits.tusExpiryMs));
  timer.unref();
  return { tus: { service, datastore: backend.datastore, locker: backend.locker }, stop: () => clearInterval(timer) };
}

/**
 * The tus backend of an API process in distributed mode: S3 multipart with S3 storage (the
 * upload's info object sits in the bucket too, so every API process sees the same upload), a
 * folder under the storage root otherwise; locks across processes on PostgreSQL advisory locks.
 */
export async function openTusBackend(config: Config, d: DistributedConfig): Promise<{ backend: TusBackend; close(): Promise<void> }> {
  if (d.database.kind !== 'postgres') throw new Error('distributed tus uploads need PostgreSQL');
  const locker = await PgTusLocker.connect(d.database.url);
  const datastore: ReadableDataStore =
    d.storage.kind === 's3'
      ? new S3TusStore({
          partSize: Math.max(d.storage.partSizeBytes, 5 * 1024 * 1024),
          // Expiry is told by the info object's date; S3 object tags are not needed (nor offered by every S3).
          useTags: false,
          expirationPeriodInMilliseconds: config.limits.tusExpiryMs,
          s3ClientConfig: {
            bucket: d.storage.bucket,
            region: d.storage.region,
            ...(d.storage.endpoint ? { endpoint: d.storage.endpoint } : {}),
            forcePathStyle: d.storage.forcePathStyle,
            // As the blob store's client (src/adapters/s3/s3.blob-store.ts): checksums only where S3 requires them, which every S3-compatible store takes.
            requestChecksumCalculation: 'WHEN_REQUIRED',
            responseChecksumValidation: 'WHEN_REQUIRED',
          },
        })
      : new FileStore({ directory: join(d.storage.root, '.tus'), expirationPeriodInMilliseconds: config.limits.tusExpiryMs });
  return { backend: { datastore, locker }, close: () => locker.close() };
}
