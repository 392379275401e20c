import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { DomainError, isDomainError } from '../domain/errors.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { UrlFetcher } from '../ports/url-fetcher.port.js';

export interface UrlImportLimits {
  maxBytes: number;
  /** The whole download, headers to last byte. */
  timeoutMs: number;
}

export interface ImportedSource {
  key: string;
  size: number;
  contentType: string | null;
  finalUrl: string;
}

/** Content types that are certainly not a media file: a web page is the usual mistake. */
const NOT_MEDIA = /^(text\/html|application\/xhtml\+xml|application\/json|text\/css|application\/javascript|text\/javascript)\b/i;

/**
 * Downloads a URL into the blob store, streaming: the size limit is enforced while bytes
 * arrive (and up front when Content-Length already says too much), and the whole transfer
 * has a deadline. Whatever was written is removed on failure.
 */
export async function importFromUrl(
  deps: { fetcher: UrlFetcher; blobs: BlobStore },
  url: string,
  key: string,
  limits: UrlImportLimits,
  outer: AbortSignal,
): Promise<ImportedSource> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = AbortSignal.any([outer, timeout]);
  const tooLarge = () => new DomainError('url_too_large', `the file at ${url} is larger than the import limit of ${limits.maxBytes} bytes`, { max: limits.maxBytes });
  const fetched = await deps.fetcher.open(url, signal).catch((err: unknown) => {
    if (!outer.aborted && timeout.aborted) throw new DomainError('url_unreachable', `${url} did not answer within ${+(limits.timeoutMs / 1000).toFixed(1)} s`);
    throw err;
  });
  try {
    if (fetched.contentType && NOT_MEDIA.test(fetched.contentType)) {
      const platform = /text\/html/i.test(fetched.contentType) ? ' (a link to a video page needs yt-dlp, which this server does not use)' : '';
      throw new DomainError('url_wrong_content', `${fetched.finalUrl} returned ${fetched.contentType.split(';')[0]}, not a media file${platform}; link to the media file itself`);
    }
    if (fetched.contentLength !== null && fetched.contentLength > limits.maxBytes) throw tooLarge();
  } catch (err) {
    fetched.body.destroy();
    throw err;
  }

  let seen = 0;
  let failure: DomainError | null = null;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > limits.maxBytes) {
        failure = tooLarge();
        return cb(failure);
      }
      cb(null, chunk);
    },
  });
  const out = new PassThrough();
  const stored = deps.blobs.put(key, out, { signal });
  stored.catch(() => undefined);
  try {
    await pipeline(fetched.body, counter, out, { signal });
    const { size } = await stored;
    return { key, size, contentType: fetched.contentType, finalUrl: fetched.finalUrl };
  } catch (err) {
    out.destroy();
    await stored.catch(() => undefined);
    await deps.blobs.delete(key).catch(() => undefined);
    if (failure) throw failure;
    if (outer.aborted) throw err;
    if (timeout.aborted) throw new DomainError('url_unreachable', `the download of ${url} did not finish within ${+(limits.timeoutMs / 1000).toFixed(1)} s`);
    if (isDomainError(err)) throw err;
    throw new DomainError('url_unreachable', `the download of ${url} broke off: ${(err as Error).message}`);
  }
}
