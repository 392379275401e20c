import { randomBytes, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type LookupFunction, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DomainError, isDomainError } from '../../domain/errors.js';
import { checkImportUrl, type UrlPolicy } from '../../domain/url-policy.js';
import { resolveChecked, type PinnedAddress } from '../http-fetch/resolve-checked.js';

export interface PolicyProxyOptions extends UrlPolicy {
  /** Bytes relayed from upstream servers, all requests together; past it every transfer is cut. */
  maxBytes: number;
  /** Until an upstream server accepts the connection (and, for plain HTTP, sends headers). */
  connectTimeoutMs: number;
}

/** Request headers that belong to the hop between client and proxy, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * A forward HTTP proxy for one URL import by an external downloader (yt-dlp): plain HTTP in
 * absolute form and HTTPS through CONNECT. Every target is resolved and checked by the same
 * code as the guarded fetcher, and the upstream socket connects to the checked address, so
 * the downloader can reach exactly what a direct import could. It listens on 127.0.0.1 on a
 * random port with a random user and password, and stops with the import.
 *
 * The first refusal and a size overrun are remembered so the import can fail with
 * url_forbidden / url_too_large rather than with the downloader's own words for a 403.
 */
export class PolicyProxy {
  /** The first target the policy refused; the import fails with it. */
  refusal: DomainError | null = null;
  /** The last upstream failure (refused connection, DNS, timeout), for a useful message. */
  upstreamError: DomainError | null = null;
  tooLarge = false;
  /** Bytes received from upstream servers so far. */
  bytes = 0;
  /** Targets requested through the proxy, in order (host:port), for logs and tests. */
  readonly targets: string[] = [];
  private readonly sockets = new Set<Duplex>();

  private constructor(
    private readonly server: http.Server,
    private readonly opts: PolicyProxyOptions,
    private readonly user: string,
    private readonly password: string,
  ) {}

  static async start(opts: PolicyProxyOptions): Promise<PolicyProxy> {
    const server = http.createServer();
    const proxy = new PolicyProxy(server, opts, `mf${randomBytes(6).toString('hex')}`, randomBytes(18).toString('hex'));
    server.on('request', (req, res) => void proxy.onRequest(req, res));
    server.on('connect', (req, socket, head) => void proxy.onConnect(req, socket, head));
    server.on('connection', (s) => proxy.track(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** http://user:password@127.0.0.1:port — the value for the downloader's --proxy. */
  get url(): string {
    return `http://${this.user}:${this.password}@127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(s: Duplex): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private authorized(req: IncomingMessage): boolean {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers['proxy-authorization'] ?? '');
    if (!m) return false;
    const given = Buffer.from(m[1], 'base64');
    const expected = Buffer.from(`${this.user}:${this.password}`);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Checks the target; on refusal records why and returns null. */
  private async check(url: URL): Promise<PinnedAddress | DomainError> {
    this.targets.push(url.host);
    try {
      return await resolveChecked(url, this.opts);
    } catch (err) {
      const e = isDomainError(err) ? err : new DomainError('url_unreachable', `cannot resolve ${url.hostname}: ${(err as Error).message}`);
      if (e.code === 'url_forbidden') this.refusal ??= e;
      else this.upstreamError = e;
      return e;
    }
  }

  /** Counts upstream bytes; past the limit, cuts the transfer. */
  private count(n: number, cut: () => void): void {
    this.bytes += n;
    if (this.bytes > this.opts.maxBytes) {
      this.tooLarge = true;
      cut();
    }
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.authorized(req)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="mediaforge"', connection: 'close' }).end();
      return;
    }
    let url: URL;
    try {
      url = checkImportUrl(req.url ?? '');
      if (url.protocol !== 'http:') throw new DomainError('validation_failed', 'https goes through CONNECT');
    } catch (err) {
      const forbidden = isDomainError(err) && err.code === 'url_forbidden';
      if (forbidden) this.refusal ??= err;
      res.writeHead(forbidden ? 403 : 400, { connection: 'close' }).end('absolute http:// URLs only');
      return;
    }
    const pinned = await this.check(url);
    if (pinned instanceof DomainError) {
      res.writeHead(pinned.code === 'url_forbidden' ? 403 : 502, { 'content-type': 'text/plain', connection: 'close' }).end(pinned.message);
      return;
    }
    if (this.tooLarge) {
      res.writeHead(403, { connection: 'close' }).end('size limit reached');
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    const lookup: LookupFunction = (_host, options, cb) => {
      if ((options as { all?: boolean }).all) (cb as unknown as (err: null, addresses: PinnedAddress[]) => void)(null, [pinned]);
      else cb(null, pinned.address, pinned.family);
    };
    const upstream = http.request(url, { method: req.method, headers, lookup, agent: false });
    upstream.once('socket', (s) => this.track(s));
    const timer = setTimeout(() => upstream.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), this.opts.connectTimeoutMs);
    upstream.once('response', (up) => {
      clearTimeout(timer);
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
      res.writeHead(up.statusCode ?? 502, out);
      up.on('data', (chunk: Buffer) => {
        this.count(chunk.length, () => {
          up.destroy();
          res.destroy();
        });
        if (!res.destroyed && !res.write(chunk)) {
          up.pause();
          res.once('drain', () => up.resume());
        }
      });
      up.once('end', () => res.end());
      up.once('error', () => res.destroy());
    });
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      this.upstreamError = new DomainError('url_unreachable', `cannot reach ${url.host}: ${err.code === 'ETIMEDOUT' ? `no answer within ${this.opts.connectTimeoutMs} ms` : err.code ?? err.message}`);
      if (!res.headersSent) res.writeHead(502, { connection: 'close' }).end(this.upstreamError.message);
      else res.destroy();
    });
    res.once('close', () => upstream.destroy());
    req.pipe(upstream);
  }

  private async onConnect(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    this.track(client);
    client.on('error', () => undefined);
    const answer = (status: string, body = ''): void => {
      client.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${status.startsWith('407') ? 'proxy-authenticate: Basic realm="mediaforge"\r\n' : ''}\r\n${body}`);
    };
    if (!this.authorized(req)) return answer('407 Proxy Authentication Required');
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s/@]+):(\d{1,5})$/.exec(req.url ?? '');
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return answer('400 Bad Request', 'CONNECT host:port only');
    let url: URL;
    try {
      url = checkImportUrl(`https://${m[1]}:${m[2]}/`);
    } catch {
      return answer('400 Bad Request', 'bad CONNECT target');
    }
    const pinned = await this.check(url);
    if (pinned instanceof DomainError) return answer(pinned.code === 'url_forbidden' ? '403 Forbidden' : '502 Bad Gateway', pinned.message);
    if (this.tooLarge) return answer('403 Forbidden', 'size limit reached');
    const upstream: Socket = net.connect({ host: pinned.address, port: Number(m[2]) });
    this.track(upstream);
    const timer = setTimeout(() => upstream.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), this.opts.connectTimeoutMs);
    let connected = false;
    upstream.once('connect', () => {
      clearTimeout(timer);
      connected = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.on('data', (chunk: Buffer) =>
        this.count(chunk.length, () => {
          upstream.destroy();
          client.destroy();
        }),
      );
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      this.upstreamError = new DomainError('url_unreachable', `cannot reach ${url.host}: ${err.code === 'ETIMEDOUT' ? `no answer within ${this.opts.connectTimeoutMs} ms` : err.code ?? err.message}`);
      if (!connected) answer('502 Bad Gateway', this.upstreamError.message);
      else client.destroy();
    });
    client.once('close', () => upstream.destroy());
  }
}
