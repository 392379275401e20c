import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import { checkImportUrl, checkResolved, isForbiddenAddress, parseAllowlist } from './url-policy.js';

describe('URL import policy', () => {
  it('forbids loopback, private, link-local, CGNAT, metadata and their IPv6 forms', () => {
    for (const ip of ['127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.127.255.254', '0.0.0.0', '224.0.0.1', '255.255.255.255', '192.0.0.192',
      '::1', '::', 'fe80::1', 'fe80::1%eth0', 'fd00:ec2::254', 'fc00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '64:ff9b::10.0.0.1', 'ff02::1', 'not-an-ip']) {
      assert.equal(isForbiddenAddress(ip), true, ip);
    }
    for (const ip of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      assert.equal(isForbiddenAddress(ip), false, ip);
    }
  });

  it('judges the resolved addresses: one bad address is enough; the allowlist lets a host through', () => {
    const url = new URL('https://media.example.com/v.mp4');
    assert.doesNotThrow(() => checkResolved(url, ['93.184.216.34'], { allowlist: new Set() }));
    assert.throws(() => checkResolved(url, ['93.184.216.34', '10.0.0.5'], { allowlist: new Set() }), (e: DomainError) => e.code === 'url_forbidden' && /MEDIAFORGE_URL_ALLOWLIST/.test(e.message));
    assert.doesNotThrow(() => checkResolved(url, ['10.0.0.5'], { allowlist: parseAllowlist(' Media.Example.com ,127.0.0.1') }));
    assert.doesNotThrow(() => checkResolved(new URL('http://[::1]:8080/'), ['::1'], { allowlist: parseAllowlist('[::1]') }));
  });

  it('only http(s) without credentials', () => {
    assert.equal(checkImportUrl('https://a.example/x').hostname, 'a.example');
    assert.throws(() => checkImportUrl('ftp://a.example/x'), (e: DomainError) => e.code === 'url_forbidden');
    assert.throws(() => checkImportUrl('https://user:pw@a.example/x'), (e: DomainError) => e.code === 'url_forbidden');
    assert.throws(() => checkImportUrl('not a url'), (e: DomainError) => e.code === 'validation_failed');
  });
});
