import type { Kysely } from 'kysely';
import type { UploadRecord } from '../../domain/job.js';
import type { ApiKeyRecord, ApiKeyRepository, UploadRepository } from '../../ports/db.port.js';
import type { Tables } from './schema.js';
import { toUpload } from './rows.js';

export class SqlUploadRepository implements UploadRepository {
  constructor(private readonly db: Kysely<Tables>) {}
  async create(u: UploadRecord): Promise<void> {
    await this.db
      .insertInto('uploads')
      .values({
        id: u.id,
        filename: u.filename,
        size: u.size,
        content_type: u.contentType,
        sha256: u.sha256,
        storage_key: u.key,
        created_at: u.createdAt,
        status: u.status ?? 'ready',
        multipart_id: u.multipartId ?? null,
        expires_at: u.expiresAt ?? null,
      })
      .execute();
  }
  async markReady(id: string, done: { sha256: string }): Promise<boolean> {
    const res = await this.db
      .updateTable('uploads')
      .set({ status: 'ready', sha256: done.sha256, multipart_id: null })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }
  async get(id: string): Promise<UploadRecord | null> {
    const row = await this.db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toUpload(row) : null;
  }
}

export class SqlApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly db: Kysely<Tables>) {}
  async create(k: ApiKeyRecord): Promise<void> {
    await this.db.insertInto('api_keys').values({ id: k.id, name: k.name, hash: k.hash, created_at: k.createdAt }).execute();
  }
  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row ? { id: row.id, name: row.name, hash: row.hash, createdAt: Number(row.created_at) } : null;
  }
  async count(): Promise<number> {
    const row = await this.db.selectFrom('api_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
