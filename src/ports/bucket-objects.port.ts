import type { Readable } from 'node:stream';

/** Reads an object a bucket event names (any bucket the storage credentials may read), by bucket and key as S3 spells them. */
export interface BucketObjectReader {
  /** `not_found` when there is no such object (deleted since the event). */
  open(bucket: string, key: string): Promise<Readable>;
}
