import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { z } from 'zod';
import { DomainError, isDomainError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { uploadReadyMessage } from '../domain/outbox.js';
import type { UploadRecord } from '../domain/job.js';
import type { Principal } from '../domain/principal.js';
import { keys } from '../domain/keys.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import type { TusStore } from '../ports/tus-store.port.js';
import { processSpecSchema, type ProcessSpec } from '../domain/process-spec.js';
import { retentionSchema } from '../domain/retention-spec.js';
import type { Retention } from '../domain/retention.js';
import { cleanFilename } from './uploads.service.js';
import { parseOrThrow } from './validation.js';
import type { QuotasService } from './quotas.service.js';
import type { RetentionService } from './retention.service.js';
import type { JobsService } from './jobs.service.js';
import type { UploadCompletion } from './upload-completion.js';
import type { TusCapabilities } from './tus-capability.js';

/** `POST /v1/uploads {"method": "tus", …}`: a tus upload made ahead of a browser that will send it. */
export const tusUploadSchema = z
  .object({
    method: z.literal('tus'),
    filename: z.string().max(1024).optional(),
    size: z.number().int().positive(),
    contentType: z.string().min(1).max(255).regex(/^[\x21-\x7e]+(?: *; *[\x21-\x7e]+)*$/, 'a MIME type such as video/mp4').optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/i, '64 hexadecimal characters').optional(),
    retention: retentionSchema.optional(),
    process: processSpecSchema.optional(),
  })
  .strict();

/** What a tus creation carries besides its length (from Upload-Metadata or the JSON above). */
export interface TusUploadMeta {
  filename?: string;
  contentType?: string;
  sha256?: string;
  retention?: Retention;
  process?: ProcessSpec;
}

export interface TusTicket {
  upload: UploadRecord;
  /** Path of the upload (`/v1/uploads/tus/upl_…`) with its capability token. */
  path: string;
  token: string;
  expiresAt: number;
}

/**
 * Resumable uploads over tus (docs/tus.md). The upload row is written `pending` when the tus
 * upload is created, under the same `upl_…` id the tus URL ends with, so `GET /v1/uploads/{id}`
 * shows it while it arrives (and jobs refuse it, as a presigned upload before `complete`).
 * When the last byte lands, the bytes are read once from the tus store into the blob store
 * (hashed on the way), and the row becomes ready through UploadCompletion, like every other
 * way in. A pending row carries its expiry as its source's expiry, so the retention sweeper
 * removes an abandoned one; the tus store's own leftovers go with `sweepExpired`.
 */
export class TusUploadsService {
  constructor(
    private readonly deps: {
      db: Pick<Database, 'uploads'>;
      blobs: BlobStore;
      store: TusStore;
      clock: Clock;
      maxUploadBytes: number;
      /** An unfinished upload is removed this long after its creation. */
      expiryMs: number;
      capabilities: TusCapabilities;
      quotas?: Pick<QuotasService, 'uploadAllowance' | 'tooLarge'>;
      retention?: Pick<RetentionService, 'forUpload'>;
      jobs?: Pick<JobsService, 'checkProcess'>;
      completion?: UploadCompletion;
    },
  ) {}

  newId(): string {
    return newId('upl', this.deps.clock.now());
  }

  /** Refuses (413 upload_too_large, or the storage quota) a length this account may not upload; answers its limit. */
  async allow(principal: Principal, size: number): Promise<number> {
    if (size > this.deps.maxUploadBytes) {
      throw new DomainError('upload_too_large', `the file is larger than the limit of ${this.deps.maxUploadBytes} bytes`, { limitBytes: this.deps.maxUploadBytes });
    }
    const allowance = this.deps.quotas ? await this.deps.quotas.uploadAllowance(principal, this.deps.maxUploadBytes) : null;
    if (allowance && size > allowance.maxBytes) throw this.deps.quotas!.tooLarge(allowance);
    return allowance?.maxBytes ?? this.deps.maxUploadBytes;
  }

  /** Checks what came with a creation (before anything is stored); `process` as a job request. */
  async checkMeta(principal: Principal, meta: TusUploadMeta): Promise<TusUploadMeta> {
    if (meta.sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(meta.sha256)) {
      throw new DomainError('validation_failed', 'the sha256 metadata must be 64 hexadecimal characters', { path: 'sha256' });
    }
    if (!meta.process) return meta;
    if (!(this.deps.jobs && this.deps.completion)) throw new DomainError('validation_failed', 'this server does not take `process` on uploads', { path: 'process' });
    return { ...meta, process: await this.deps.jobs.checkProcess(principal, meta.process, 'process') };
  }

