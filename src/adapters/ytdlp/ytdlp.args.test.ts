import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildYtdlpArgs, classifyYtdlpFailure, parseProgressLine, ytdlpProxyEnv } from './ytdlp.args.js';

describe('yt-dlp argv', () => {
  const args = buildYtdlpArgs({ url: 'https://videos.example/watch?v=1', outDir: '/scratch/out', maxBytes: 1000, socketTimeoutSeconds: 30 });
  const PROTO = "[protocol~='^(https?|m3u8_native|m3u8|http_dash_segments)$']";

  it('is exactly this list: proxy, limits, native downloaders, one file, no config', () => {
    assert.deepEqual(args, [
      '--ignore-config', '--no-cache-dir', '--no-playlist', '--playlist-items', '1',
      '--socket-timeout', '30', '--retries', '2', '--fragment-retries', '2',
      '--max-filesize', '1000', '--match-filter', '!is_live', '--downloader', 'native', '--hls-prefer-native',
      '--format', `best${PROTO}/bestvideo*${PROTO}+bestaudio${PROTO}`,
      '--no-part', '--no-mtime', '--no-write-thumbnail', '--no-write-subs', '--no-write-info-json', '--newline', '--no-colors', '--restrict-filenames',
      '--progress-template', 'download:mfprogress %(progress.downloaded_bytes)s %(progress.total_bytes)s %(progress.total_bytes_estimate)s',
      '--output', '/scratch/out/source.%(ext)s',
      '--', 'https://videos.example/watch?v=1',
    ]);
  });

  it('sends http, https and ftp through the proxy by environment (--proxy would leave ftp direct)', () => {
    assert.ok(!args.includes('--proxy'));
    const env = ytdlpProxyEnv('http://u:p@127.0.0.1:4000');
    for (const k of ['http_proxy', 'https_proxy', 'ftp_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY']) assert.equal(env[k], 'http://u:p@127.0.0.1:4000', k);
    assert.ok(!('no_proxy' in env) && !('NO_PROXY' in env));
  });

  it('puts the URL after --, so a URL starting with a dash is never an option', () => {
    const a = buildYtdlpArgs({ url: '--exec=rm', outDir: '/o', maxBytes: 1, socketTimeoutSeconds: 1 });
    assert.deepEqual(a.slice(-2), ['--', '--exec=rm']);
    assert.ok(!a.includes('--exec'));
  });
});

describe('yt-dlp output', () => {
  it('progress lines give a fraction from the total or the estimate', () => {
    assert.equal(parseProgressLine('mfprogress 50 200 NA'), 0.25);
    assert.equal(parseProgressLine('mfprogress 300 NA 600.5'), 300 / 600.5);
    assert.equal(parseProgressLine('mfprogress 10 NA NA'), null);
    assert.equal(parseProgressLine('[download] Destination: x.mp4'), null);
    assert.equal(parseProgressLine('mfprogress 900 100 NA'), 1);
  });

  it('failures map to stable codes', () => {
    const u = 'http://site/page';
    assert.equal(classifyYtdlpFailure(u, 'ERROR: Unsupported URL: http://site/page', 10).code, 'url_no_media');
    assert.equal(classifyYtdlpFailure(u, '[download] File is larger than max-filesize (400 bytes > 10 bytes). Aborting.', 10).code, 'url_too_large');
    assert.equal(classifyYtdlpFailure(u, '[download] page does not pass filter (!is_live), skipping ..', 10).code, 'url_no_media');
    assert.match(classifyYtdlpFailure(u, '[download] page does not pass filter (!is_live), skipping ..', 10).message, /live stream/);
    const notFound = classifyYtdlpFailure(u, 'ERROR: [generic] None: Unable to download webpage: HTTP Error 404: Not Found (caused by <HTTPError 404>); please report this issue on https://x', 10);
    assert.equal(notFound.code, 'url_not_found');
    assert.doesNotMatch(notFound.message, /please report/);
    assert.equal(classifyYtdlpFailure(u, 'ERROR: unable to download video data: HTTP Error 503: Service Unavailable', 10).code, 'url_http_error');
    assert.equal(classifyYtdlpFailure(u, 'ERROR: You have requested merging of multiple formats but ffmpeg is not installed. Aborting due to --abort-on-error', 10).code, 'url_no_media');
    assert.equal(classifyYtdlpFailure(u, '', 10).code, 'url_no_media');
  });
});
