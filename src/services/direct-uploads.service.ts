import type { QuotasService } from './quotas.service.js';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { uploadReadyMessage } from '../domain/outbox.js';
import type { UploadRecord } from '../domain/job.js';
import type { Principal } from '../domain/principal.js';
import { keys } from '../domain/keys.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import type { DirectUploadSigner, PresignedPart } from '../ports/direct-upload.port.js';
import { cleanFilename } from './uploads.service.js';
import { parseOrThrow } from './validation.js';
import { retentionSchema } from '../domain/retention-spec.js';
import type { RetentionService } from './retention.service.js';
import type { JobsService } from './jobs.service.js';
import type { UploadCompletion } from './upload-completion.js';
import { processSpecSchema } from '../domain/process-spec.js';

export const presignedUploadSchema = z
  .object({
    method: z.literal('presigned'),
    filename: z.string().max(1024).optional(),
    size: z.number().int().positive(),
    contentType: z.string().min(1).max(255).regex(/^[\x21-\x7e]+(?: *; *[\x21-\x7e]+)*$/, 'a MIME type such as video/mp4'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/i, '64 hexadecimal characters').optional(),
    retention: retentionSchema.optional().describe('How long the source is kept (counted from the completion) and the default for its jobs\' outputs; docs/lifecycle.md'),
    process: processSpecSchema.optional().describe('What to make of the upload: a job made when `complete` succeeds (docs/lifecycle.md)'),
  })
  .strict();

export const completeUploadSchema = z
  .object({
    parts: z
      .array(z.object({ partNumber: z.number().int().min(1).max(10_000), etag: z.string().min(1).max(200) }).strict())
      .min(1)
      .max(10_000)
      .optional(),
  })
  .strict();

export interface PresignedUploadTicket {
  upload: UploadRecord;
  /** Single PUT below the multipart threshold. */
  url?: string;
  method: 'PUT';
  headers: Record<string, string>;
  /** Multipart above the threshold: PUT each `partSizeBytes` slice to its URL, then complete with the ETags. */
  parts?: PresignedPart[];
  partSizeBytes?: number;
  expiresAt: number;
}

export interface DirectUploadsOptions {
  ttlSeconds: number;
  /** Sizes above this get multipart part URLs instead of one PUT (S3 allows single PUTs up to 5 GiB). */
  multipartThresholdBytes: number;
  partSizeBytes: number;
}

/**
 * Presigned direct uploads. The key is always `uploads/<id>/source` for an id we generate,
 * so a client can only ever write its own upload's key: the signature covers the key, and
 * changing the URL path invalidates it. The row stays `pending` until `complete` has
 * checked the stored size (and the SHA-256 when one was declared).
 */
export class DirectUploadsService {
  constructor(
    private readonly deps: {
      db: Pick<Database, 'uploads'>;
      blobs: BlobStore;
      signer: DirectUploadSigner;
      clock: Clock;
      maxUploadBytes: number;
      options: DirectUploadsOptions;
      quotas?: Pick<QuotasService, 'uploadAllowance' | 'tooLarge'>;
      retention?: Pick<RetentionService, 'forUpload'>;
      /** `process` checked as a job request (absent: `process` is refused as unknown). */
      jobs?: Pick<JobsService, 'checkProcess'>;
      /** Makes the upload ready and its `process` job in one transaction. */
      completion?: UploadCompletion;
    },
  ) {}

