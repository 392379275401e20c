import { timingSafeEqual, createHash } from 'node:crypto';
import { DomainError, isDomainError } from '../domain/errors.js';
import { ingestPrincipal, isObjectCreated, objectFilename, parseS3Event, prefixFor, type S3EventRecord, type S3IngestPrefix, type S3IngestSettings } from '../domain/s3-events.js';
import type { BucketObjectReader } from '../ports/bucket-objects.port.js';
import type { Database } from '../ports/db.port.js';
import type { JobsService } from './jobs.service.js';
import type { UploadsService } from './uploads.service.js';

export type { S3IngestSettings };

export interface S3IngestResult {
  /** Records in the body. */
  received: number;
  /** Objects that became an upload and a job now. */
  created: Array<{ bucket: string; key: string; uploadId: string; jobId: string | null }>;
  /** Objects an earlier event already made an upload of (same bucket, key and ETag): nothing new. */
  duplicates: Array<{ bucket: string; key: string; uploadId: string }>;
  /** Records that are not ObjectCreated, or outside every configured prefix. */
  ignored: number;
  /** Objects that could not be read or stored (the sender may deliver again: nothing was kept). */
  failed: Array<{ bucket: string; key: string; code: string; message: string }>;
}

/**
 * Bucket events (docs/lifecycle.md): each ObjectCreated record under a configured prefix is
 * copied from the bucket into an upload of the prefix's account, with `process: { preset }`,
 * through the same completion as every upload (src/services/upload-completion.ts). The
 * (bucket, key, ETag) row is claimed in the transaction that inserts the upload, so a
 * replayed body, or two deliveries at once, make one upload and one job.
 */
export class S3IngestService {
  private readonly secretHash: Buffer;

  constructor(
    private readonly deps: {
      db: Pick<Database, 'ingest'>;
      uploads: Pick<UploadsService, 'receive' | 'commitOnce'>;
      jobs: Pick<JobsService, 'checkProcess'>;
      objects: BucketObjectReader;
      settings: S3IngestSettings;
      clock: { now(): number };
    },
  ) {
    this.secretHash = createHash('sha256').update(deps.settings.secret).digest();
  }

  /** The Authorization header's bearer token against the shared secret, in constant time (hashes of equal length). */
  authenticate(authorization: string | undefined): void {
    const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new DomainError('ingest_unauthorized', 'send the shared secret (MEDIAFORGE_INGEST_S3_SECRET) as `Authorization: Bearer <secret>`');
    if (!timingSafeEqual(createHash('sha256').update(token).digest(), this.secretHash)) {
      throw new DomainError('ingest_unauthorized', 'the bearer token is not the configured MEDIAFORGE_INGEST_S3_SECRET');
    }
  }

  async handle(body: unknown): Promise<S3IngestResult> {
    let records: S3EventRecord[];
    try {
      records = parseS3Event(body);
    } catch (err) {
      throw new DomainError('validation_failed', `invalid S3 event notification: ${(err as Error).message}`);
    }
    const result: S3IngestResult = { received: records.length, created: [], duplicates: [], ignored: 0, failed: [] };
    for (const record of records) {
      const prefix = isObjectCreated(record) ? prefixFor(this.deps.settings.prefixes, record.bucket, record.key) : null;
      if (!prefix) {
        result.ignored++;
        continue;
      }
      try {
        await this.ingest(record, prefix, result);
      } catch (err) {
        if (!isDomainError(err)) throw err;
        result.failed.push({ bucket: record.bucket, key: record.key, code: err.code, message: err.message });
      }
    }
    return result;
  }

  private async ingest(record: S3EventRecord, prefix: S3IngestPrefix, result: S3IngestResult): Promise<void> {
    const object = { bucket: record.bucket, key: record.key, etag: record.etag };
    const earlier = await this.deps.db.ingest.find(object);
    if (earlier) {
      result.duplicates.push({ bucket: record.bucket, key: record.key, uploadId: earlier.uploadId });
      return;
    }
    const principal = ingestPrincipal(prefix.accountId);
    const process = await this.deps.jobs.checkProcess(principal, { preset: prefix.preset }, `preset of ${prefix.bucket}/${prefix.prefix}`);
    const file = await this.deps.uploads.receive(principal, await this.deps.objects.open(record.bucket, record.key));
    const at = this.deps.clock.now();
    const upload = await this.deps.uploads.commitOnce(principal, file, { filename: objectFilename(record.key), process }, (tx) =>
      tx.ingest.claim(object, { accountId: prefix.accountId, uploadId: file.id, at }),
    );
    if (!upload) {
      // Another delivery of the same event claimed it between the look-up and this commit.
      const winner = await this.deps.db.ingest.find(object);
      result.duplicates.push({ bucket: record.bucket, key: record.key, uploadId: winner?.uploadId ?? '' });
      return;
    }
    result.created.push({ bucket: record.bucket, key: record.key, uploadId: upload.id, jobId: upload.jobId ?? null });
  }
}
