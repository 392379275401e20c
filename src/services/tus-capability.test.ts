import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDomainError } from '../domain/errors.js';
import { TusCapabilities } from './tus-capability.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return isDomainError(err) ? err.code : String(err);
  }
  return 'accepted';
};

describe('TusCapabilities (the token of one browser tus upload)', () => {
  const caps = new TusCapabilities('a-test-signing-secret-of-at-least-32-chars', 600);
  const now = 1_800_000_000_000;

  it('opens the upload it was issued for, as its account, until it expires', () => {
    const { token, expiresAt } = caps.issue('upl_a', 'acc_one', now);
    assert.equal(expiresAt, now + 600_000);
    assert.equal(caps.verify('upl_a', token, now), 'acc_one');
    assert.equal(caps.verify('upl_a', token, expiresAt), 'acc_one');
    assert.equal(code(() => caps.verify('upl_a', token, expiresAt + 1000)), 'upload_token_expired');
  });

  it('opens no other upload, and no edited token', () => {
    const { token } = caps.issue('upl_a', 'acc_one', now);
    assert.equal(code(() => caps.verify('upl_b', token, now)), 'upload_token_invalid');
    const [, expires, mac] = token.split('.');
    assert.equal(code(() => caps.verify('upl_a', `acc_two.${expires}.${mac}`, now)), 'upload_token_invalid', 'another account');
    assert.equal(code(() => caps.verify('upl_a', `acc_one.${Number(expires) + 3600}.${mac}`, now)), 'upload_token_invalid', 'a later expiry');
    assert.equal(code(() => caps.verify('upl_a', 'garbage', now)), 'upload_token_invalid');
    assert.equal(code(() => new TusCapabilities('another-signing-secret-of-32-chars-x', 600).verify('upl_a', token, now)), 'upload_token_invalid', 'another secret');
  });
});