  async create(principal: Principal, body: unknown): Promise<PresignedUploadTicket> {
    const req = parseOrThrow(presignedUploadSchema, body, 'presigned upload request');
    const { signer, clock, options } = this.deps;
    if (req.size > this.deps.maxUploadBytes) {
      throw new DomainError('upload_too_large', `the file is larger than the limit of ${this.deps.maxUploadBytes} bytes`, { limitBytes: this.deps.maxUploadBytes });
    }
    const allowance = this.deps.quotas ? await this.deps.quotas.uploadAllowance(principal, this.deps.maxUploadBytes) : null;
    if (allowance && req.size > allowance.maxBytes) throw this.deps.quotas!.tooLarge(allowance);
    if (req.process && !(this.deps.jobs && this.deps.completion)) throw new DomainError('validation_failed', 'this server does not take `process` on uploads', { path: 'process' });
    const process = req.process && this.deps.jobs ? await this.deps.jobs.checkProcess(principal, req.process, 'process') : undefined;
    const now = clock.now();
    const id = newId('upl', now);
    const key = keys.uploadSource(principal.accountId, id);
    const expiresAt = now + options.ttlSeconds * 1000;
    const multipart = req.size > options.multipartThresholdBytes;
    const multipartId = multipart ? await signer.startMultipart(key, { contentType: req.contentType }) : null;
    const upload: UploadRecord = {
      id,
      filename: cleanFilename(req.filename),
      size: req.size,
      contentType: req.contentType,
      sha256: req.sha256?.toLowerCase() ?? '',
      key,
      createdAt: now,
      status: 'pending',
      multipartId,
      expiresAt,
      ...(process ? { process } : {}),
      // Provisional: the source's time is counted again from the completion.
      ...(this.deps.retention ? await this.deps.retention.forUpload(principal, req.retention, now) : {}),
    };
    await this.deps.db.uploads.create(principal, upload);
    const headers = { 'content-type': req.contentType };
    if (multipartId) {
      const count = Math.ceil(req.size / options.partSizeBytes);
      const parts = await signer.presignParts(key, multipartId, count, options.ttlSeconds);
      return { upload, method: 'PUT', headers: {}, parts, partSizeBytes: options.partSizeBytes, expiresAt };
    }
    const url = await signer.presignPut(key, { expiresInSeconds: options.ttlSeconds, contentType: req.contentType, contentLength: req.size });
    return { upload, url, method: 'PUT', headers, expiresAt };
  }

  /** Checks what arrived; a wrong object is deleted so the client can send it again while the URL lasts. */
  async complete(principal: Principal, id: string, body: unknown): Promise<UploadRecord> {
    const req = parseOrThrow(completeUploadSchema, body ?? {}, 'upload completion');
    const upload = await this.deps.db.uploads.get(principal, id);
    if (!upload) throw new DomainError('not_found', `no upload with id ${id}`);
    if (upload.status !== 'pending') return upload;
    if (upload.multipartId) {
      if (!req.parts) {
        throw new DomainError('validation_failed', 'this is a multipart upload: send `parts` with the partNumber and ETag of every part', { path: 'parts' });
      }
      await this.deps.signer.completeMultipart(upload.key, upload.multipartId, req.parts);
    }
    const stored = await this.deps.blobs.stat(upload.key);
    if (!stored) {
      throw new DomainError('upload_incomplete', `nothing was stored for upload ${id} yet; PUT the file to the presigned URL first`);
    }
    if (stored.size !== upload.size) {
      await this.deps.blobs.delete(upload.key);
      throw new DomainError('upload_size_mismatch', `the stored file has ${stored.size} bytes but ${upload.size} were declared; it was discarded, upload it again`, {
        declared: upload.size,
        stored: stored.size,
      });
    }
    const sha256 = upload.sha256;
    if (sha256) {
      const hash = createHash('sha256');
      for await (const chunk of await this.deps.blobs.get(upload.key)) hash.update(chunk as Buffer);
      const actual = hash.digest('hex');
      if (actual !== sha256) {
        await this.deps.blobs.delete(upload.key);
        throw new DomainError('upload_checksum_mismatch', `the stored file's SHA-256 is ${actual}, not the declared ${sha256}; it was discarded, upload it again`);
      }
    }
    const now = this.deps.clock.now();
    const kept = this.deps.retention ? await this.deps.retention.forUpload(principal, upload.retention, now) : null;
    const done = { sha256, at: now, ...(kept ? { sourceExpiresAt: kept.sourceExpiresAt } : {}) };
    const messages = [uploadReadyMessage(id, now)];
    if (!this.deps.completion) {
      await this.deps.db.uploads.markReady(principal, id, done, messages);
      return { ...upload, status: 'ready', multipartId: null, sha256, ...(kept ? { sourceExpiresAt: kept.sourceExpiresAt } : {}) };
    }
    // Two complete calls at once both get here: the guarded pending → ready UPDATE applies for one, and only its transaction makes the job.
    await this.deps.completion.complete(principal, { ...upload, ...done }, (tx) => tx.uploads.markReady(principal, id, done, messages));
    return (await this.deps.db.uploads.get(principal, id)) ?? upload;
  }
}
