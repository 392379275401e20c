import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhookSecretBox } from './webhook-secrets.js';

describe('webhook secrets at rest', () => {
  const box = new WebhookSecretBox('signing-secret-0123456789abcdef0123456789');
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

  it('seals so that the stored text does not hold the secret, and opens it again', () => {
    const sealed = box.seal(secret);
    assert.match(sealed, /^v1\.[\w-]+\.[\w-]+$/);
    assert.ok(!sealed.includes('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'));
    assert.notEqual(box.seal(secret), sealed, 'a fresh IV each time');
    assert.equal(box.open(sealed), secret);
    assert.equal(new WebhookSecretBox('signing-secret-0123456789abcdef0123456789').open(sealed), secret, 'another process with the same signing secret');
  });

  it('refuses another signing secret and a changed text', () => {
    const sealed = box.seal(secret);
    assert.throws(() => new WebhookSecretBox('another-secret-0123456789abcdef0123456789').open(sealed), /MEDIAFORGE_SIGNING_SECRET/);
    const flipped = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'B' : 'A') + sealed.slice(-1);
    assert.throws(() => box.open(flipped));
    assert.throws(() => box.open(secret), /not a sealed/);
  });
});
