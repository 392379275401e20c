import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { DomainError } from '../../domain/errors.js';
import type { FetchedBody, UrlFetcher } from '../../ports/url-fetcher.port.js';
import { checkImportUrl, type UrlPolicy } from '../../domain/url-policy.js';
import { resolveChecked, type PinnedAddress } from './resolve-checked.js';

export interface GuardedFetcherOptions extends UrlPolicy {
  maxRedirects: number;
  /** Until the response headers arrive (each hop). */
  connectTimeoutMs: number;
  userAgent?: string;
}

const NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE']);

/**
 * Fetches with node's http/https, resolving each host itself: every address the name
 * resolves to is checked, and the socket connects to the checked address (a `lookup` that
 * returns it), so a DNS answer that changes between check and connect (DNS rebinding)
 * cannot smuggle in a private address. TLS still verifies the certificate for the host
 * name. Redirects are followed by hand, each hop checked again.
 */
export class GuardedHttpFetcher implements UrlFetcher {
  constructor(private readonly opts: GuardedFetcherOptions) {}

  async open(raw: string, signal: AbortSignal): Promise<FetchedBody> {
    let url = checkImportUrl(raw);
    for (let hop = 0; ; hop++) {
      const res = await this.request(url, signal);
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (hop >= this.opts.maxRedirects) throw new DomainError('url_http_error', `more than ${this.opts.maxRedirects} redirects, starting at ${raw}`);
        url = checkImportUrl(new URL(res.headers.location, url));
        continue;
      }
      if (status === 404 || status === 410) {
        res.resume();
        throw new DomainError('url_not_found', `${url.href} answered ${status}: there is no file at that address`);
      }
      if (status < 200 || status >= 300) {
        res.resume();
        throw new DomainError('url_http_error', `${url.href} answered HTTP ${status}`, { status });
      }
      const length = Number(res.headers['content-length']);
      return {
        body: res,
        finalUrl: url.href,
        status,
        contentType: res.headers['content-type'] ?? null,
        contentLength: Number.isFinite(length) && res.headers['content-length'] !== undefined ? length : null,
      };
    }
  }

  private async request(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
    const pinned = await resolveChecked(url, this.opts);
    const lookup: LookupFunction = (_host, options, cb) => {
      if ((options as { all?: boolean }).all) (cb as unknown as (err: null, addresses: PinnedAddress[]) => void)(null, [pinned]);
      else cb(null, pinned.address, pinned.family);
    };
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = mod.request(url, {
        method: 'GET',
        lookup,
        signal,
        headers: { 'user-agent': this.opts.userAgent ?? 'mediaforge-url-import', accept: '*/*', 'accept-encoding': 'identity' },
        agent: false,
      });
      const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), this.opts.connectTimeoutMs);
      req.once('response', (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      req.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (signal.aborted) return reject(err);
        const code = err.code ?? '';
        const why = code === 'ETIMEDOUT' ? `no answer within ${this.opts.connectTimeoutMs} ms` : NETWORK_CODES.has(code) ? code : err.message;
        reject(new DomainError('url_unreachable', `cannot reach ${url.host}: ${why}`));
      });
      req.end();
    });
  }
}
