import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import { DomainError } from './errors.js';
import { checkImportUrl, checkResolved, embeddedIpv4, ipFamily, isForbiddenAddress, parseAllowlist, type UrlPolicy } from './url-policy.js';

const none: UrlPolicy = { allowlist: [] };
const allow = (list: string, extra: Partial<UrlPolicy> = {}): UrlPolicy => ({ allowlist: parseAllowlist(list), ...extra });
const forbidden = (e: unknown) => e instanceof DomainError && e.code === 'url_forbidden';

describe('URL import policy', () => {
  it('forbids loopback, private, link-local, CGNAT, metadata and their IPv6 forms', () => {
    for (const ip of ['127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.127.255.254', '0.0.0.0', '224.0.0.1', '255.255.255.255', '192.0.0.192',
      '::1', '::', 'fe80::1', 'fe80::1%eth0', 'fd00:ec2::254', 'fc00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '64:ff9b::10.0.0.1', 'ff02::1', 'not-an-ip',
      // IPv4-embedded loopback in its other spellings: compatible, translated, 6to4, Teredo, local NAT64.
      '::7f00:1', '::127.0.0.1', '::ffff:0:7f00:1', '::ffff:0:127.0.0.1', '2002:7f00:1::', '2002:a9fe:a9fe::1', '2001:0:4136:e378:8000:63bf:80ff:fffe', '64:ff9b:1::808:808']) {
      assert.equal(isForbiddenAddress(ip), true, ip);
    }
    for (const ip of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:808:808::1', '64:ff9b::808:808']) {
      assert.equal(isForbiddenAddress(ip), false, ip);
    }
  });

  it('reads addresses as node does, and the IPv4 inside IPv6 forms', () => {
    for (const ip of ['1.2.3.4', '01.2.3.4', '256.0.0.1', '1.2.3', '::', '1::', '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1::2::3', 'gggg::1', '12345::', 'fe80::1%eth0']) {
      assert.equal(ipFamily(ip), isIP(ip.replace(/%.*$/, '')), ip);
    }
    assert.deepEqual(embeddedIpv4('::ffff:0:7f00:1'), ['127.0.0.1']);
    assert.deepEqual(embeddedIpv4('2002:c000:0204::1'), ['192.0.2.4']);
    assert.deepEqual(embeddedIpv4('2606:4700:4700::1111'), []);
  });

  it('judges the resolved addresses: one bad address is enough; the allowlist lets a host through', () => {
    const url = new URL('https://media.example.com/v.mp4');
    assert.doesNotThrow(() => checkResolved(url, ['93.184.216.34'], none));
    assert.throws(() => checkResolved(url, ['93.184.216.34', '10.0.0.5'], none), (e: DomainError) => forbidden(e) && /MEDIAFORGE_URL_ALLOWLIST/.test(e.message));
    assert.doesNotThrow(() => checkResolved(url, ['10.0.0.5'], allow(' Media.Example.com ,127.0.0.1')));
    assert.doesNotThrow(() => checkResolved(new URL('http://[::1]:8080/'), ['::1'], allow('[::1]')));
  });

  it('an entry with a port allows that port only, redirects included; one without allows every port', () => {
    const policy = allow('127.0.0.1:3791,[::1]:8080,media.internal:443');
    assert.doesNotThrow(() => checkResolved(new URL('http://127.0.0.1:3791/a.mp4'), ['127.0.0.1'], policy));
    assert.throws(() => checkResolved(new URL('http://127.0.0.1:3792/secret'), ['127.0.0.1'], policy), forbidden);
    assert.throws(() => checkResolved(new URL('http://127.0.0.1/secret'), ['127.0.0.1'], policy), forbidden, 'port 80 is not 3791');
    assert.doesNotThrow(() => checkResolved(new URL('http://[::1]:8080/'), ['::1'], policy));
    assert.throws(() => checkResolved(new URL('http://[::1]:8081/'), ['::1'], policy), forbidden);
    assert.doesNotThrow(() => checkResolved(new URL('https://media.internal/x'), ['10.1.1.1'], policy), 'https means 443');
    assert.throws(() => checkResolved(new URL('http://media.internal/x'), ['10.1.1.1'], policy), forbidden, 'http means 80');
    const anyPort = allow('127.0.0.1');
    for (const port of [80, 3791, 65535]) assert.doesNotThrow(() => checkResolved(new URL(`http://127.0.0.1:${port}/`), ['127.0.0.1'], anyPort));
  });

  it('never reaches this server\'s own API, allowlisted or not', () => {
    const self = { listenPorts: () => [3000], addresses: ['10.0.0.7'], origins: [{ host: 'media.example.com', port: 443 }] };
    const policy = allow('127.0.0.1,10.0.0.7,localhost', { self });
    for (const [url, addrs] of [['http://127.0.0.1:3000/v1/jobs', ['127.0.0.1']], ['http://localhost:3000/', ['::1', '127.0.0.1']], ['http://10.0.0.7:3000/', ['10.0.0.7']], ['http://[::ffff:127.0.0.1]:3000/', ['::ffff:127.0.0.1']], ['https://media.example.com/v1/files/x', ['93.184.216.34']]] as const) {
      assert.throws(() => checkResolved(new URL(url), [...addrs], policy), (e: DomainError) => forbidden(e) && /own API/.test(e.message), url);
    }
    assert.doesNotThrow(() => checkResolved(new URL('http://127.0.0.1:3001/a.mp4'), ['127.0.0.1'], policy), 'another port of an allowlisted host');
    assert.doesNotThrow(() => checkResolved(new URL('https://cdn.example.com/a.mp4'), ['93.184.216.35'], policy));
  });

  it('refuses allowlist entries that could never match, naming them', () => {
    assert.deepEqual(parseAllowlist(' Media.Internal , 10.0.0.5:9000,[FD00::5]:8080,::1,[::1]'), [
      { host: 'media.internal', port: null },
      { host: '10.0.0.5', port: 9000 },
      { host: 'fd00::5', port: 8080 },
      { host: '::1', port: null },
      { host: '::1', port: null },
    ]);
    assert.deepEqual(parseAllowlist(''), []);
    for (const bad of ['http://media.internal', 'media.internal/path', '*.example.com', '127.0.0.1:0', '127.0.0.1:70000', '127.0.0.1:abc', 'a:b:c', '[127.0.0.1]', 'user@host', '127.1', 'bad_host!']) {
      assert.throws(() => parseAllowlist(`ok.example,${bad}`), (e: Error) => e.message.includes(JSON.stringify(bad)), bad);
    }
  });

  it('only http(s) without credentials', () => {
    assert.equal(checkImportUrl('https://a.example/x').hostname, 'a.example');
    assert.throws(() => checkImportUrl('ftp://a.example/x'), forbidden);
    assert.throws(() => checkImportUrl('https://user:pw@a.example/x'), forbidden);
    assert.throws(() => checkImportUrl('not a url'), (e: DomainError) => e.code === 'validation_failed');
  });
});
