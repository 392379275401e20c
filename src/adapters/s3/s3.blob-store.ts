import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat as fsStat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DomainError, isDomainError } from '../../domain/errors.js';
import { assertValidKey } from '../../domain/keys.js';
import type { BlobStore, ByteRange, DownloadUrlSigner, PresignGetOptions, PutOptions } from '../../ports/blob-store.port.js';
import type { DirectUploadSigner, PresignedPart } from '../../ports/direct-upload.port.js';
import type { BucketObjectReader } from '../../ports/bucket-objects.port.js';
import { byteLimit } from '../fs/fs.blob-store.js';
import { deleteObjects, isMissing, storageFailed, type S3Failure } from './s3.delete-objects.js';

export interface S3BlobStoreOptions {
  bucket: string;
  region: string;
  /** For R2, MinIO and other S3-compatible servers; omit for AWS. */
  endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`), needed by MinIO and most self-hosted servers. */
  forcePathStyle?: boolean;
  /**
   * The address clients reach the storage at, used only in presigned URLs, when it differs
   * from `endpoint` (e.g. `http://minio:9000` inside a compose network, `https://s3.example.com` outside).
   */
  publicEndpoint?: string;
  /** Omit to use the standard AWS chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, profiles, roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Part size for streaming multipart uploads; S3's minimum is 5 MiB. */
  partSizeBytes?: number;
  /** Parts uploaded in parallel per object. */
  queueSize?: number;
  /** Keys per ListObjectsV2 page (S3's maximum is 1000). */
  listPageSize?: number;
}

const MIN_PART = 5 * 1024 * 1024;



/**
 * S3-compatible blob store (AWS S3, Cloudflare R2, MinIO). Uses only operations all three
 * support: PutObject, multipart upload, GetObject with Range, HeadObject, DeleteObject(s),
 * ListObjectsV2 and SigV4 presigned URLs. Checksums are sent only when an operation
 * requires one, because the newer default (CRC32 trailers on every upload) is not
 * understood by every S3-compatible server.
 */
export class S3BlobStore implements BlobStore, DirectUploadSigner, DownloadUrlSigner, BucketObjectReader {
  readonly client: S3Client;
  /** Signs URLs for clients; the same client as `client` unless a public endpoint is set. Signing is local: it makes no request. */
  private readonly presignClient: S3Client;
  readonly bucket: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly listPageSize: number;

