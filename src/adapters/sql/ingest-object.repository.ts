import type { Kysely } from 'kysely';
import type { IngestObject, IngestObjectRepository } from '../../ports/db.port.js';
import type { Tables } from './schema.js';

/** The `ingest_objects` table (0018): its primary key (bucket, object_key, etag) is what makes a replayed event a no-op. */
export class SqlIngestObjectRepository implements IngestObjectRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async find(o: IngestObject): Promise<{ uploadId: string } | null> {
    const row = await this.db
      .selectFrom('ingest_objects')
      .select('upload_id')
      .where('bucket', '=', o.bucket)
      .where('object_key', '=', o.key)
      .where('etag', '=', o.etag)
      .executeTakeFirst();
    return row ? { uploadId: row.upload_id } : null;
  }

  async claim(o: IngestObject, r: { accountId: string; uploadId: string; at: number }): Promise<boolean> {
    const res = await this.db
      .insertInto('ingest_objects')
      .values({ bucket: o.bucket, object_key: o.key, etag: o.etag, account_id: r.accountId, upload_id: r.uploadId, created_at: r.at })
      .onConflict((oc) => oc.columns(['bucket', 'object_key', 'etag']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
  }
}
