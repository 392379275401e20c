import { BlockList, isIP } from 'node:net';
import { DomainError } from '../domain/errors.js';

/**
 * Which URLs and addresses a URL import may reach. Server-side request forgery is judged on
 * the resolved addresses, not on the name: a public-looking name that resolves to 127.0.0.1
 * is as forbidden as 127.0.0.1 itself. Hosts on the allowlist (exact names or literal
 * addresses, from MEDIAFORGE_URL_ALLOWLIST) skip the address check.
 */
const blocked = new BlockList();
const V4: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, including 169.254.169.254 cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments (incl. 192.0.0.192 Oracle metadata)
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const V6: Array<[string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (incl. fd00:ec2::254 AWS metadata)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];
for (const [net, bits] of V4) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of V6) blocked.addSubnet(net, bits, 'ipv6');

/** The IPv4 address embedded in an IPv4-mapped, -compatible or NAT64 IPv6 address. */
function embeddedV4(ip: string): string | null {
  const m = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (m) return m[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (!hex) return null;
  const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** True for loopback, private, link-local, CGNAT, metadata and other non-public addresses. */
export function isForbiddenAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return blocked.check(ip, 'ipv4');
  if (family === 6) {
    const bare = ip.replace(/%.*$/, '');
    const v4 = embeddedV4(bare);
    if (v4) return isForbiddenAddress(v4);
    return blocked.check(bare, 'ipv6');
  }
  return true; // not an address at all: refuse rather than guess
}

export interface UrlPolicy {
  /** Lower-case host names or literal addresses that may be fetched whatever they resolve to. */
  allowlist: ReadonlySet<string>;
}

export function parseAllowlist(value: string | undefined): Set<string> {
  return new Set((value ?? '').split(',').map((h) => h.trim().toLowerCase().replace(/^\[|\]$/g, '')).filter(Boolean));
}

/** The host as compared with the allowlist: lower case, IPv6 without brackets. */
export const hostKey = (url: URL) => url.hostname.toLowerCase().replace(/^\[|\]$/g, '');

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

/** Throws url_forbidden unless every resolved address is public (or the host is allowlisted). */
export function checkResolved(url: URL, addresses: string[], policy: UrlPolicy): void {
  if (policy.allowlist.has(hostKey(url))) return;
  const bad = addresses.find(isForbiddenAddress);
  if (bad !== undefined || addresses.length === 0) {
    throw new DomainError(
      'url_forbidden',
      `${url.hostname} resolves to ${bad ?? 'no address'}, a loopback, private, link-local or metadata address; imports may only reach public hosts (an operator can allow a host with MEDIAFORGE_URL_ALLOWLIST)`,
    );
  }
}