  constructor(opts: S3BlobStoreOptions) {
    this.bucket = opts.bucket;
    this.partSize = Math.max(MIN_PART, opts.partSizeBytes ?? 8 * 1024 * 1024);
    this.queueSize = opts.queueSize ?? 4;
    this.listPageSize = Math.min(1000, Math.max(1, opts.listPageSize ?? 1000));
    this.client = new S3Client({
      region: opts.region,
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle ?? false,
      credentials: opts.credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.presignClient = opts.publicEndpoint
      ? new S3Client({
          region: opts.region,
          endpoint: opts.publicEndpoint,
          forcePathStyle: opts.forcePathStyle ?? false,
          credentials: opts.credentials,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        })
      : this.client;
  }

  async put(key: string, body: Readable, opts: PutOptions = {}): Promise<{ size: number }> {
    assertValidKey(key);
    let size = 0;
    let limitError: DomainError | undefined;
    const counted = byteLimit(opts.maxBytes, (n) => (size = n));
    counted.on('error', (err) => {
      if (isDomainError(err)) limitError = err;
    });
    body.on('error', (err) => counted.destroy(err));
    body.pipe(counted);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: counted },
      partSize: this.partSize,
      queueSize: this.queueSize,
      // A refused or failed write leaves no parts behind (lib-storage aborts the multipart upload).
      leavePartsOnError: false,
    });
    const onAbort = () => void upload.abort().catch(() => {});
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
      return { size };
    } catch (err) {
      if (!body.destroyed) body.destroy();
      if (limitError) throw limitError;
      if (isDomainError(err) || opts.signal?.aborted) throw err;
      throw storageFailed('write', key, err);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  async putFile(key: string, localPath: string): Promise<{ size: number }> {
    assertValidKey(key);
    const { size } = await fsStat(localPath);
    await this.put(key, createReadStream(localPath));
    return { size };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      return res.Body as Readable;
    } catch (err) {
      if (isMissing(err)) throw new DomainError('not_found', `no stored file ${key}`);
      throw storageFailed('read', key, err);
    }
  }

  /** BucketObjectReader: an object of any bucket these credentials read, its key as the bucket event gave it (not one of our keys). */
  async open(bucket: string, key: string): Promise<Readable> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return res.Body as Readable;
    } catch (err) {
      if (isMissing(err)) throw new DomainError('not_found', `no object ${key} in bucket ${bucket}`);
      throw storageFailed('read', `${bucket}/${key}`, err);
    }
  }

  async stat(key: string) {
    assertValidKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: res.ContentLength ?? 0 };
    } catch (err) {
      if (isMissing(err)) return null;
      throw storageFailed('stat', key, err);
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      if (isMissing(err)) return;
      throw storageFailed('delete', key, err);
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) assertValidKey(key);
    await deleteObjects(this.client, this.bucket, keys, this.listPageSize);
  }

  async deletePrefix(prefix: string): Promise<void> {
    // Keys are gathered first, then deleted in batches (DeleteObjects takes at most 1000).
    await deleteObjects(this.client, this.bucket, await this.list(prefix), this.listPageSize);
  }

  async list(prefix: string): Promise<string[]> {
    const clean = prefix.replace(/\/+$/, '');
    assertValidKey(clean);
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${clean}/`, ContinuationToken: token, MaxKeys: this.listPageSize }),
      );
      for (const obj of res.Contents ?? []) if (obj.Key) out.push(obj.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  /** Downloads the object to a private temp folder, lends its path, and always removes it. */
  async withLocalFile<T>(key: string, fn: (path: string) => Promise<T>): Promise<T> {
    const body = await this.get(key);
    const dir = await mkdtemp(join(tmpdir(), 'mf-s3-'));
    try {
      const path = join(dir, key.split('/').pop()!);
      await pipeline(body, createWriteStream(path, { mode: 0o600 }));
      return await fn(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Fails with a readable message when the bucket is unreachable or the credentials are wrong. */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (caught) {
      const err = caught as S3Failure;
      const status = err?.$metadata?.httpStatusCode;
      const why = status === 404 ? 'the bucket does not exist' : status === 403 ? 'access denied (check the AWS credentials)' : `${err?.name}: ${err?.message}`;
      throw new Error(`S3 bucket ${this.bucket}: ${why}`);
    }
  }

  // --- direct uploads (presigned URLs) ---

  async presignPut(key: string, opts: { expiresInSeconds: number; contentType: string; contentLength: number }): Promise<string> {
    assertValidKey(key);
    const cmd = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: opts.contentType, ContentLength: opts.contentLength });
    return getSignedUrl(this.presignClient, cmd, { expiresIn: opts.expiresInSeconds, signableHeaders: new Set(['content-type']) });
  }

  async startMultipart(key: string, opts: { contentType: string }): Promise<string> {
    assertValidKey(key);
    const res = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: opts.contentType }));
    if (!res.UploadId) throw storageFailed('multipart start', key, new Error('no upload id returned'));
    return res.UploadId;
  }

  async presignParts(key: string, multipartId: string, partCount: number, expiresInSeconds: number): Promise<PresignedPart[]> {
    assertValidKey(key);
    const parts: PresignedPart[] = [];
    for (let n = 1; n <= partCount; n++) {
      const cmd = new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: multipartId, PartNumber: n });
      parts.push({ partNumber: n, url: await getSignedUrl(this.presignClient, cmd, { expiresIn: expiresInSeconds }) });
    }
    return parts;
  }

  async completeMultipart(key: string, multipartId: string, parts: { partNumber: number; etag: string }[]): Promise<void> {
    assertValidKey(key);
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: multipartId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      );
    } catch (caught) {
      const err = caught as S3Failure;
      const status = err?.$metadata?.httpStatusCode;
      if (status && status >= 400 && status < 500) {
        throw new DomainError('upload_incomplete', `the multipart upload could not be assembled: ${err?.name}: ${err?.message}`);
      }
      throw storageFailed('multipart complete', key, err);
    }
  }

  async abortMultipart(key: string, multipartId: string): Promise<void> {
    assertValidKey(key);
    await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: multipartId })).catch(() => {});
  }

  // --- direct downloads (presigned URLs) ---

  /** A GET URL for exactly this key; the `response-*` overrides are part of what is signed. */
  async presignGet(key: string, opts: PresignGetOptions): Promise<string> {
    assertValidKey(key);
    const cmd = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentType: opts.contentType,
      ResponseContentDisposition: opts.contentDisposition,
      ResponseCacheControl: opts.cacheControl,
    });
    return getSignedUrl(this.presignClient, cmd, { expiresIn: opts.expiresInSeconds, signingDate: opts.signedAt });
  }

  destroy(): void {
    this.client.destroy();
    if (this.presignClient !== this.client) this.presignClient.destroy();
  }
}

