import type { Readable } from 'node:stream';

/** An HTTP(S) response body opened by a fetcher that enforced the URL policy on every hop. */
export interface FetchedBody {
  body: Readable;
  /** The URL that finally answered (after redirects). */
  finalUrl: string;
  status: number;
  contentType: string | null;
  contentLength: number | null;
}

export interface UrlFetcher {
  /** Rejects with url_forbidden / url_unreachable / url_not_found / url_http_error. */
  open(url: string, signal: AbortSignal): Promise<FetchedBody>;
}
