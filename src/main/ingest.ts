import { ingestPrincipal, type S3IngestSettings } from '../domain/s3-events.js';
import type { BucketObjectReader } from '../ports/bucket-objects.port.js';
import type { Database } from '../ports/db.port.js';
import type { JobsService } from '../services/jobs.service.js';
import type { PresetsService } from '../services/presets.service.js';
import { S3IngestService } from '../services/s3-ingest.service.js';
import type { UploadsService } from '../services/uploads.service.js';
import { StartupError } from './startup-error.js';

/** Bucket events need S3 storage, and every prefix an account and a preset that exist: checked at start, named. */
export async function s3IngestService(
  settings: S3IngestSettings,
  b: { bucketObjects?: BucketObjectReader },
  d: { db: Database; uploads: UploadsService; jobs: JobsService; presets: PresetsService; clock: { now(): number } },
): Promise<S3IngestService> {
  if (!b.bucketObjects) throw new StartupError('MEDIAFORGE_INGEST_S3_PREFIXES needs S3 storage (MEDIAFORGE_STORAGE=s3): the objects are read from the bucket with its credentials');
  for (const p of settings.prefixes) {
    if (!(await d.db.accounts.get(p.accountId))) throw new StartupError(`MEDIAFORGE_INGEST_S3_PREFIXES: ${p.bucket}/${p.prefix} names account ${p.accountId}, which does not exist (GET /v1/accounts)`);
    try {
      await d.presets.outputsFor(ingestPrincipal(p.accountId), p.preset);
    } catch (err) {
      throw new StartupError(`MEDIAFORGE_INGEST_S3_PREFIXES: ${p.bucket}/${p.prefix}: ${(err as Error).message} in account ${p.accountId}`);
    }
  }
  return new S3IngestService({ db: d.db, uploads: d.uploads, jobs: d.jobs, objects: b.bucketObjects, settings, clock: d.clock });
}

