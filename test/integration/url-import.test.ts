import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GuardedHttpFetcher } from '../../src/adapters/http-fetch/guarded-http.fetcher.js';
import { FsBlobStore } from '../../src/adapters/fs/fs.blob-store.js';
import { DomainError } from '../../src/domain/errors.js';
import { importFromUrl } from '../../src/pipelines/url-import.js';
import { parseAllowlist } from '../../src/domain/url-policy.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;

/** A local server: a file, a 404, a page, redirects, and an endless body without a length. */
function startServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const port = (server.address() as AddressInfo).port;
    switch (req.url) {
      case '/file.bin':
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(3 * MiB) });
        return res.end(Buffer.alloc(3 * MiB, 7));
      case '/page':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end('<html>a video page</html>');
      case '/data.json':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"video":"elsewhere"}');
      case '/to-file':
        res.writeHead(302, { location: '/file.bin' });
        return res.end();
      case '/to-localhost':
        res.writeHead(302, { location: `http://localhost:${port}/file.bin` });
        return res.end();
      case '/loop':
        res.writeHead(302, { location: '/loop' });
        return res.end();
      case '/endless': {
        // No Content-Length: only counting while streaming can stop it.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 1);
        const pump = () => {
          while (res.write(chunk)) if (res.destroyed) return;
        };
        res.on('drain', pump);
        res.on('close', () => res.off('drain', pump));
        return pump();
      }
      case '/silent':
        // Accepts the request and never answers.
        return;
      case '/error':
        res.writeHead(503);
        return res.end();
      default:
        res.writeHead(404);
        return res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

