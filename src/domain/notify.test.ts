import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from './errors.js';
import { checkNotifyEmail, isEmailAddress } from './notify.js';

describe('notify addresses', () => {
  it('takes one plain mailbox and nothing that could reach a header or name a second recipient', () => {
    for (const ok of ['dev@example.com', 'a.b+tag@sub.example.co', "o'neil@example.org"]) assert.equal(isEmailAddress(ok), true, ok);
    for (const bad of ['dev', 'dev@localhost', 'Dev <dev@example.com>', 'a@b.com,c@d.com', 'a@b.com;c@d.com', 'a@b.com\r\nBcc: x@evil.com', 'a b@example.com', '.a@example.com', 'a.@example.com', 'a..b@example.com', `${'a'.repeat(65)}@example.com`, `a@${'b'.repeat(250)}.com`, 'a@-b.com']) {
      assert.equal(isEmailAddress(bad), false, JSON.stringify(bad));
    }
  });

  it('refuses an invalid address before asking whether e-mail is configured', () => {
    assert.throws(() => checkNotifyEmail('nope', 'notify.email', false), (e: unknown) => e instanceof DomainError && e.code === 'email_invalid');
    assert.throws(() => checkNotifyEmail('dev@example.com', 'notify.email', false), (e: unknown) => e instanceof DomainError && e.code === 'email_not_configured');
    assert.equal(checkNotifyEmail('dev@example.com', 'notify.email', true), 'dev@example.com');
  });
});
