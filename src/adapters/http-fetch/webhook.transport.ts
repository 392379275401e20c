import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { DomainError, isDomainError } from '../../domain/errors.js';
import { checkWebhookUrl, type UrlPolicy } from '../../domain/url-policy.js';
import { RESPONSE_KEEP_BYTES } from '../../domain/webhooks.js';
import type { WebhookAnswer, WebhookTransport } from '../../ports/webhooks.port.js';
import { resolveChecked, type PinnedAddress } from './resolve-checked.js';

const NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE']);

/**
 * POSTs webhook deliveries with node's http/https under the webhook URL policy (the same rules
 * as URL import, with MEDIAFORGE_WEBHOOK_ALLOWLIST): at every attempt the host is resolved
 * and every address checked, and the socket connects to the checked address (a `lookup` that
 * returns it), so a DNS answer that changes between the check at creation and a later attempt
 * (DNS rebinding) cannot reach inside. Redirects are not followed (a 3xx is a failed attempt);
 * the answer's body is read up to RESPONSE_KEEP_BYTES and the connection then closed; the
 * whole exchange, the lookup included, is cut at the timeout.
 */
export class GuardedWebhookTransport implements WebhookTransport {
  constructor(private readonly policy: UrlPolicy) {}

  async check(raw: string): Promise<void> {
    await resolveChecked(checkWebhookUrl(raw), this.policy);
  }

  async post(raw: string, headers: Record<string, string>, body: string, timeoutMs: number, signal?: AbortSignal): Promise<WebhookAnswer> {
    const url = checkWebhookUrl(raw);
    const cut = new AbortController();
    const timer = setTimeout(() => cut.abort(new DomainError('url_unreachable', `no answer from ${url.host} within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => cut.abort(signal?.reason ?? new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const pinned = await Promise.race([resolveChecked(url, this.policy), aborted(cut.signal)]);
      const res = await this.request(url, pinned, headers, body, cut.signal);
      return { status: res.statusCode ?? 0, retryAfter: header(res, 'retry-after'), body: await readCapped(res, cut.signal) };
    } catch (err) {
      if (cut.signal.aborted) throw cut.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private request(url: URL, pinned: PinnedAddress, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<IncomingMessage> {
    const lookup: LookupFunction = (_host, options, cb) => {
      if ((options as { all?: boolean }).all) (cb as unknown as (err: null, addresses: PinnedAddress[]) => void)(null, [pinned]);
      else cb(null, pinned.address, pinned.family);
    };
    const payload = Buffer.from(body, 'utf8');
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = mod.request(url, { method: 'POST', lookup, signal, agent: false, headers: { ...headers, 'content-length': String(payload.length), 'accept-encoding': 'identity' } });
      req.once('response', resolve);
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (signal.aborted || isDomainError(err)) return reject(err);
        const code = err.code ?? '';
        reject(new DomainError('url_unreachable', `cannot reach ${url.host}: ${NETWORK_CODES.has(code) ? code : err.message}`));
      });
      req.end(payload);
    });
  }
}

const header = (res: IncomingMessage, name: string): string | null => {
  const v = res.headers[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
};

/** Rejects with the signal's reason once it aborts. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** The first RESPONSE_KEEP_BYTES of the body; the rest is not read (the connection is closed). */
function readCapped(res: IncomingMessage, signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      res.removeAllListeners('data');
      resolve(Buffer.concat(chunks).subarray(0, RESPONSE_KEEP_BYTES).toString('utf8'));
    };
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= RESPONSE_KEEP_BYTES) {
        done();
        res.destroy();
      }
    });
    res.once('end', done);
    // An answer whose status came but whose body broke off or stalled: the status is what counts.
    res.once('error', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