describe('URL import: streamed download with SSRF protection', () => {
  let srv: { server: Server; port: number };
  let t: { dir: string; cleanup: () => Promise<void> };
  let blobs: FsBlobStore;
  const fetcher = (allow = '') => new GuardedHttpFetcher({ allowlist: parseAllowlist(allow), maxRedirects: 3, connectTimeoutMs: 5000 });
  const limits = { maxBytes: 4 * MiB, timeoutMs: 20_000 };
  const signal = () => new AbortController().signal;
  const fails = (code: string, pattern?: RegExp) => (e: DomainError) => {
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
  before(async () => {
    srv = await startServer();
    t = await tempDir();
    blobs = new FsBlobStore(t.dir);
  });
  after(async () => {
    srv.server.closeAllConnections();
    srv.server.close();
    await t.cleanup();
  });
  const local = (path: string) => `http://127.0.0.1:${srv.port}${path}`;

  it('downloads from an allowlisted local server, following a redirect', async () => {
    const got = await importFromUrl({ fetcher: fetcher('127.0.0.1'), blobs }, local('/to-file'), 'imports/a/source', limits, signal());
    assert.equal(got.size, 3 * MiB);
    assert.equal(got.finalUrl, local('/file.bin'));
    assert.equal((await blobs.stat('imports/a/source'))?.size, 3 * MiB);
  });

  it('refuses each forbidden address class after resolving, without the allowlist', async () => {
    const f = fetcher();
    const deps = { fetcher: f, blobs };
    await assert.rejects(importFromUrl(deps, local('/file.bin'), 'imports/b/source', limits, signal()), fails('url_forbidden', /127\.0\.0\.1/));
    await assert.rejects(importFromUrl(deps, 'http://10.1.2.3/x.mp4', 'imports/b/source', limits, signal()), fails('url_forbidden'));
    await assert.rejects(importFromUrl(deps, 'http://169.254.169.254/latest/meta-data/', 'imports/b/source', limits, signal()), fails('url_forbidden'));
    await assert.rejects(importFromUrl(deps, 'http://[::1]/x.mp4', 'imports/b/source', limits, signal()), fails('url_forbidden'));
    await assert.rejects(importFromUrl(deps, 'http://[::ffff:127.0.0.1]/x.mp4', 'imports/b/source', limits, signal()), fails('url_forbidden'));
    // A name, not an address: judged by what it resolves to.
    await assert.rejects(importFromUrl(deps, `http://localhost:${srv.port}/file.bin`, 'imports/b/source', limits, signal()), fails('url_forbidden', /localhost:\d+ resolves to/));
    await assert.rejects(importFromUrl(deps, 'file:///etc/passwd', 'imports/b/source', limits, signal()), fails('url_forbidden', /only http and https/));
    assert.equal(await blobs.stat('imports/b/source'), null, 'nothing was written');
  });

  it('a redirect from an allowed host to loopback is refused at the hop', async () => {
    await assert.rejects(
      importFromUrl({ fetcher: fetcher('127.0.0.1'), blobs }, local('/to-localhost'), 'imports/c/source', limits, signal()),
      fails('url_forbidden', /localhost:\d+ resolves to/),
    );
    await assert.rejects(importFromUrl({ fetcher: fetcher('127.0.0.1'), blobs }, local('/loop'), 'imports/c/source', limits, signal()), fails('url_http_error', /more than 3 redirects/));
  });

  it('an entry with a port allows that port only: a redirect to another port of the same host never connects', async () => {
    let secretHits = 0;
    const secret = createServer((_req, res) => {
      secretHits++;
      res.end('secret');
    });
    await new Promise<void>((resolve) => secret.listen(0, '127.0.0.1', () => resolve()));
    const secretPort = (secret.address() as AddressInfo).port;
    const hop = createServer((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${secretPort}/secret` });
      res.end();
    });
    await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', () => resolve()));
    const hopPort = (hop.address() as AddressInfo).port;
    try {
      const deps = { fetcher: fetcher(`127.0.0.1:${hopPort},127.0.0.1:${srv.port}`), blobs };
      await assert.rejects(importFromUrl(deps, `http://127.0.0.1:${hopPort}/`, 'imports/p/source', limits, signal()), fails('url_forbidden', new RegExp(`127\\.0\\.0\\.1:${secretPort}`)));
      await assert.rejects(importFromUrl(deps, `http://127.0.0.1:${secretPort}/secret`, 'imports/p/source', limits, signal()), fails('url_forbidden'));
      assert.equal(secretHits, 0, 'the other port was never reached');
      const got = await importFromUrl(deps, local('/to-file'), 'imports/p/source', limits, signal());
      assert.equal(got.size, 3 * MiB, 'the allowlisted port works, its own redirects too');
    } finally {
      secret.close();
      hop.close();
    }
  });

  it('never fetches from this server\'s own API, even when its host is allowlisted', async () => {
    const f = new GuardedHttpFetcher({
      allowlist: parseAllowlist('127.0.0.1'),
      self: { listenPorts: () => [srv.port], addresses: [], origins: [] },
      maxRedirects: 3,
      connectTimeoutMs: 5000,
    });
    await assert.rejects(importFromUrl({ fetcher: f, blobs }, local('/file.bin'), 'imports/s/source', limits, signal()), fails('url_forbidden', /own API/));
    await assert.rejects(importFromUrl({ fetcher: f, blobs }, `http://localhost:${srv.port}/file.bin`, 'imports/s/source', limits, signal()), fails('url_forbidden', /own API/));
  });

  it('stops an endless body at the size limit while streaming, and removes the partial file', async () => {
    await assert.rejects(
      importFromUrl({ fetcher: fetcher('127.0.0.1'), blobs }, local('/endless'), 'imports/d/source', { maxBytes: 2 * MiB, timeoutMs: 20_000 }, signal()),
      fails('url_too_large', /2097152 bytes/),
    );
    assert.equal(await blobs.stat('imports/d/source'), null);
    // With a Content-Length over the limit it fails before reading the body.
    await assert.rejects(
      importFromUrl({ fetcher: fetcher('127.0.0.1'), blobs }, local('/file.bin'), 'imports/d/source', { maxBytes: MiB, timeoutMs: 20_000 }, signal()),
      fails('url_too_large'),
    );
  });

  it('404, HTTP errors, web pages, other non-media and dead hosts each have their own code', async () => {
    const deps = { fetcher: fetcher('127.0.0.1'), blobs };
    await assert.rejects(importFromUrl(deps, local('/missing.mp4'), 'imports/e/source', limits, signal()), fails('url_not_found'));
    await assert.rejects(importFromUrl(deps, local('/error'), 'imports/e/source', limits, signal()), fails('url_http_error', /503/));
    // No page importer (yt-dlp) here: a web page says what would import it.
    await assert.rejects(importFromUrl(deps, local('/page'), 'imports/e/source', limits, signal()), fails('url_needs_ytdlp', /text\/html.*apt-get install yt-dlp/));
    await assert.rejects(importFromUrl(deps, local('/data.json'), 'imports/e/source', limits, signal()), fails('url_wrong_content', /application\/json/));
    // A port nobody listens on.
    const closed = await startServer();
    const port = closed.port;
    await new Promise((r) => closed.server.close(r));
    await assert.rejects(importFromUrl(deps, `http://127.0.0.1:${port}/x.mp4`, 'imports/e/source', limits, signal()), fails('url_unreachable', /ECONNREFUSED/));
    await assert.rejects(importFromUrl({ fetcher: fetcher(), blobs }, 'http://no-such-host.invalid/x.mp4', 'imports/e/source', limits, signal()), fails('url_unreachable', /cannot resolve/));
    await assert.rejects(importFromUrl(deps, local('/silent'), 'imports/e/source', { maxBytes: MiB, timeoutMs: 300 }, signal()), fails('url_unreachable', /did not answer within/));
  });
});