  /** The pending row of a tus upload being created under `id`. */
  async begin(principal: Principal, id: string, size: number, meta: TusUploadMeta): Promise<UploadRecord> {
    const now = this.deps.clock.now();
    const expiresAt = now + this.deps.expiryMs;
    const upload: UploadRecord = {
      id,
      filename: cleanFilename(meta.filename),
      size,
      contentType: (meta.contentType ?? 'application/octet-stream').slice(0, 255),
      sha256: meta.sha256?.toLowerCase() ?? '',
      key: keys.uploadSource(principal.accountId, id),
      createdAt: now,
      status: 'pending',
      multipartId: null,
      expiresAt,
      ...(meta.process ? { process: meta.process } : {}),
      ...(this.deps.retention ? await this.deps.retention.forUpload(principal, meta.retention, now) : {}),
      // Unfinished at its expiry, the retention sweeper removes the row; finished, the retention decides again.
      sourceExpiresAt: expiresAt,
    };
    await this.deps.db.uploads.create(principal, upload);
    return upload;
  }

  /**
   * A browser-side upload (the Mux direct-upload pattern): the row, the empty tus upload and a
   * token for that one upload, so a front end can send it with no account key.
   */
  async createDirect(principal: Principal, body: unknown): Promise<TusTicket> {
    const req = parseOrThrow(tusUploadSchema, body, 'tus upload request');
    await this.allow(principal, req.size);
    const meta = await this.checkMeta(principal, { filename: req.filename, contentType: req.contentType, sha256: req.sha256, retention: req.retention, process: req.process });
    const id = this.newId();
    const upload = await this.begin(principal, id, req.size, meta);
    await this.deps.store.create(id, req.size, { filename: upload.filename, filetype: upload.contentType });
    const { token, expiresAt } = this.deps.capabilities.issue(id, principal.accountId, this.deps.clock.now());
    return { upload, token, expiresAt, path: `/v1/uploads/tus/${id}?token=${encodeURIComponent(token)}` };
  }

  /** The caller a capability token stands for: its upload's account, allowed to send that upload only. */
  async principalFor(id: string, token: string): Promise<Principal> {
    const accountId = this.deps.capabilities.verify(id, token, this.deps.clock.now());
    return { accountId, keyId: 'tus_capability', keyName: `upload token for ${id}`, scopes: ['uploads:write'], sees: 'account' };
  }

  /**
   * The row of a tus upload the caller may touch: 404 when it is another account's (or none),
   * 410 when it expired or was deleted.
   */
  async access(principal: Principal, id: string): Promise<UploadRecord> {
    const upload = await this.deps.db.uploads.get(principal, id);
    if (!upload) throw new DomainError('not_found', `no tus upload with id ${id}`);
    if (upload.status === 'expired') throw new DomainError('upload_expired', `tus upload ${id} was not finished in time and was removed; start a new upload`);
    if (upload.status === 'deleted') throw new DomainError('upload_deleted', `tus upload ${id} was deleted; start a new upload`);
    return upload;
  }

  /**
   * The last byte arrived: the bytes go to the blob store under the upload's key (hashed on
   * the way, the declared SHA-256 checked), then the row becomes ready and its job is made.
   * A second call for a ready upload changes nothing.
   */
  async finish(principal: Principal, id: string): Promise<UploadRecord> {
    const upload = await this.access(principal, id);
    if (upload.status !== 'pending') return upload;
    const hash = createHash('sha256');
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    const source = await this.deps.store.read(id);
    source.once('error', (err) => hasher.destroy(err));
    source.pipe(hasher);
    let size: number;
    try {
      ({ size } = await this.deps.blobs.put(upload.key, hasher, { maxBytes: upload.size }));
    } catch (err) {
      await this.deps.blobs.delete(upload.key).catch(() => undefined);
      if (isDomainError(err)) throw err;
      throw new DomainError('storage_failed', `the finished tus upload ${id} could not be stored (${(err as Error).message}); send the last chunk again`);
    }
    const sha256 = hash.digest('hex');
    if (size !== upload.size) {
      await this.deps.blobs.delete(upload.key);
      throw new DomainError('upload_size_mismatch', `the tus upload has ${size} bytes but ${upload.size} were declared`, { declared: upload.size, stored: size });
    }
    if (upload.sha256 && upload.sha256 !== sha256) {
      await this.deps.blobs.delete(upload.key);
      await this.deps.store.remove(id);
      throw new DomainError('upload_checksum_mismatch', `the uploaded file's SHA-256 is ${sha256}, not the declared ${upload.sha256}; it was discarded, start a new upload`);
    }
    const now = this.deps.clock.now();
    const kept = this.deps.retention ? await this.deps.retention.forUpload(principal, upload.retention, now) : null;
    const done = { sha256, at: now, sourceExpiresAt: kept?.sourceExpiresAt ?? null };
    const messages = [uploadReadyMessage(id, now)];
    if (this.deps.completion) {
      await this.deps.completion.complete(principal, { ...upload, sha256 }, (tx) => tx.uploads.markReady(principal, id, done, messages));
    } else {
      await this.deps.db.uploads.markReady(principal, id, done, messages);
    }
    return (await this.deps.db.uploads.get(principal, id)) ?? upload;
  }

  /** The tus store's copy of a finished upload (its bytes are in the blob store now). */
  async release(id: string): Promise<void> {
    await this.deps.store.remove(id);
  }

  /** Unfinished tus uploads past their expiry, removed from the tus store (their rows go with the retention sweeper). */
  async sweepExpired(): Promise<number> {
    return this.deps.store.deleteExpired();
  }
}
