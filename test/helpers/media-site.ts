import { execFile } from 'node:child_process';
import { copyFile, readFile, readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';
import { media } from './media.js';
import { tempDir } from './temp.js';

const run = promisify(execFile);

const TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.html': 'text/html; charset=utf-8',
};

export interface LocalServer {
  server: Server;
  host: string;
  port: number;
  origin: string;
  /** Paths requested, in order. */
  requests: string[];
  /** TCP connections accepted (an FTP client would connect without sending an HTTP request). */
  connections(): number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** Serves files from `dir` (and whatever `extra` answers first), counting every request. */
export async function startFileServer(dir: string, host: string, extra?: Handler): Promise<LocalServer> {
  const requests: string[] = [];
  const server = createServer(async (req, res) => {
    requests.push(req.url ?? '');
    if (extra && (await extra(req, res))) return;
    const name = (req.url ?? '/').split('?')[0].replace(/^\/+/, '');
    if (!/^[\w.-]+$/.test(name)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(join(dir, name));
      res.writeHead(200, { 'content-type': TYPES[extname(name)] ?? 'application/octet-stream', 'content-length': String(body.length) });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    host,
    port,
    origin: `http://${host}:${port}`,
    requests,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export interface MediaSite {
  /** The allowlisted site (127.0.0.1): pages, a clip, an HLS stream. */
  site: LocalServer;
  /** A server on 127.0.0.2, which the tests do not allowlist: it must never see a request. */
  bait: LocalServer;
  /** Size of clip.mp4 in bytes. */
  clipBytes: number;
  /** Paths that hang: they send headers and a trickle, then nothing, until the client goes. */
  openSlowConnections(): number;
  close(): Promise<void>;
}

/**
 * A local "video site" for yt-dlp's generic extractor: HTML pages with <video> tags, an HLS
 * stream (playlist + segments made by ffmpeg at test time), and pages whose media points at a
 * server the policy refuses (127.0.0.2, 169.254.169.254, a redirect to 127.0.0.2).
 */
export async function startMediaSite(): Promise<MediaSite> {
  const t = await tempDir('mf-site-');
  const dir = t.dir;
  await copyFile(await media('clip20.mp4'), join(dir, 'clip.mp4'));
  // A VOD HLS stream: keyframes every second so it has several segments.
  await run('ffmpeg', ['-v', 'error', '-y', '-i', join(dir, 'clip.mp4'), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-c:a', 'copy',
    '-f', 'hls', '-hls_time', '4', '-hls_playlist_type', 'vod', '-hls_segment_filename', join(dir, 'seg%d.ts'), join(dir, 'stream.m3u8')]);
  const clipBytes = (await readFile(join(dir, 'clip.mp4'))).length;
  const bait = await startFileServer(dir, '127.0.0.2');
  const page = (video: string) => `<!doctype html><html><head><title>a clip</title></head><body><video controls src="${video}"></video></body></html>`;
  const playlist = await readFile(join(dir, 'stream.m3u8'), 'utf8');
  let slow = 0;
  const pages: Record<string, string> = {
    'page.html': page('clip.mp4'),
    'stream-page.html': page('stream.m3u8'),
    'empty.html': '<!doctype html><html><body><p>No video here.</p></body></html>',
    'bait-page.html': page(`${bait.origin}/clip.mp4`),
    'metadata-page.html': page('http://169.254.169.254/latest/clip.mp4'),
    'redirect-page.html': page('to-bait.mp4'),
    'ftp-redirect-page.html': page('to-ftp.mp4'),
    'missing-video.html': page('gone.mp4'),
    'slow-page.html': page('slow.mp4'),
    'file-page.html': page('file:///etc/passwd'),
  };
  const site = await startFileServer(dir, '127.0.0.1', (req, res) => {
    const name = (req.url ?? '').replace(/^\/+/, '');
    if (name in pages) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(pages[name]);
      return true;
    }
    if (name === 'to-bait.mp4') {
      res.writeHead(302, { location: `${bait.origin}/clip.mp4` }).end();
      return true;
    }
    if (name === 'to-ftp.mp4') {
      res.writeHead(302, { location: `ftp://127.0.0.2:${bait.port}/clip.mp4` }).end();
      return true;
    }
    if (name === 'sample-aes.m3u8') {
      // Encryption yt-dlp's native HLS downloader declines: it would hand the stream to ffmpeg.
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
      res.end(playlist.replace('#EXTINF', `#EXT-X-KEY:METHOD=SAMPLE-AES,URI="${bait.origin}/key",KEYFORMAT="identity"\n#EXTINF`));
      return true;
    }
    if (name === 'bait-stream.m3u8') {
      // The playlist is fine; its segments live on the refused server.
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(playlist.replace(/^(seg\d+\.ts)$/gm, `${bait.origin}/$1`));
      return true;
    }
    if (name === 'slow.mp4') {
      slow++;
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(8 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
      res.once('close', () => slow--);
      return true;
    }
    return false;
  });
  return {
    site,
    bait,
    clipBytes,
    openSlowConnections: () => slow,
    close: async () => {
      await site.close();
      await bait.close();
      await t.cleanup();
    },
  };
}

/** The files a folder holds (for checking that nothing was left behind). */
export async function listFiles(dir: string): Promise<string[]> {
  return readdir(dir, { recursive: true }).catch(() => []) as Promise<string[]>;
}
