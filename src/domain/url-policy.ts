import { DomainError } from './errors.js';

/**
 * Which URLs and addresses a URL import may reach. Server-side request forgery is judged on
 * the resolved addresses, not on the name: a public-looking name that resolves to 127.0.0.1
 * is as forbidden as 127.0.0.1 itself. Entries of the allowlist (MEDIAFORGE_URL_ALLOWLIST)
 * skip the address check for one host, on one port or on all of its ports. This server's own
 * API is never a target, allowlisted or not. Pure: addresses are parsed here, to bytes.
 */

/** Dotted quad, each part 0–255 without leading zeros. */
function ipv4Bytes(ip: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const parts = m.slice(1);
  return parts.every((p) => Number(p) <= 255 && (p === '0' || !p.startsWith('0'))) ? parts.map(Number) : null;
}

/** An IPv6 address (optionally with a zone, `%eth0`) as its 16 bytes, or null. */
function ipv6Bytes(ip: string): number[] | null {
  let text = ip.replace(/%[\w.-]+$/, '');
  if (!/^[0-9a-f:.]+$/i.test(text) || (text.match(/::/g) ?? []).length > 1) return null;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const quad = ipv4Bytes(text.slice(lastColon + 1));
    if (!quad) return null;
    tail = quad;
    text = text.slice(0, lastColon + 1); // keep a '::' before the quad, drop a single ':'
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const group = (g: string) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN);
  const want = tail.length ? 6 : 8;
  let groups: number[];
  if (text.includes('::')) {
    const [l, r] = text.split('::');
    const left = l ? l.split(':').map(group) : [];
    const right = r ? r.split(':').map(group) : [];
    if (left.length + right.length > want - 1) return null;
    groups = [...left, ...Array(want - left.length - right.length).fill(0), ...right];
  } else groups = text.split(':').map(group);
  if (groups.length !== want || groups.some(Number.isNaN)) return null;
  return [...groups.flatMap((g) => [g >> 8, g & 255]), ...tail];
}

/** 4 or 6 for a literal IP address, 0 for anything else. */
export function ipFamily(ip: string): 0 | 4 | 6 {
  return ipv4Bytes(ip) ? 4 : ipv6Bytes(ip) ? 6 : 0;
}

type Subnet = { bytes: number[]; bits: number };
const subnet = (net: string, bits: number): Subnet => ({ bytes: (ipv4Bytes(net) ?? ipv6Bytes(net))!, bits });
const inSubnet = (b: number[], s: Subnet) => {
  if (b.length !== s.bytes.length) return false;
  for (let bit = 0; bit < s.bits; bit++) {
    const mask = 0x80 >> bit % 8;
    if ((b[bit >> 3] & mask) !== (s.bytes[bit >> 3] & mask)) return false;
  }
  return true;
};

const V4: Subnet[] = [
  subnet('0.0.0.0', 8), // "this network"
  subnet('10.0.0.0', 8), // private
  subnet('100.64.0.0', 10), // carrier-grade NAT
  subnet('127.0.0.0', 8), // loopback
  subnet('169.254.0.0', 16), // link-local, including 169.254.169.254 cloud metadata
  subnet('172.16.0.0', 12), // private
  subnet('192.0.0.0', 24), // IETF protocol assignments (incl. 192.0.0.192 Oracle metadata)
  subnet('192.0.2.0', 24), // documentation
  subnet('192.88.99.0', 24), // 6to4 relay
  subnet('192.168.0.0', 16), // private
  subnet('198.18.0.0', 15), // benchmarking
  subnet('198.51.100.0', 24), // documentation
  subnet('203.0.113.0', 24), // documentation
  subnet('224.0.0.0', 4), // multicast
  subnet('240.0.0.0', 4), // reserved, broadcast
];
const V6: Subnet[] = [
  subnet('::', 128), // unspecified
  subnet('::1', 128), // loopback
  subnet('64:ff9b:1::', 48), // local-use NAT64
  subnet('100::', 64), // discard
  subnet('2001:db8::', 32), // documentation
  subnet('fc00::', 7), // unique local (incl. fd00:ec2::254 AWS metadata)
  subnet('fe80::', 10), // link-local
  subnet('fec0::', 10), // site-local (deprecated)
  subnet('ff00::', 8), // multicast
];

