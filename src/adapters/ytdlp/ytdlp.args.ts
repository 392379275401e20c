import { DomainError } from '../../domain/errors.js';

export interface YtdlpArgsInput {
  url: string;
  /** Folder the media file is written to. */
  outDir: string;
  maxBytes: number;
  socketTimeoutSeconds: number;
}

/** One progress line per update, on stdout: downloaded bytes, total, estimated total ("NA" when unknown). */
export const PROGRESS_PREFIX = 'mfprogress';

/**
 * The proxy settings for yt-dlp, as environment variables rather than `--proxy`: yt-dlp's
 * `--proxy` covers http and https only, so an ftp:// URL (a redirect, an embedded link)
 * would connect directly; from the environment, Python's urllib sends ftp:// requests to
 * the proxy as well, which refuses them. yt-dlp refuses file:// URLs itself.
 */
export function ytdlpProxyEnv(proxyUrl: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const scheme of ['http', 'https', 'ftp', 'all']) {
    env[`${scheme}_proxy`] = proxyUrl;
    env[`${scheme.toUpperCase()}_PROXY`] = proxyUrl;
  }
  return env;
}

/**
 * yt-dlp's argv. Every download goes through yt-dlp's own HTTP client (and so through the
 * policy proxy, see ytdlpProxyEnv): formats whose protocol would need an external program
 * (rtmp, rtsp, mms, websockets, ffmpeg-fetched HLS) are not selectable, and the child runs
 * with a PATH that holds no ffmpeg, rtmpdump or aria2c to hand a URL to. One file, the first
 * entry of a playlist page, no live streams (yt-dlp fetches those with ffmpeg), no config
 * files, no cache.
 */
export function buildYtdlpArgs(i: YtdlpArgsInput): string[] {
  const proto = "[protocol~='^(https?|m3u8_native|m3u8|http_dash_segments)$']";
  return [
    '--ignore-config',
    '--no-cache-dir',
    '--no-playlist',
    '--playlist-items', '1',
    '--socket-timeout', String(i.socketTimeoutSeconds),
    '--retries', '2',
    '--fragment-retries', '2',
    '--max-filesize', String(i.maxBytes),
    '--match-filter', '!is_live',
    '--downloader', 'native',
    '--hls-prefer-native',
    '--format', `best${proto}/bestvideo*${proto}+bestaudio${proto}`,
    '--no-part',
    '--no-mtime',
    '--no-write-thumbnail',
    '--no-write-subs',
    '--no-write-info-json',
    '--newline',
    '--no-colors',
    '--restrict-filenames',
    '--progress-template', `download:${PROGRESS_PREFIX} %(progress.downloaded_bytes)s %(progress.total_bytes)s %(progress.total_bytes_estimate)s`,
    '--output', `${i.outDir}/source.%(ext)s`,
    '--',
    i.url,
  ];
}

/** The download fraction from one progress line, or null when the line is not one or the size is unknown. */
export function parseProgressLine(line: string): number | null {
  const m = new RegExp(`^${PROGRESS_PREFIX} (\\S+) (\\S+) (\\S+)`).exec(line.trim());
  if (!m) return null;
  const done = Number(m[1]);
  const total = Number(m[2]) || Number(m[3]);
  if (!Number.isFinite(done) || !Number.isFinite(total) || total <= 0) return null;
  return Math.max(0, Math.min(1, done / total));
}

/**
 * What a yt-dlp run that produced no file means, from its output. Refusals by the proxy and
 * size overruns are known first-hand and decided before this; these are yt-dlp's own words.
 */
export function classifyYtdlpFailure(url: string, output: string, maxBytes: number): DomainError {
  const errorLine = output.split('\n').filter((l) => l.startsWith('ERROR:')).pop()?.replace(/^ERROR:\s*/, '').replace(/;\s*please report this issue.*$/i, '').slice(0, 300);
  if (/File is larger than max-filesize/i.test(output)) {
    return new DomainError('url_too_large', `the media at ${url} is larger than the import limit of ${maxBytes} bytes`, { max: maxBytes });
  }
  if (/does not pass filter \(?!is_live\)?/i.test(output) || /is_live/.test(errorLine ?? '')) {
    return new DomainError('url_no_media', `${url} is a live stream; only recorded videos can be imported`);
  }
  if (errorLine && /HTTP Error (404|410)\b/.test(errorLine)) return new DomainError('url_not_found', `${url}: there is no page or file at that address (${errorLine})`);
  if (errorLine && /HTTP Error 5\d\d\b/.test(errorLine)) return new DomainError('url_http_error', `${url}: the server failed (${errorLine})`);
  if (errorLine && /merging of multiple formats/i.test(errorLine)) {
    return new DomainError('url_no_media', `${url} offers only separate video and audio streams, which this server does not import; link to a file or stream that holds both`);
  }
  return new DomainError('url_no_media', `yt-dlp found no video or audio to download at ${url}${errorLine ? ` (${errorLine})` : ''}; link to the media file itself`);
}
