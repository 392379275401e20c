import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { DomainError, isDomainError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { uploadReadyMessage } from '../domain/outbox.js';
import type { UploadRecord } from '../domain/job.js';
import type { Principal } from '../domain/principal.js';
import { keys } from '../domain/keys.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database, UnitOfWork } from '../ports/db.port.js';
import type { QuotasService } from './quotas.service.js';
import type { RetentionService } from './retention.service.js';
import type { Retention } from '../domain/retention.js';
import type { ProcessSpec } from '../domain/process-spec.js';
import type { UploadCompletion } from './upload-completion.js';

/** A display name only: never used in a key or a path. */
export function cleanFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  const clean = base.replace(/[\x00-\x1f\x7f]/g, '').trim().slice(0, 255);
  return clean || 'upload';
}

/** What comes with an upload's bytes (the filename and type are for display; `retention`: docs/lifecycle.md). */
export interface UploadMeta {
  filename?: string;
  contentType?: string;
  retention?: Retention;
  /** What to make of it once stored (checked by JobsService.checkProcess before the body is read). */
  process?: ProcessSpec;
}

/** Bytes stored under a new upload id, not yet recorded: commit or discard it. */
export interface ReceivedFile {
  id: string;
  key: string;
  size: number;
  sha256: string;
}

export class UploadsService {
  constructor(
    private readonly deps: {
      db: Pick<Database, 'uploads'>;
      blobs: BlobStore;
      clock: Clock;
      maxUploadBytes: number;
      /** The account's upload-size and storage quotas; absent: the server limit only. */
      quotas?: Pick<QuotasService, 'uploadAllowance' | 'tooLarge'>;
      /** When the source is removed (account and configured defaults); absent: kept until deleted. */
      retention?: Pick<RetentionService, 'forUpload'>;
      /** Makes the upload ready and its `process` job in one transaction; absent: `process` is not taken. */
      completion?: UploadCompletion;
    },
  ) {}

  /** Stores and records one body, owned by `principal`: `receive` then `commit`. */
  async create(principal: Principal, body: Readable, meta: UploadMeta, opts: { signal?: AbortSignal } = {}): Promise<UploadRecord> {
    return this.commit(principal, await this.receive(principal, body, opts), meta);
  }

  /**
   * Streams the body to storage, hashing as it goes; nothing is held whole in memory. Any
   * failure (the body breaks, the client leaves, the signal aborts, the limit is passed)
   * removes what was written and rejects with the first cause. The bytes go under the
   * principal's account prefix and a fresh id, which no one can name until `commit` records them.
   */
  async receive(principal: Principal, body: Readable, opts: { signal?: AbortSignal } = {}): Promise<ReceivedFile> {
    const allowance = this.deps.quotas ? await this.deps.quotas.uploadAllowance(principal, this.deps.maxUploadBytes) : null;
    const id = newId('upl', this.deps.clock.now());
    const key = keys.uploadSource(principal.accountId, id);
    const hash = createHash('sha256');
    const hasher = new Transform({
      transform(chunk, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    // Error listeners on both ends at once: a body can fail before the store starts reading
    // (multipart parsers do), and that must be this upload's error, never an unhandled one.
    // `pipe`, not `pipeline`: a refused upload must not destroy the request, so that the
    // client still gets its answer (413, 408 …) before the connection closes.
    let bodyError: unknown = null;
    body.once('error', (err) => {
      bodyError ??= err;
      hasher.destroy(err);
    });
    hasher.on('error', (err) => (bodyError ??= err));
    body.pipe(hasher);
    let size: number;
    try {
      ({ size } = await this.deps.blobs.put(key, hasher, { maxBytes: allowance?.maxBytes ?? this.deps.maxUploadBytes, signal: opts.signal }));
    } catch (err) {
      await this.deps.blobs.delete(key).catch(() => undefined);
      if (allowance && isDomainError(err) && err.code === 'upload_too_large') throw this.deps.quotas!.tooLarge(allowance);
      if (isDomainError(err)) throw err;
      if (opts.signal?.aborted) throw opts.signal.reason;
      throw bodyError ?? err;
    }
    if (size === 0) {
      await this.deps.blobs.delete(key);
      throw new DomainError('upload_empty', 'the uploaded file is empty (0 bytes)');
    }
    return { id, key, size, sha256: hash.digest('hex') };
  }

  async commit(principal: Principal, file: ReceivedFile, meta: UploadMeta): Promise<UploadRecord> {
    return (await this.record(principal, file, meta))!;
  }

  /**
   * `commit`, only if `claim` (run in the same transaction, before the row is inserted)
   * says this upload is the first of its kind (a bucket object's, docs/lifecycle.md); null and the
   * bytes removed when it is not.
   */
  async commitOnce(principal: Principal, file: ReceivedFile, meta: UploadMeta, claim: (tx: UnitOfWork) => Promise<boolean>): Promise<UploadRecord | null> {
    const upload = await this.record(principal, file, meta, claim);
    if (!upload) await this.discard(file);
    return upload;
  }

  private async record(principal: Principal, file: ReceivedFile, meta: UploadMeta, claim?: (tx: UnitOfWork) => Promise<boolean>): Promise<UploadRecord | null> {
    const now = this.deps.clock.now();
    const upload: UploadRecord = {
      id: file.id,
      filename: cleanFilename(meta.filename),
      size: file.size,
      contentType: (meta.contentType ?? 'application/octet-stream').slice(0, 255),
      sha256: file.sha256,
      key: file.key,
      createdAt: now,
      ...(this.deps.retention ? await this.deps.retention.forUpload(principal, meta.retention, now) : {}),
    };
    if (meta.process) upload.process = meta.process;
    // Stored and recorded: its upload.ready event goes with the row, in one transaction (and its job, when it asks for one).
    const messages = [uploadReadyMessage(upload.id, upload.createdAt)];
    if (!this.deps.completion) {
      if (claim) throw new Error('UploadsService.commitOnce needs the completion dependency');
      await this.deps.db.uploads.create(principal, upload, messages);
      return upload;
    }
    // Nothing committed (the job could not be written, the database went away): the stored bytes belong to no row, so they go.
    const applied = await this.deps.completion
      .complete(principal, upload, async (tx) => {
        if (claim && !(await claim(tx))) return false;
        await tx.uploads.create(principal, upload, messages);
        return true;
      })
      .catch(async (err: unknown) => {
        await this.discard(file).catch(() => undefined);
        throw err;
      });
    if (!applied) return null;
    return (await this.deps.db.uploads.get(principal, upload.id)) ?? upload;
  }

  async discard(file: ReceivedFile): Promise<void> {
    await this.deps.blobs.delete(file.key);
  }

  async get(principal: Principal, id: string): Promise<UploadRecord> {
    const upload = await this.deps.db.uploads.get(principal, id);
    if (!upload) throw new DomainError('not_found', `no upload with id ${id}`);
    return upload;
  }
}