const v4 = (b: number[]) => b.join('.');

/**
 * The IPv4 addresses an IPv6 address stands for: mapped (::ffff:a.b.c.d), compatible
 * (::a.b.c.d, also written ::7f00:1), translated (::ffff:0:a.b.c.d), NAT64 (64:ff9b::/96),
 * 6to4 (2002:AABB:CCDD::) and Teredo (2001:0::/32: server, and the client obfuscated).
 */
export function embeddedIpv4(ip: string): string[] {
  const b = ipv6Bytes(ip);
  if (!b) return [];
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const last = b.slice(12, 16);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return [v4(last)];
  if (zeros(0, 12)) return [v4(last)];
  if (zeros(0, 8) && b[8] === 0xff && b[9] === 0xff && zeros(10, 12)) return [v4(last)];
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return [v4(last)];
  if (b[0] === 0x20 && b[1] === 0x02) return [v4(b.slice(2, 6))];
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0 && b[3] === 0) return [v4(b.slice(4, 8)), v4(last.map((x) => x ^ 0xff))];
  return [];
}

/** True for loopback, private, link-local, CGNAT, metadata and other non-public addresses. */
export function isForbiddenAddress(ip: string): boolean {
  const b4 = ipv4Bytes(ip);
  if (b4) return V4.some((s) => inSubnet(b4, s));
  const b6 = ipv6Bytes(ip);
  if (!b6) return true; // not an address at all: refuse rather than guess
  if (embeddedIpv4(ip).some(isForbiddenAddress)) return true;
  return V6.some((s) => inSubnet(b6, s));
}

/** One allowlist entry: a host (canonical, as URL parsing spells it, IPv6 without brackets) and a port, or every port. */
export interface AllowEntry {
  host: string;
  port: number | null;
}

/** Where this server's own API can be reached; imports may never fetch from it. */
export interface SelfTarget {
  /** Ports the API listens on, at any address of this machine (read at each check: a port chosen at listen time joins later). */
  listenPorts: () => readonly number[];
  /** Addresses of this machine besides loopback and unspecified, which always count. */
  addresses: readonly string[];
  /** Host and port of the API's public URL. */
  origins: readonly AllowEntry[];
}

export interface UrlPolicy {
  allowlist: readonly AllowEntry[];
  self?: SelfTarget;
  /** What the URLs are for, in refusals: URL imports unless said (webhooks use WEBHOOK_PURPOSE). */
  purpose?: UrlPurpose;
}

/** Who is refused and which setting lets an operator allow a host, as the refusals say it. */
export interface UrlPurpose {
  /** Plural noun: `imports`, `webhooks`. */
  what: string;
  setting: string;
}

export const IMPORT_PURPOSE: UrlPurpose = { what: 'imports', setting: 'MEDIAFORGE_URL_ALLOWLIST' };
export const WEBHOOK_PURPOSE: UrlPurpose = { what: 'webhooks', setting: 'MEDIAFORGE_WEBHOOK_ALLOWLIST' };

/**
 * Parses `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address, comma-separated.
 * Throws with the entry named when an entry could never match a URL: a scheme, a path, a
 * wildcard, a port out of range, a name that is not a host name.
 */
export function parseAllowlist(value: string | undefined): AllowEntry[] {
  return (value ?? '').split(',').map((e) => e.trim()).filter(Boolean).map(parseEntry);
}

function parseEntry(entry: string): AllowEntry {
  const fail = (why: string): never => {
    throw new Error(`allowlist entry ${JSON.stringify(entry)} ${why}; write host, host:port, [ipv6] or [ipv6]:port, e.g. media.internal,10.0.0.5:9000,[fd00::5]:8080`);
  };
  if (/[/@*?#\s]/.test(entry)) fail('is not a host (no scheme, path, user or wildcard)');
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(entry);
  if (bracketed) [, host, portText] = bracketed;
  else if ((entry.match(/:/g) ?? []).length >= 2) host = entry; // a bare IPv6 address: no port
  else [host, portText] = entry.split(':') as [string, string | undefined];
  if (bracketed && ipFamily(host) !== 6) fail('has brackets around something that is not an IPv6 address');
  let port: number | null = null;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) fail('has a port that is not 1 to 65535');
  }
  if (ipFamily(host) === 0 && !/^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?$/i.test(host)) {
    fail('is not a host name (letters, digits, - and _ in dot-separated labels)');
  }
  let canonical: string;
  try {
    canonical = new URL(`http://${ipFamily(host) === 6 ? `[${host}]` : host}/`).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return fail('is not a valid host name or address');
  }
  if (!canonical || (ipFamily(host) === 0 && /^[\d.]+$/.test(host) && canonical !== host)) {
    fail(`is not a canonical address (URLs spell it ${canonical})`);
  }
  return { host: canonical, port };
}

