import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, sign, signatureHeaders } from './webhook-signature.js';

describe('webhook signatures (checked with the standardwebhooks package)', () => {
  const body = JSON.stringify({ type: 'job.succeeded', timestamp: '2026-01-01T00:00:00.000Z', data: { id: 'job_1' } });
  const now = () => Math.floor(Date.now() / 1000);

  it('a delivery signed with the secret verifies, and a changed body or id does not', () => {
    const secret = generateWebhookSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const headers = signatureHeaders([secret], 'evt_1', now(), body);
    assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
    assert.throws(() => new Webhook(secret).verify(body.replace('job_1', 'job_2'), headers), /signature/i);
    assert.throws(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'evt_2' }), /signature/i);
    assert.throws(() => new Webhook(generateWebhookSecret()).verify(body, headers), /signature/i, 'another secret');
  });

  it('two secrets give two signatures: a receiver holding either one verifies', () => {
    const [fresh, old] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = signatureHeaders([fresh, old], 'evt_1', now(), body);
    assert.equal(headers['webhook-signature'].split(' ').length, 2);
    for (const s of [fresh, old]) assert.ok(new Webhook(s).verify(body, headers));
  });

  it('matches the reference signature of the Standard Webhooks specification', () => {
    // The example of the specification's README (and of every official library's tests).
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const payload = '{"test": 2432232314}';
    assert.equal(sign(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, payload), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});
