import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DomainError } from '../../domain/errors.js';
import { checkResolved, type UrlPolicy } from '../../domain/url-policy.js';

export interface PinnedAddress {
  address: string;
  family: number;
}

/**
 * Resolves the URL's host once and checks every address against the policy; the caller
 * connects to the returned address and never looks the name up again, so a DNS answer that
 * changes between check and connect (DNS rebinding) cannot smuggle in a private address.
 * Shared by the guarded fetcher and the yt-dlp policy proxy so both refuse the same targets.
 */
export async function resolveChecked(url: URL, policy: UrlPolicy): Promise<PinnedAddress> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: PinnedAddress[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await dnsLookup(host, { all: true, verbatim: true });
    } catch (err) {
      throw new DomainError('url_unreachable', `cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  checkResolved(url, addresses.map((a) => a.address), policy);
  return addresses[0];
}
