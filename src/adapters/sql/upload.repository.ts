import type { Kysely } from 'kysely';
import type { UploadRecord } from '../../domain/job.js';
import { creatorOf, ownerOf, readableOwner, type Principal } from '../../domain/principal.js';
import type { UploadRepository } from '../../ports/db.port.js';
import type { Tables } from './schema.js';
import { toUpload } from './rows.js';

export class SqlUploadRepository implements UploadRepository {
  constructor(private readonly db: Kysely<Tables>) {}
  async create(principal: Principal, u: UploadRecord): Promise<void> {
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
        owner_key_id: creatorOf(principal),
        account_id: ownerOf(principal),
        retention: JSON.stringify(u.retention ?? {}),
        source_expires_at: u.sourceExpiresAt ?? null,
        removed_at: null,
      })
      .execute();
  }
  async markReady(principal: Principal, id: string, done: { sha256: string; sourceExpiresAt?: number | null }): Promise<boolean> {
    let q = this.db
      .updateTable('uploads')
      .set({ status: 'ready', sha256: done.sha256, multipart_id: null, ...(done.sourceExpiresAt !== undefined ? { source_expires_at: done.sourceExpiresAt } : {}) })
      .where('id', '=', id)
      .where('status', '=', 'pending');
    const owner = readableOwner(principal);
    if (owner !== null) q = q.where('account_id', '=', owner);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }
  async get(principal: Principal, id: string): Promise<UploadRecord | null> {
    let q = this.db.selectFrom('uploads').selectAll().where('id', '=', id);
    const owner = readableOwner(principal);
    if (owner !== null) q = q.where('account_id', '=', owner);
    const row = await q.executeTakeFirst();
    return row ? toUpload(row) : null;
  }
  async storedProbe(id: string): Promise<unknown> {
    const row = await this.db.selectFrom('uploads').select('probe').where('id', '=', id).executeTakeFirst();
    if (!row?.probe) return null;
    try {
      return JSON.parse(row.probe) as unknown;
    } catch {
      return null; // unreadable: probed again
    }
  }
  async saveProbe(id: string, probe: unknown): Promise<void> {
    await this.db.updateTable('uploads').set({ probe: JSON.stringify(probe) }).where('id', '=', id).execute();
  }
}
