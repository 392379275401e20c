import type { DownloadUrlSigner } from '../ports/blob-store.port.js';

export interface DirectDownloadsOptions {
  /** Lifetime of a presigned GET URL; never longer than the download link it was minted for. */
  ttlSeconds: number;
}

export interface DownloadHeaders {
  contentType: string;
  contentDisposition: string;
  cacheControl: string;
}

/**
 * Files that name their siblings by relative URL (HLS playlists, the storyboard VTT) stay on
 * the API path: a relative URI resolved against `/v1/files/<token>/jobs/<id>/…` keeps the
 * token, while one resolved against a presigned URL would point at an unsigned bucket path.
 * Playlists also change while a package is still encoding.
 */
export function servedByApi(key: string): boolean {
  return /\.(?:m3u8|vtt)$/i.test(key);
}

/**
 * Direct downloads: after the API has checked a download link, it answers with a redirect to
 * a short-lived presigned GET for that one key, so the bytes go from the bucket to the client
 * and not through an API process.
 *
 * URLs are signed at the start of a time slot of a quarter of the TTL, so every request for
 * the same file within a slot gets the same URL (browser and CDN caches keep working for
 * immutable segments), and each URL stays valid for at least three quarters of the TTL after
 * it is handed out — but never past the expiry of the link it was minted for.
 */
export class DirectDownloadsService {
  private readonly slotSeconds: number;

  constructor(
    private readonly deps: { signer: DownloadUrlSigner },
    private readonly opts: DirectDownloadsOptions,
  ) {
    this.slotSeconds = Math.floor(opts.ttlSeconds / 4);
  }

  /** The URL to redirect to, or null when the API must serve the file itself. */
  async redirectFor(key: string, headers: DownloadHeaders, at: { nowMs: number; linkExpiresAtMs: number }): Promise<string | null> {
    if (servedByApi(key)) return null;
    const nowS = Math.floor(at.nowMs / 1000);
    const signedAtS = this.slotSeconds >= 1 ? nowS - (nowS % this.slotSeconds) : nowS;
    const linkLeftS = Math.floor(at.linkExpiresAtMs / 1000) - signedAtS;
    const expiresInSeconds = Math.max(1, Math.min(this.opts.ttlSeconds, linkLeftS));
    return this.deps.signer.presignGet(key, {
      expiresInSeconds,
      signedAt: new Date(signedAtS * 1000),
      contentType: headers.contentType,
      contentDisposition: headers.contentDisposition,
      cacheControl: headers.cacheControl,
    });
  }
}
