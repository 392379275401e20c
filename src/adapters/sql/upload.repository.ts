import type { Kysely } from 'kysely';
import type { UploadRecord } from '../../domain/job.js';
import { creatorOf, ownerOf, readableOwner, type Principal } from '../../domain/principal.js';
import type { UploadRepository } from '../../ports/db.port.js';
import type { Tables } from './schema.js';
import { toUpload } from './rows.js';
import type { OutboxMessage } from '../../domain/outbox.js';
import type { ProcessError } from '../../domain/process-spec.js';
import { applyWithMessages, atomically } from './job-writes.js';
import { insertOutbox, WEBHOOK_ROWS_ONLY, type OutboxWriteOptions } from './outbox.repository.js';

export class SqlUploadRepository implements UploadRepository {
  constructor(private readonly db: Kysely<Tables>, private readonly writes: OutboxWriteOptions = WEBHOOK_ROWS_ONLY) {}
  async create(principal: Principal, u: UploadRecord, messages: OutboxMessage[] = []): Promise<void> {
    await atomically(this.db, async (db) => {
      await this.insert(db, principal, u);
      await insertOutbox(db, messages, u.createdAt, this.writes);
    });
  }
  private async insert(db: Kysely<Tables>, principal: Principal, u: UploadRecord): Promise<void> {
    await db
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
        process: u.process ? JSON.stringify(u.process) : null,
        job_id: null,
        process_error: null,
      })
      .execute();
  }
  async markReady(principal: Principal, id: string, done: { sha256: string; at?: number; sourceExpiresAt?: number | null }, messages: OutboxMessage[] = []): Promise<boolean> {
    return applyWithMessages(this.db, messages, done.at ?? 0, async (db) => {
      let q = db
        .updateTable('uploads')
        .set({ status: 'ready', sha256: done.sha256, multipart_id: null, ...(done.sourceExpiresAt !== undefined ? { source_expires_at: done.sourceExpiresAt } : {}) })
        .where('id', '=', id)
        .where('status', '=', 'pending');
      const owner = readableOwner(principal);
      if (owner !== null) q = q.where('account_id', '=', owner);
      return (await q.executeTakeFirst()).numUpdatedRows;
    }, this.writes);
  }
  async setProcessOutcome(principal: Principal, id: string, outcome: { jobId: string } | { processError: ProcessError }): Promise<void> {
    let q = this.db
      .updateTable('uploads')
      .set('jobId' in outcome ? { job_id: outcome.jobId, process_error: null } : { process_error: JSON.stringify(outcome.processError) })
      .where('id', '=', id);
    const owner = readableOwner(principal);
    if (owner !== null) q = q.where('account_id', '=', owner);
    await q.execute();
  }
  async get(principal: Principal, id: string): Promise<UploadRecord | null> {
    let q = this.db.selectFrom('uploads').selectAll().where('id', '=', id);
    const owner = readableOwner(principal);
    if (owner !== null) q = q.where('account_id', '=', owner);
    const row = await q.executeTakeFirst();
    return row ? toUpload(row) : null;
  }
  async getInput(id: string): Promise<{ upload: UploadRecord; storedProbe: unknown } | null> {
    const row = await this.db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? { upload: toUpload(row), storedProbe: parseProbe(row.probe) } : null;
  }
  async saveProbe(id: string, probe: unknown): Promise<void> {
    await this.db.updateTable('uploads').set({ probe: JSON.stringify(probe) }).where('id', '=', id).execute();
  }
}

/** A stored probe, or null when there is none or it cannot be read (then the input is probed again). */
function parseProbe(text: string | null | undefined): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
