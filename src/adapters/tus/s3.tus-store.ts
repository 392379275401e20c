import { S3Store } from '@tus/s3-store';

/**
 * @tus/s3-store with a removal that works for a finished upload too and on every
 * S3-compatible store: the stock `remove` aborts the multipart upload first and stops when S3
 * answers that it is complete (NoSuchUpload), leaving the assembled object and its `.info` in
 * the bucket, and it deletes with DeleteObjects, whose required checksum not every
 * S3-compatible server takes (src/adapters/s3/s3.delete-objects.ts). Here the multipart upload
 * is aborted when it is still open, then its three objects are deleted one by one. A finished
 * tus upload's bytes were copied under the upload's storage key: this copy is a leftover.
 */
export class S3TusStore extends S3Store {
  override async remove(id: string): Promise<void> {
    const uploadId = await this.getMetadata(id).then(
      (m) => m['upload-id'],
      () => null,
    );
    if (uploadId) await this.client.abortMultipartUpload({ Bucket: this.bucket, Key: id, UploadId: uploadId }).catch(() => undefined);
    for (const Key of [id, this.infoKey(id), this.partKey(id, true)]) await this.client.deleteObject({ Bucket: this.bucket, Key });
    await this.clearCache(id);
  }
}
