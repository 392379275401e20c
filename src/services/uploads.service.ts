import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { DomainError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { UploadRecord } from '../domain/job.js';
import { keys } from '../domain/keys.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';

/** A display name only: never used in a key or a path. */
export function cleanFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\x00-\x1f\x7f]/g, '').trim().slice(0, 255);
  return clean || 'upload';
}

export class UploadsService {
  constructor(private readonly deps: { db: Pick<Database, 'uploads'>; blobs: BlobStore; clock: Clock; maxUploadBytes: number }) {}

  /** Streams the body to storage, hashing as it goes; nothing is held whole in memory. */
  async create(body: Readable, meta: { filename?: string; contentType?: string }): Promise<UploadRecord> {
    const id = newId('upl', this.deps.clock.now());
    const key = keys.uploadSource(id);
    const hash = createHash('sha256');
    const hasher = new Transform({
      transform(chunk, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    body.on('error', (err) => hasher.destroy(err));
    let size: number;
    try {
      ({ size } = await this.deps.blobs.put(key, body.pipe(hasher), { maxBytes: this.deps.maxUploadBytes }));
    } catch (err) {
      await this.deps.blobs.delete(key).catch(() => undefined);
      throw err;
    }
    if (size === 0) {
      await this.deps.blobs.delete(key);
      throw new DomainError('upload_empty', 'the uploaded file is empty (0 bytes)');
    }
    const upload: UploadRecord = {
      id,
      filename: cleanFilename(meta.filename),
      size,
      contentType: (meta.contentType ?? 'application/octet-stream').slice(0, 255),
      sha256: hash.digest('hex'),
      key,
      createdAt: this.deps.clock.now(),
    };
    await this.deps.db.uploads.create(upload);
    return upload;
  }

  async get(id: string): Promise<UploadRecord> {
    const upload = await this.deps.db.uploads.get(id);
    if (!upload) throw new DomainError('not_found', `no upload with id ${id}`);
    return upload;
  }
}
