import assert from 'node:assert/strict';
import http, { type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseAllowlist } from '../../domain/url-policy.js';
import { PolicyProxy } from './policy-proxy.js';

/** A target: answers every HTTP request with `body` and counts them. */
async function target(host: string, body: Buffer): Promise<{ server: Server; port: number; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(body.length), 'x-path': req.url ?? '' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return { server, port: (server.address() as AddressInfo).port, hits: () => hits };
}

/** A raw exchange with the proxy: writes `request`, returns everything it answers until it closes. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', reject);
  });
}

/** CONNECT through the proxy, then one HTTP request inside the tunnel. */
function tunnel(port: number, auth: string, to: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`CONNECT ${to} HTTP/1.1\r\nhost: ${to}\r\nproxy-authorization: ${auth}\r\n\r\n`));
    let text = '';
    let sent = false;
    s.on('data', (c) => {
      text += c.toString('latin1');
      if (!sent && text.startsWith('HTTP/1.1 200')) {
        sent = true;
        s.write(`GET /through-tunnel HTTP/1.1\r\nhost: ${to}\r\nconnection: close\r\n\r\n`);
      }
    });
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
}

describe('PolicyProxy', () => {
  const body = Buffer.alloc(64 * 1024, 3);
  let allowed: Awaited<ReturnType<typeof target>>;
  let bait: Awaited<ReturnType<typeof target>>;
  before(async () => {
    allowed = await target('127.0.0.1', body);
    bait = await target('127.0.0.2', body);
  });
  after(() => {
    allowed.server.close();
    bait.server.close();
  });
  const start = (maxBytes = 1024 * 1024) => PolicyProxy.start({ allowlist: parseAllowlist('127.0.0.1'), maxBytes, connectTimeoutMs: 5000 });
  const parts = (p: PolicyProxy) => {
    const u = new URL(p.url);
    return { port: Number(u.port), auth: `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}` };
  };

  it('relays an absolute-form request to an allowed target and counts the bytes', async () => {
    const p = await start();
    try {
      const { port, auth } = parts(p);
      const answer = await raw(port, `GET http://127.0.0.1:${allowed.port}/clip.mp4 HTTP/1.1\r\nhost: 127.0.0.1:${allowed.port}\r\nproxy-authorization: ${auth}\r\nconnection: close\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 200/);
      assert.match(answer, /x-path: \/clip\.mp4/);
      assert.equal(p.bytes, body.length);
      assert.equal(p.refusal, null);
    } finally {
      await p.close();
    }
  });

  it('refuses a non-allowlisted loopback target with 403 and remembers it; the target sees nothing', async () => {
    const p = await start();
    try {
      const { port, auth } = parts(p);
      const answer = await raw(port, `GET http://127.0.0.2:${bait.port}/x HTTP/1.1\r\nhost: 127.0.0.2\r\nproxy-authorization: ${auth}\r\nconnection: close\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 403/);
      assert.equal(p.refusal?.code, 'url_forbidden');
      assert.match(p.refusal!.message, /127\.0\.0\.2/);
      const meta = await raw(port, `GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nhost: 169.254.169.254\r\nproxy-authorization: ${auth}\r\nconnection: close\r\n\r\n`);
      assert.match(meta, /^HTTP\/1\.1 403/);
      const named = await raw(port, `GET http://localhost:${allowed.port}/x HTTP/1.1\r\nhost: localhost\r\nproxy-authorization: ${auth}\r\nconnection: close\r\n\r\n`);
      assert.match(named, /^HTTP\/1\.1 403/, 'a name is judged by what it resolves to');
      assert.match(p.refusal!.message, /127\.0\.0\.2/, 'the first refusal is kept');
      assert.equal(bait.hits(), 0);
    } finally {
      await p.close();
    }
  });

  it('CONNECT: refused targets get 403, allowed ones a working tunnel', async () => {
    const p = await start();
    try {
      const { port, auth } = parts(p);
      assert.match(await tunnel(port, auth, `127.0.0.2:${bait.port}`), /^HTTP\/1\.1 403/);
      assert.match(await tunnel(port, auth, `[::1]:${bait.port}`), /^HTTP\/1\.1 403/);
      assert.equal(p.refusal?.code, 'url_forbidden');
      assert.equal(bait.hits(), 0);
      const through = await tunnel(port, auth, `127.0.0.1:${allowed.port}`);
      assert.match(through, /^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK/);
      assert.match(through, /x-path: \/through-tunnel/);
      assert.match(await tunnel(port, auth, 'no-port-here'), /^HTTP\/1\.1 400/);
    } finally {
      await p.close();
    }
  });

  it('requires its own credentials, for plain requests and CONNECT', async () => {
    const p = await start();
    try {
      const { port } = parts(p);
      const wrong = `Basic ${Buffer.from('mf:guess').toString('base64')}`;
      assert.match(await raw(port, `GET http://127.0.0.1:${allowed.port}/ HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`), /^HTTP\/1\.1 407/);
      assert.match(await raw(port, `GET http://127.0.0.1:${allowed.port}/ HTTP/1.1\r\nhost: x\r\nproxy-authorization: ${wrong}\r\nconnection: close\r\n\r\n`), /^HTTP\/1\.1 407/);
      assert.match(await tunnel(port, wrong, `127.0.0.1:${allowed.port}`), /^HTTP\/1\.1 407/);
      assert.equal(p.bytes, 0);
    } finally {
      await p.close();
    }
  });

  it('answers 400 to origin-form requests, 403 to other schemes (ftp:// from urllib)', async () => {
    const p = await start();
    try {
      const { port, auth } = parts(p);
      assert.match(await raw(port, `GET /clip.mp4 HTTP/1.1\r\nhost: x\r\nproxy-authorization: ${auth}\r\nconnection: close\r\n\r\n`), /^HTTP\/1\.1 400/);
      assert.equal(p.refusal, null, 'a malformed request is no refusal');
      const proxy: PolicyProxy = p; // not narrowed to null by the assertion above
      assert.match(await raw(port, `GET ftp://127.0.0.1/x HTTP/1.1\r\nhost: x\r\nproxy-authorization: ${auth}\r\nconnection: close\r\n\r\n`), /^HTTP\/1\.1 403/);
      assert.equal(proxy.refusal?.code, 'url_forbidden');
    } finally {
      await p.close();
    }
  });

  it('cuts transfers past the byte limit and refuses new ones', async () => {
    const p = await start(100 * 1024);
    try {
      const { port, auth } = parts(p);
      const get = () => raw(port, `GET http://127.0.0.1:${allowed.port}/a HTTP/1.1\r\nhost: x\r\nproxy-authorization: ${auth}\r\nconnection: close\r\n\r\n`);
      await get();
      assert.equal(p.tooLarge, false);
      const second = await get();
      assert.equal(p.tooLarge, true);
      assert.ok(Buffer.byteLength(second, 'latin1') < body.length, 'the second body was cut short');
      assert.match(await get(), /^HTTP\/1\.1 403/);
    } finally {
      await p.close();
    }
  });
});
