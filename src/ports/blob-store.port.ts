import type { Readable } from 'node:stream';

/**
 * Storage speaks keys (`jobs/<id>/00-frames/frames.zip`), never paths, so that the local
 * folder and S3 are interchangeable. `withLocalFile` is the one door to a filesystem path
 * (ffmpeg needs one); it always cleans up what it made.
 */
export interface BlobStat {
  size: number;
}

export interface ByteRange {
  start: number;
  /** Inclusive, as in HTTP. */
  end: number;
}

export interface PutOptions {
  /** Abort the write with `upload_too_large` once more than this many bytes arrived. */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface BlobStore {
  put(key: string, body: Readable, opts?: PutOptions): Promise<{ size: number }>;
  putFile(key: string, localPath: string): Promise<{ size: number }>;
  get(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<BlobStat | null>;
  delete(key: string): Promise<void>;
  /**
   * Deletes every key (a key not stored is no error), in as few requests as the storage
   * allows (S3: DeleteObjects, 1000 keys each). Rejects when any could not be deleted; then
   * some may be gone and some not, and calling again with the same keys finishes the job.
   */
  deleteMany(keys: readonly string[]): Promise<void>;
  deletePrefix(prefix: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  withLocalFile<T>(key: string, fn: (path: string) => Promise<T>): Promise<T>;
}

export interface PresignGetOptions {
  expiresInSeconds: number;
  /** When the signature starts (default: now). The same key, headers and moment give the same URL, so caches can reuse it. */
  signedAt?: Date;
  /** Response headers the storage sends instead of the stored object's own (`response-content-type`, …). */
  contentType?: string;
  contentDisposition?: string;
  cacheControl?: string;
}

/**
 * Storage that can hand out short-lived signed GET URLs (S3 and compatibles), so clients
 * fetch bytes straight from the bucket instead of through an API process. Local storage
 * does not offer it; the API then streams the file itself.
 */
export interface DownloadUrlSigner {
  presignGet(key: string, opts: PresignGetOptions): Promise<string>;
}
