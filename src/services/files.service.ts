import { contentTypeFor } from '../domain/content-types.js';
import { DomainError } from '../domain/errors.js';
import { assertValidKey } from '../domain/keys.js';
import type { BlobStore, ByteRange } from '../ports/blob-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import { SYSTEM_PRINCIPAL } from '../domain/principal.js';
import type { DirectDownloadsService, DownloadHeaders } from './direct-downloads.service.js';
import { scopeOf, type LinkSigner } from './links.js';

export type { ByteRange, DownloadHeaders };

/**
 * HLS segments and init files never change once written: players and caches may keep them.
 * Playlists do change while a package is still encoding (EVENT, then VOD), so they revalidate.
 */
export function cacheControlFor(key: string): string {
  if (/\/\d{2}-hls\/[^/]+\/(?:seg_\d+\.(?:m4s|ts)|init(?:_\d+)?\.mp4)$/.test(key)) return 'private, max-age=31536000, immutable';
  if (key.endsWith('.m3u8')) return 'private, no-cache';
  return 'private, max-age=3600';
}

/** A stored file a download link was checked for. */
export interface OpenedFile {
  key: string;
  size: number;
  headers: DownloadHeaders;
  /** When the link was checked, and when it expires (epoch ms): a presigned URL never outlives it. */
  checkedAtMs: number;
  linkExpiresAtMs: number;
}

/**
 * Downloads through signed links (`/v1/files/<token>/<key>`): checks the link against the
 * key's scope, then hands out the bytes, or with S3 redirects (DirectDownloadsService).
 */
export class FilesService {
  constructor(
    private readonly deps: {
      blobs: Pick<BlobStore, 'stat' | 'get'>;
      signer: LinkSigner;
      clock: Clock;
      /** Present when downloads redirect to presigned GETs (S3, `MEDIAFORGE_S3_DOWNLOADS=redirect`). */
      downloads?: DirectDownloadsService;
      /** The jobs, to tell a removed file (410) from one that never was (404); absent: 404 for both. */
      db?: Pick<Database, 'jobs'>;
    },
  ) {}

  /** `not_found` for a key that is malformed, outside a job or not stored; `link_invalid` / `link_expired` for the token. */
  async open(token: string, key: string): Promise<OpenedFile> {
    try {
      assertValidKey(key);
    } catch {
      throw new DomainError('not_found', 'no such file');
    }
    const scope = scopeOf(key);
    if (!scope) throw new DomainError('not_found', 'no such file');
    const checkedAtMs = this.deps.clock.now();
    const linkExpiresAtMs = this.deps.signer.verify(token, scope, checkedAtMs);
    const stat = await this.deps.blobs.stat(key);
    if (!stat) throw await this.missing(key);
    const name = key.slice(key.lastIndexOf('/') + 1);
    const headers = { contentType: contentTypeFor(name), contentDisposition: `inline; filename="${name}"`, cacheControl: cacheControlFor(key) };
    return { key, size: stat.size, headers, checkedAtMs, linkExpiresAtMs };
  }

  /**
   * Why a file a valid link names is not stored: its output expired (`file_expired`) or its
   * job was deleted (`file_deleted`), both 410 Gone, even through a link signed before; else
   * `not_found`. The link was checked for this job's output folder, so the job is read by id.
   */
  private async missing(key: string): Promise<DomainError> {
    const m = /^(?:acc_[a-z0-9_]+\/)?jobs\/([A-Za-z0-9_-]+)\/(\d{2})-[a-z0-9]+\//.exec(key);
    const job = m && this.deps.db ? await this.deps.db.jobs.get(SYSTEM_PRINCIPAL, m[1]) : null;
    const output = job?.outputs[Number(m![2])];
    const listed = output?.files.some((f) => f.key === key) ?? false;
    if (job && listed && (job.deletedAt !== null || output!.status === 'deleted')) {
      return new DomainError('file_deleted', 'this file was deleted with its job (DELETE /v1/jobs/{id}); it cannot be downloaded any more', { jobId: job.id });
    }
    if (job && listed && output!.status === 'expired') {
      return new DomainError('file_expired', `this file expired under its job's retention (kept ${job.retention.outputsSeconds} s after the job finished) and was removed; submit the job again to make it anew`, {
        jobId: job.id,
        removedAt: job.outputsRemovedAt === null ? null : new Date(job.outputsRemovedAt).toISOString(),
      });
    }
    return new DomainError('not_found', 'no such file');
  }

  /** The presigned GET to redirect to, minted now for this key only; null when the API serves the bytes itself. */
  async redirectFor(file: OpenedFile): Promise<string | null> {
    if (!this.deps.downloads) return null;
    return this.deps.downloads.redirectFor(file.key, file.headers, { nowMs: file.checkedAtMs, linkExpiresAtMs: file.linkExpiresAtMs });
  }

  /**
   * The bytes of a file `open` found. The sweeper may remove it in between (the row says
   * `expired` first, the blob goes a moment later): then the answer says why, as `open` would.
   */
  async read(file: OpenedFile, range?: ByteRange) {
    try {
      return await this.deps.blobs.get(file.key, range);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'not_found') throw await this.missing(file.key);
      throw err;
    }
  }
}
