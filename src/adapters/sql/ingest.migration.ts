import type { Kysely, Migration } from 'kysely';
import type { DialectCapabilities } from './dialect.js';

/**
 * 0018_ingest: processing that starts on upload, and bucket events (docs/lifecycle.md).
 *
 * - `uploads.process`: the `process` spec the upload was sent with (JSON), null: none;
 *   `uploads.job_id`: the job it made, written in the transaction that made the upload ready
 *   (so a completion reported twice makes one job); `uploads.process_error`: why none was
 *   made (JSON {code, message}: a quota refused it at completion).
 * - `ingest_objects`: one row per bucket object an S3 event made an upload of, keyed by
 *   (bucket, key, etag): a replayed event makes no second upload or job.
 *
 * Only nullable columns and a new table: a process of the previous version keeps working
 * beside it (its uploads have no `process`, and it does not serve the ingest route).
 */
export function ingestMigration(caps: DialectCapabilities): Migration {
  return {
    async up(outer: Kysely<any>) {
      const steps = async (db: Kysely<any>) => {
        await db.schema.alterTable('uploads').addColumn('process', 'text').execute();
        await db.schema.alterTable('uploads').addColumn('job_id', 'text').execute();
        await db.schema.alterTable('uploads').addColumn('process_error', 'text').execute();
        await db.schema
          .createTable('ingest_objects')
          .addColumn('bucket', 'text', (c) => c.notNull())
          .addColumn('object_key', 'text', (c) => c.notNull())
          .addColumn('etag', 'text', (c) => c.notNull())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('upload_id', 'text', (c) => c.notNull())
          .addColumn('created_at', caps.epochType, (c) => c.notNull())
          .addPrimaryKeyConstraint('ingest_objects_pk', ['bucket', 'object_key', 'etag'])
          .execute();
      };
      if (caps.migratesInTransaction) await steps(outer);
      else await outer.transaction().execute(steps);
    },
  };
}
