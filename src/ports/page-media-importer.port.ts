import type { CpuReport } from './media-runner.port.js';

/**
 * Downloads the media a web page or a streaming playlist (HLS, DASH) points to — what a
 * direct fetch cannot do. The adapter is yt-dlp, contained so it reaches only what the URL
 * policy allows.
 */
export interface PageMediaImporter {
  /** A short description for logs and `doctor`, e.g. "yt-dlp 2023.03.04 (/usr/bin/yt-dlp)". */
  readonly description: string;
  /**
   * Downloads one media file into `dir` (an empty folder the caller owns and removes).
   * Rejects with url_forbidden, url_too_large, url_unreachable, url_not_found, url_http_error
   * or url_no_media; with AbortedError when `signal` aborts.
   */
  download(url: string, opts: PageMediaOptions): Promise<{ path: string; size: number }>;
}

export interface PageMediaOptions {
  dir: string;
  maxBytes: number;
  timeoutMs: number;
  signal: AbortSignal;
  /** Fraction 0..1 of the download, when the downloader knows it. */
  onProgress?: (fraction: number) => void;
  /** The CPU seconds of the downloader's process (and what it started and waited for), as it ends. */
  onCpuSeconds?: CpuReport;
}
