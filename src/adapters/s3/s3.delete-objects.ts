import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { DomainError } from '../../domain/errors.js';

/** What the AWS SDK's errors carry (and what a plain Error has of it). */
export type S3Failure = { name?: string; message?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | null | undefined;

export function isMissing(caught: unknown): boolean {
  const err = caught as S3Failure;
  const status = err?.$metadata?.httpStatusCode;
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.Code === 'NoSuchKey' || status === 404;
}

export function storageFailed(op: string, key: string, caught: unknown): DomainError {
  const err = caught as S3Failure;
  return new DomainError('storage_failed', `object storage ${op} of ${key} failed: ${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`);
}

/**
 * Deletes keys with DeleteObjects, `batchSize` (at most 1000, S3's limit) per request, in
 * quiet mode: the answer lists only the keys that failed. A key not stored is no failure
 * (S3 answers success for it; some compatible servers say NoSuchKey).
 */
export async function deleteObjects(client: S3Client, bucket: string, keys: readonly string[], batchSize: number): Promise<void> {
  const size = Math.min(1000, Math.max(1, batchSize));
  for (let i = 0; i < keys.length; i += size) {
    const batch = keys.slice(i, i + size);
    let res;
    try {
      res = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
    } catch (err) {
      throw storageFailed('delete', `${batch.length} keys from ${batch[0]}`, err);
    }
    const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
    if (failed.length > 0) throw storageFailed('delete', `${failed[0]!.Key}`, new Error(`${failed[0]!.Code}: ${failed[0]!.Message}`));
  }
}
