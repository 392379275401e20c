import { S3Store } from '@tus/s3-store';

/**
 * @tus/s3-store with a removal that also clears a finished upload: the stock `remove` aborts
 * the multipart upload first and, when S3 answers that it is already complete (NoSuchUpload),
 * stops there, leaving the assembled object and its `.info` in the bucket. Here those go too:
 * a finished tus upload's bytes are copied under the upload's storage key, so this copy is
 * only a leftover.
 */
export class S3TusStore extends S3Store {
  override async remove(id: string): Promise<void> {
    try {
      await super.remove(id);
    } catch (err) {
      if ((err as { status_code?: number }).status_code !== 404) throw err;
      await this.client.deleteObjects({
        Bucket: this.bucket,
        Delete: { Objects: [{ Key: id }, { Key: this.infoKey(id) }, { Key: this.partKey(id, true) }], Quiet: true },
      });
      await this.clearCache(id);
    }
  }
}