/** The host as compared with the allowlist: lower case, IPv6 without brackets. */
export const hostKey = (url: URL) => url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
/** The port a request to this URL connects to. */
export const effectivePort = (url: URL) => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);

export function isAllowlisted(url: URL, policy: UrlPolicy): boolean {
  const host = hostKey(url);
  const port = effectivePort(url);
  return policy.allowlist.some((e) => e.host === host && (e.port === null || e.port === port));
}

/** A webhook's URL as the endpoint is created or changed: http(s), no credentials, a host. */
export function checkWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DomainError('validation_failed', `not a valid URL: ${JSON.stringify(raw.slice(0, 200))}`, { path: 'url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DomainError('url_forbidden', `a webhook URL must be http or https (got ${url.protocol.replace(':', '')})`);
  if (url.username || url.password) throw new DomainError('url_forbidden', 'a webhook URL cannot carry a user name or password; authenticate deliveries by their signature');
  if (!url.hostname) throw new DomainError('validation_failed', 'the URL has no host', { path: 'url' });
  return url;
}

/** Checks a URL before any network access: scheme, no credentials, a host. */
export function checkImportUrl(raw: string | URL): URL {
  let url: URL;
  try {
    url = typeof raw === 'string' ? new URL(raw) : raw;
  } catch {
    throw new DomainError('validation_failed', `not a valid URL: ${JSON.stringify(String(raw).slice(0, 200))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DomainError('url_forbidden', `only http and https URLs can be imported (got ${url.protocol.replace(':', '')})`);
  }
  if (url.username || url.password) throw new DomainError('url_forbidden', 'URLs with a user name or password cannot be imported; use a link that needs no credentials');
  if (!url.hostname) throw new DomainError('validation_failed', 'the URL has no host');
  return url;
}

function isSelf(url: URL, addresses: string[], self: SelfTarget): boolean {
  const host = hostKey(url);
  const port = effectivePort(url);
  if (self.origins.some((o) => o.host === host && o.port === port)) return true;
  if (!self.listenPorts().includes(port)) return false;
  const local = (a: string) => {
    const ip = embeddedIpv4(a)[0] ?? a.replace(/%.*$/, '');
    return self.addresses.includes(ip) || ip.startsWith('127.') || ip === '0.0.0.0' || ip === '::1' || ip === '::';
  };
  return addresses.some(local);
}

/**
 * Throws url_forbidden for this server's own API, and unless the URL's host and port are
 * allowlisted, for any resolved address that is not public.
 */
export function checkResolved(url: URL, addresses: string[], policy: UrlPolicy): void {
  const purpose = policy.purpose ?? IMPORT_PURPOSE;
  if (policy.self && isSelf(url, addresses, policy.self)) {
    throw new DomainError(
      'url_forbidden',
      purpose === IMPORT_PURPOSE
        ? `${url.host} is this mediaforge server's own API; an import cannot fetch from it (upload the file, or give its signed link's origin a different host)`
        : `${url.host} is this mediaforge server's own API; ${purpose.what} cannot be sent to it`,
    );
  }
  if (isAllowlisted(url, policy)) return;
  const bad = addresses.find(isForbiddenAddress);
  if (bad !== undefined || addresses.length === 0) {
    throw new DomainError(
      'url_forbidden',
      `${url.host} resolves to ${bad ?? 'no address'}, a loopback, private, link-local or metadata address; ${purpose.what} may only reach public hosts (an operator can allow a host or host:port with ${purpose.setting})`,
    );
  }
}
