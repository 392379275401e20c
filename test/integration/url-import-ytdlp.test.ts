import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FsBlobStore } from '../../src/adapters/fs/fs.blob-store.js';
import { GuardedHttpFetcher } from '../../src/adapters/http-fetch/guarded-http.fetcher.js';
import { findYtdlp, ytdlpVersion, YtdlpImporter } from '../../src/adapters/ytdlp/ytdlp.importer.js';
import { AbortedError, type DomainError } from '../../src/domain/errors.js';
import { importFromUrl, type UrlImportDeps } from '../../src/pipelines/url-import.js';
import { parseAllowlist } from '../../src/domain/url-policy.js';
import { ffprobeJson } from '../helpers/media.js';
import { listFiles, startMediaSite, type MediaSite } from '../helpers/media-site.js';
import { tempDir, waitFor } from '../helpers/temp.js';

const ytdlp = await findYtdlp(null);
const skip = ytdlp ? false : 'yt-dlp is not installed (Debian/Ubuntu: apt-get install yt-dlp); .ci/run installs it';

const MiB = 1024 * 1024;

describe('URL import of pages and streams through yt-dlp behind the policy proxy', { skip }, () => {
  let s: MediaSite;
  let t: { dir: string; cleanup: () => Promise<void> };
  let blobs: FsBlobStore;
  let importer: YtdlpImporter;
  let n = 0;
  // Only the site's host is allowlisted; the bait on 127.0.0.2 is loopback like any other.
  const allowlist = parseAllowlist('127.0.0.1');
  const fetcher = new GuardedHttpFetcher({ allowlist, maxRedirects: 3, connectTimeoutMs: 5000 });
  const limits = { maxBytes: 64 * MiB, timeoutMs: 120_000 };
  const fails = (code: string, pattern?: RegExp) => (e: DomainError) => {
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
  /** One import with its own scratch folder and key; returns what importFromUrl returns. */
  const importUrl = async (path: string, o: { deps?: Partial<UrlImportDeps>; maxBytes?: number; timeoutMs?: number; signal?: AbortSignal; onProgress?: (f: number) => void } = {}) => {
    const id = `t${++n}`;
    const workDir = join(t.dir, 'work', id);
    await mkdir(workDir, { recursive: true });
    const url = path.startsWith('http') ? path : `${s.site.origin}/${path}`;
    return importFromUrl(
      { fetcher, blobs, pageImporter: importer, ...o.deps },
      url,
      `imports/${id}/source`,
      { maxBytes: o.maxBytes ?? limits.maxBytes, timeoutMs: o.timeoutMs ?? limits.timeoutMs },
      o.signal ?? new AbortController().signal,
      { workDir, onProgress: o.onProgress },
    );
  };

  before(async () => {
    s = await startMediaSite();
    t = await tempDir();
    blobs = new FsBlobStore(join(t.dir, 'blobs'));
    importer = new YtdlpImporter(ytdlp!, `yt-dlp ${await ytdlpVersion(ytdlp!)}`, { allowlist, socketTimeoutMs: 10_000 });
  });
  after(async () => {
    await s?.close();
    await t?.cleanup();
  });

  it('a page with <video src> imports the clip (generic extractor), reporting progress', async () => {
    const progress: number[] = [];
    const got = await importUrl('page.html', { onProgress: (f) => progress.push(f) });
    assert.equal(got.size, s.clipBytes);
    assert.equal((await blobs.stat(got.key))?.size, s.clipBytes);
    const probe = await blobs.withLocalFile(got.key, (p) => ffprobeJson(p));
    assert.equal(probe.streams.find((x: any) => x.codec_type === 'video').width, 320);
    assert.ok(progress.length > 0 && progress[progress.length - 1] === 1, `progress ${progress.join(',')}`);
    assert.ok(s.site.requests.includes('/clip.mp4'));
    assert.deepEqual(await listFiles(join(t.dir, 'work', `t${n}`, 'out')), [], 'the downloaded copy went to the blob store');
  });

  it('an HLS playlist URL and a page embedding one import the whole stream (native HLS downloader)', async () => {
    for (const path of ['stream.m3u8', 'stream-page.html']) {
      const before = s.site.requests.length;
      const got = await importUrl(path);
      const probe = await blobs.withLocalFile(got.key, (p) => ffprobeJson(p));
      assert.ok(Math.abs(Number(probe.format.duration) - 20) < 1, `duration ${probe.format.duration}`);
      assert.ok(probe.streams.some((x: any) => x.codec_type === 'audio'), 'audio kept');
      const segments = s.site.requests.slice(before).filter((r) => /^\/seg\d+\.ts$/.test(r));
      assert.ok(segments.length >= 5, `fetched ${segments.length} segments`);
    }
  });

  it('media on a refused address fails with url_forbidden and the bait server sees no request', async () => {
    await assert.rejects(importUrl('bait-page.html'), fails('url_forbidden', /127\.0\.0\.2/));
    await assert.rejects(importUrl('redirect-page.html'), fails('url_forbidden', /127\.0\.0\.2/));
    await assert.rejects(importUrl('bait-stream.m3u8'), fails('url_forbidden', /127\.0\.0\.2/));
    await assert.rejects(importUrl('metadata-page.html'), fails('url_forbidden', /169\.254\.169\.254/));
    // A redirect to ftp:// (which yt-dlp's --proxy would not cover) reaches the proxy and stops there.
    await assert.rejects(importUrl('ftp-redirect-page.html'), fails('url_forbidden', /only http and https/));
    assert.deepEqual(s.bait.requests, []);
    assert.equal(s.bait.connections(), 0, 'not even a TCP connection to the bait');
    // The page's own site was asked for the redirect, which the proxy did not follow itself.
    assert.ok(s.site.requests.includes('/to-bait.mp4'));
  });

  it('a file:// video source is not selectable: url_no_media, nothing read', async () => {
    await assert.rejects(importUrl('file-page.html'), fails('url_no_media', /Requested format is not available/));
  });

  it('a stream the native HLS downloader declines is not handed to ffmpeg (there is none to find)', async () => {
    const before = s.site.requests.length;
    await assert.rejects(importUrl('sample-aes.m3u8'), fails('url_no_media'));
    assert.deepEqual(s.site.requests.slice(before).filter((r) => r.endsWith('.ts')), [], 'no segment was fetched by anyone');
    assert.equal(s.bait.connections(), 0, 'nor the key');
  });

  it('the size limit holds through yt-dlp, with and without a known size', async () => {
    const maxBytes = Math.floor(s.clipBytes / 2);
    // The clip has a Content-Length: yt-dlp's --max-filesize stops it.
    await assert.rejects(importUrl('page.html', { maxBytes }), fails('url_too_large', new RegExp(String(maxBytes))));
    // HLS has no total size: the proxy counts relayed bytes and cuts the transfer.
    await assert.rejects(importUrl('stream.m3u8', { maxBytes }), fails('url_too_large'));
  });

  it('a page without media fails with url_no_media; a page whose video is gone with url_not_found', async () => {
    await assert.rejects(importUrl('empty.html'), fails('url_no_media', /yt-dlp found no video/));
    await assert.rejects(importUrl('missing-video.html'), fails('url_not_found', /404/));
  });

  it('without yt-dlp, pages and playlists fail with url_needs_ytdlp saying what to install', async () => {
    const deps = { pageImporter: null };
    await assert.rejects(importUrl('page.html', { deps }), fails('url_needs_ytdlp', /web page \(text\/html\).*apt-get install yt-dlp/));
    await assert.rejects(importUrl('stream.m3u8', { deps }), fails('url_needs_ytdlp', /streaming playlist/));
  });

  it('cancel stops yt-dlp mid-download; the deadline fails with url_unreachable', async () => {
    const controller = new AbortController();
    const pending = importUrl('slow-page.html', { signal: controller.signal });
    await waitFor(async () => s.openSlowConnections() === 1, { what: 'yt-dlp downloading slow.mp4' });
    controller.abort();
    await assert.rejects(pending, (e) => e instanceof AbortedError);
    await waitFor(async () => s.openSlowConnections() === 0, { what: 'the download connection to close' });

    await assert.rejects(importUrl('slow-page.html', { timeoutMs: 3000 }), fails('url_unreachable', /did not finish within 3 s/));
    await waitFor(async () => s.openSlowConnections() === 0, { what: 'the download connection to close' });
  });
});
