import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GuardedWebhookTransport } from '../../src/adapters/http-fetch/webhook.transport.js';
import { isDomainError } from '../../src/domain/errors.js';
import { WEBHOOK_PURPOSE, type UrlPolicy } from '../../src/domain/url-policy.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const rejectsWith = (p: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(isDomainError(err), String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });

/** The webhook transport against real local servers: the policy at every attempt, no redirects, the caps. */
describe('webhook transport', () => {
  let a: WebhookReceiver;
  let b: WebhookReceiver;
  let policy: UrlPolicy;
  let transport: GuardedWebhookTransport;
  const post = (url: string, timeoutMs = 5000, t = transport) => t.post(url, { 'content-type': 'application/json', 'webhook-id': 'evt_1' }, '{"type":"webhook.test"}', timeoutMs);

  before(async () => {
    a = await WebhookReceiver.start();
    b = await WebhookReceiver.start();
    policy = { allowlist: [{ host: '127.0.0.1', port: a.port }, { host: '127.0.0.1', port: b.port }], purpose: WEBHOOK_PURPOSE };
    transport = new GuardedWebhookTransport(policy);
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it('POSTs the body and headers to an allowed receiver and returns its status, Retry-After and body', async () => {
    a.answer = () => ({ status: 429, headers: { 'retry-after': '30' }, body: 'slow down' });
    assert.deepEqual(await post(a.url()), { status: 429, retryAfter: '30', body: 'slow down' });
    const [got] = a.received.slice(-1);
    assert.equal(got.body, '{"type":"webhook.test"}');
    assert.equal(got.headers['webhook-id'], 'evt_1');
  });

  it('refuses an address the policy does not allow before connecting, at every attempt', async () => {
    const before = a.received.length;
    const strict = new GuardedWebhookTransport({ allowlist: [], purpose: WEBHOOK_PURPOSE });
    await rejectsWith(post(a.url(), 5000, strict), 'url_forbidden', /MEDIAFORGE_WEBHOOK_ALLOWLIST/);
    await rejectsWith(strict.check(a.url()), 'url_forbidden');
    // The allowlist names the address; a name that resolves to it is still judged by what it resolves to.
    await rejectsWith(post(`http://localhost:${a.port}/hook`), 'url_forbidden', /resolves to/);
    assert.equal(a.received.length, before, 'nothing reached the receiver');
  });

  it("refuses this server's own API even when its address is allowlisted", async () => {
    const self = new GuardedWebhookTransport({ ...policy, self: { listenPorts: () => [a.port], addresses: [], origins: [] } });
    await rejectsWith(post(a.url(), 5000, self), 'url_forbidden', /own API/);
  });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    a.answer = () => ({ status: 302, headers: { location: b.url('/elsewhere') } });
    const before = b.received.length;
    assert.equal((await post(a.url())).status, 302);
    assert.equal(b.received.length, before, 'the redirect target got nothing');
  });

  it('keeps the first 1 KiB of a large answer', async () => {
    a.answer = () => ({ status: 200, body: 'x'.repeat(200_000) });
    assert.equal((await post(a.url())).body, 'x'.repeat(1024));
  });

  it('gives up on a receiver that does not answer within the timeout, and on a refused connection', async () => {
    a.answer = () => 'hang';
    await rejectsWith(post(a.url(), 300), 'url_unreachable', /no answer .* within 300 ms/);
    const closed = await WebhookReceiver.start();
    const port = closed.port;
    await closed.close();
    const t = new GuardedWebhookTransport({ allowlist: [{ host: '127.0.0.1', port }], purpose: WEBHOOK_PURPOSE });
    await rejectsWith(post(`http://127.0.0.1:${port}/`, 5000, t), 'url_unreachable', /ECONNREFUSED/);
  });
});
