import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { AbortedError, DomainError, isDomainError } from '../domain/errors.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { PageMediaImporter } from '../ports/page-media-importer.port.js';
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

/** Content types that are certainly not a media file (web pages are handled before this). */
const NOT_MEDIA = /^(text\/html|application\/xhtml\+xml|application\/json|text\/css|application\/javascript|text\/javascript)\b/i;
/** A web page: a video platform's page, or any page with a <video>; yt-dlp can find the media in it. */
const PAGE = /^(text\/html|application\/xhtml\+xml)\b/i;
/** Streaming manifests (HLS, DASH): the media is in segments a direct download would not fetch. */
const MANIFEST_TYPE = /^(application\/(vnd\.apple\.mpegurl|x-mpegurl|dash\+xml)|audio\/(x-)?mpegurl)\b/i;
const MANIFEST_PATH = /\.(m3u8|mpd)$/i;

/** What to hand to the page importer instead of downloading directly, or null for a plain file. */
export function needsPageImporter(contentType: string | null, finalUrl: string): 'page' | 'stream' | null {
  if (contentType && PAGE.test(contentType)) return 'page';
  if (contentType && MANIFEST_TYPE.test(contentType)) return 'stream';
  // A playlist served as text/plain or octet-stream; a real video/… or audio/… file keeps its type.
  if (MANIFEST_PATH.test(new URL(finalUrl).pathname) && !(contentType && /^(video|audio)\//i.test(contentType))) return 'stream';
  return null;
}

export interface UrlImportDeps {
  fetcher: UrlFetcher;
  blobs: BlobStore;
  /** yt-dlp, when installed and enabled; null: web pages and streams fail with url_needs_ytdlp. */
  pageImporter?: PageMediaImporter | null;
}

export interface UrlImportOptions {
  /** An empty scratch folder for the page importer's download; needed only when it runs. */
  workDir?: string;
  /** Download progress 0..1 when known (the page importer reports it). */
  onProgress?: (fraction: number) => void;
}

/**
 * Downloads a URL into the blob store, streaming: the size limit is enforced while bytes
 * arrive (and up front when Content-Length already says too much), and the whole transfer
 * has a deadline. Whatever was written is removed on failure. A web page or a streaming
 * playlist goes to the page importer (yt-dlp), or fails with url_needs_ytdlp without one.
 */
export async function importFromUrl(
  deps: UrlImportDeps,
  url: string,
  key: string,
  limits: UrlImportLimits,
  outer: AbortSignal,
  opts: UrlImportOptions = {},
): Promise<ImportedSource> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = AbortSignal.any([outer, timeout]);
  const tooLarge = () => new DomainError('url_too_large', `the file at ${url} is larger than the import limit of ${limits.maxBytes} bytes`, { max: limits.maxBytes });
  const fetched = await deps.fetcher.open(url, signal).catch((err: unknown) => {
    if (!outer.aborted && timeout.aborted) throw new DomainError('url_unreachable', `${url} did not answer within ${+(limits.timeoutMs / 1000).toFixed(1)} s`);
    throw err;
  });
  const kind = needsPageImporter(fetched.contentType, fetched.finalUrl);
  if (kind) {
    fetched.body.destroy();
    if (!deps.pageImporter) {
      const what = kind === 'page' ? `a web page (${fetched.contentType?.split(';')[0]})` : 'a streaming playlist (HLS/DASH)';
      throw new DomainError(
        'url_needs_ytdlp',
        `${fetched.finalUrl} is ${what}, not a media file; importing the video from it needs yt-dlp on the worker (Debian/Ubuntu: apt-get install yt-dlp, or set MEDIAFORGE_YTDLP to its path), or link to the media file itself`,
      );
    }
    return importWithPageImporter({ blobs: deps.blobs, pageImporter: deps.pageImporter }, fetched.finalUrl, key, limits, outer, opts);
  }
  try {
    if (fetched.contentType && NOT_MEDIA.test(fetched.contentType)) {
      throw new DomainError('url_wrong_content', `${fetched.finalUrl} returned ${fetched.contentType.split(';')[0]}, not a media file; link to the media file itself`);
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

/**
 * The media behind a web page or a streaming playlist, fetched by the page importer (yt-dlp
 * behind the policy proxy) into the scratch folder, then stored under the same key a direct
 * download uses: from here on it is a source like any other (probed, checked for hostile
 * content). yt-dlp gets the import's whole deadline and size limit.
 */
async function importWithPageImporter(
  deps: { blobs: BlobStore; pageImporter: PageMediaImporter },
  url: string,
  key: string,
  limits: UrlImportLimits,
  outer: AbortSignal,
  opts: UrlImportOptions,
): Promise<ImportedSource> {
  if (!opts.workDir) throw new DomainError('internal', 'the page importer needs a scratch folder');
  let got: { path: string; size: number };
  try {
    got = await deps.pageImporter.download(url, { dir: opts.workDir, maxBytes: limits.maxBytes, timeoutMs: limits.timeoutMs, signal: outer, onProgress: opts.onProgress });
  } catch (err) {
    if (outer.aborted && !(err instanceof AbortedError)) throw new AbortedError();
    throw err;
  }
  try {
    const { size } = await deps.blobs.put(key, createReadStream(got.path), { signal: outer });
    return { key, size, contentType: null, finalUrl: url };
  } catch (err) {
    await deps.blobs.delete(key).catch(() => undefined);
    throw err;
  } finally {
    await rm(got.path, { force: true }).catch(() => undefined); // stored (or failed): the scratch copy is not needed
  }
}
