import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/adapters/system-clock.js';
import { AuthService, hashApiKey } from '../../src/services/auth.service.js';
import { media } from '../helpers/media.js';
import { collectEvents, startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/**
 * One request from a chosen local address (127.0.0.1, 127.0.0.2, …: all of 127/8 is this
 * machine), so each test can be its own unauthenticated caller.
 */
function call(base: string, method: string, path: string, opts: { key?: string | null; from?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
  const url = new URL(path, base);
  const headers: Record<string, string> = { ...opts.headers };
  const key = opts.key === undefined ? TEST_KEY : opts.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (opts.body) headers['content-length'] = String(opts.body.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, localAddress: opts.from ?? '127.0.0.1', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode!, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const num = (a: Answer, name: string) => Number(a.headers[name]);

describe('e2e: rate limits (embedded, 5 requests a minute)', { timeout: 120_000 }, () => {
  let p: TestPlatform;
  const SECOND_KEY = 'mf_second_key_0123456789abcdef';
  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '5' });
    // A second key of the installation, as a row in its database.
    await new AuthService({ db: p.platform.jobs.db, clock: systemClock }).ensureKey(SECOND_KEY, 'second');
  });
  after(async () => p?.stop());

  it('counts a key\'s requests in the RateLimit headers, then answers 429 rate_limited with Retry-After', async () => {
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const a = await call(p.base, 'GET', '/v1/jobs');
      assert.equal(a.status, 200, JSON.stringify(a.body));
      assert.equal(num(a, 'ratelimit-limit'), 5);
      const reset = num(a, 'ratelimit-reset');
      assert.ok(reset >= 1 && reset <= 60, `RateLimit-Reset ${reset}`);
      assert.equal(a.headers['retry-after'], undefined);
      seen.push(num(a, 'ratelimit-remaining'));
    }
    assert.deepEqual(seen, [4, 3, 2, 1, 0]);
    const over = await call(p.base, 'GET', '/v1/jobs');
    assert.equal(over.status, 429);
    assert.equal(over.body.error.code, 'rate_limited');
    assert.match(over.body.error.message, /this API key made more than 5 requests in a minute; wait \d+ s \(Retry-After\)/);
    assert.deepEqual(Object.keys(over.body), ['error']);
    const retryAfter = Number(over.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.deepEqual(over.body.error.details, { limit: 5, windowSeconds: 60, retryAfterSeconds: retryAfter, per: 'key' });
    assert.equal(num(over, 'ratelimit-limit'), 5);
    assert.equal(num(over, 'ratelimit-remaining'), 0);
    assert.equal(num(over, 'ratelimit-reset'), retryAfter);
    assert.match(String(over.headers['content-type']), /^application\/json/);

    // An upload past the budget is refused before its body is read, and the connection closed.
    const upload = await call(p.base, 'POST', '/v1/uploads?filename=x.bin', { body: Buffer.alloc(256 * 1024, 1), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(upload.status, 429);
    assert.equal(upload.body.error.code, 'rate_limited');
    assert.equal(upload.headers.connection, 'close');

    // Another key of the same client (and the same address) has its own budget.
    const other = await call(p.base, 'GET', '/v1/jobs', { key: SECOND_KEY });
    assert.equal(other.status, 200);
    assert.equal(num(other, 'ratelimit-remaining'), 4);
  });

  it('counts requests without a valid key per address: bad keys, no key, public routes and unknown routes share it', async () => {
    const from = '127.0.0.2';
    const answers = [
      await call(p.base, 'GET', '/v1/jobs', { key: 'mf_not_a_key_0123456789', from }),
      await call(p.base, 'GET', '/v1/jobs', { key: null, from }),
      await call(p.base, 'GET', '/v1/openapi.json', { key: null, from }),
      await call(p.base, 'GET', '/v1/no-such-route', { key: null, from }),
      await call(p.base, 'POST', '/v1/jobs', { key: 'mf_another_bad_key_0123', from }),
    ];
    assert.deepEqual(answers.map((a) => a.status), [401, 401, 200, 404, 401]);
    assert.deepEqual(answers.map((a) => num(a, 'ratelimit-remaining')), [4, 3, 2, 1, 0]);
    assert.equal(answers[0].body.error.code, 'unauthorized');

    // The next bad key from that address is answered 429: the flood is told to back off.
    const flood = await call(p.base, 'GET', '/v1/jobs', { key: 'mf_yet_another_bad_key_01', from });
    assert.equal(flood.status, 429);
    assert.equal(flood.body.error.code, 'rate_limited');
    assert.match(flood.body.error.message, /this address made more than 5 requests in a minute without a valid API key; wait \d+ s/);
    assert.equal(flood.body.error.details.per, 'address');
    assert.ok(Number(flood.headers['retry-after']) >= 1);
    assert.equal((await call(p.base, 'GET', '/v1/openapi.json', { key: null, from })).status, 429);

    // A valid key from that same address is counted against the key, not the address.
    const keyed = await call(p.base, 'GET', '/v1/jobs', { key: SECOND_KEY, from });
    assert.equal(keyed.status, 200);
    // Another address has its own budget.
    const elsewhere = await call(p.base, 'GET', '/v1/jobs', { key: 'mf_not_a_key_0123456789', from: '127.0.0.3' });
    assert.equal(elsewhere.status, 401);
    assert.equal(num(elsewhere, 'ratelimit-remaining'), 4);
  });

  it('refuses a key revoked after it was counted at once; its later requests count by address', async () => {
    const from = '127.0.0.4';
    const key = 'mf_revoked_later_0123456789abcdef';
    await new AuthService({ db: p.platform.jobs.db, clock: systemClock }).ensureKey(key, 'revoked later');
    const seen = [await call(p.base, 'GET', '/v1/jobs', { key, from }), await call(p.base, 'GET', '/v1/jobs', { key, from })];
    assert.deepEqual(seen.map((a) => [a.status, num(a, 'ratelimit-remaining')]), [[200, 4], [200, 3]]);
    const row = await p.platform.jobs.db.apiKeys.findByHash(hashApiKey(key));
    assert.ok(await p.platform.jobs.db.apiKeys.revoke(null, row!.id, Date.now()));
    // Counted against the key it was a moment ago, and refused: the key is read on every request.
    const refused = await call(p.base, 'GET', '/v1/jobs', { key, from });
    assert.deepEqual([refused.status, refused.body.error.code, num(refused, 'ratelimit-remaining')], [401, 'unauthorized', 2]);
    // From then on it is a bad key like any other: the address pays.
    const after = await call(p.base, 'GET', '/v1/jobs', { key, from });
    assert.deepEqual([after.status, num(after, 'ratelimit-remaining')], [401, 4]);
  });

  it('does not count file downloads (GET, HEAD, OPTIONS) or the health check; an upload counts once', async () => {
    const key = 'mf_third_key_0123456789abcdef';
    await new AuthService({ db: p.platform.jobs.db, clock: systemClock }).ensureKey(key, 'third');
    const clip = await readFile(await media('clip6.mp4'));
    const up = await call(p.base, 'POST', '/v1/uploads?filename=clip.mp4', { key, body: clip, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal(num(up, 'ratelimit-remaining'), 4);
    const created = await call(p.base, 'POST', '/v1/jobs', {
      key,
      body: Buffer.from(JSON.stringify({ input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail' }] })),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const events = await collectEvents(p.base, created.body.id, key);
    assert.equal(events.at(-1)?.data.status, 'succeeded');
    const job = await call(p.base, 'GET', `/v1/jobs/${created.body.id}`, { key });
    assert.equal(num(job, 'ratelimit-remaining'), 1);
    const fileUrl = new URL(job.body.outputs[0].files[0].url);

    for (let i = 0; i < 8; i++) {
      const get = await call(p.base, 'GET', fileUrl.pathname, { key: null });
      assert.equal(get.status, 200);
      assert.equal(get.headers['ratelimit-limit'], undefined);
      assert.equal((await call(p.base, 'HEAD', fileUrl.pathname, { key: null })).status, 200);
      assert.equal((await call(p.base, 'OPTIONS', fileUrl.pathname, { key: null })).status, 204);
      // A bad link is not counted either (it is refused by its signature, not by a lookup).
      assert.equal((await call(p.base, 'GET', fileUrl.pathname.replace(/\/v1\/files\/[^/]+\//, '/v1/files/1.AAAA/'), { key: null })).status, 403);
      assert.equal((await call(p.base, 'GET', '/healthz', { key: null })).status, 200);
    }
    const last = await call(p.base, 'GET', `/v1/jobs/${created.body.id}`, { key });
    assert.equal(last.status, 200);
    assert.equal(num(last, 'ratelimit-remaining'), 0);
    assert.equal((await call(p.base, 'GET', `/v1/jobs/${created.body.id}`, { key })).status, 429);
    // Downloads still work for the key's links once its API budget is spent.
    assert.equal((await call(p.base, 'GET', fileUrl.pathname, { key: null })).status, 200);
  });
});

describe('e2e: MEDIAFORGE_RATE_LIMIT_PER_MINUTE=0 turns the limit off', { timeout: 60_000 }, () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '0' });
  });
  after(async () => p?.stop());

  it('answers without RateLimit headers and never 429', async () => {
    for (let i = 0; i < 120; i++) {
      const a = await call(p.base, 'GET', '/v1/jobs', { from: '127.0.0.4' });
      assert.equal(a.status, 200);
      assert.equal(a.headers['ratelimit-limit'], undefined);
    }
  });
});

describe('e2e: behind a reverse proxy (MEDIAFORGE_TRUST_PROXY)', { timeout: 120_000 }, () => {
  let trusting: TestPlatform;
  let plain: TestPlatform;
  before(async () => {
    // The proxy is 127.0.0.5: only its X-Forwarded-For is believed.
    trusting = await startTestPlatform({ MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '2', MEDIAFORGE_TRUST_PROXY: '127.0.0.5' });
    plain = await startTestPlatform({ MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '2' });
  });
  after(async () => {
    await trusting?.stop();
    await plain?.stop();
  });
  const anonymous = (p: TestPlatform, from: string, client?: string) => call(p.base, 'GET', '/v1/jobs', { key: null, from, headers: client ? { 'x-forwarded-for': client } : {} });

  it('counts each client behind the trusted proxy on its own, and believes no one else\'s X-Forwarded-For', async () => {
    // Two clients behind the proxy: each has its own budget of 2.
    assert.deepEqual([(await anonymous(trusting, '127.0.0.5', '203.0.113.7')).status, (await anonymous(trusting, '127.0.0.5', '203.0.113.7')).status], [401, 401]);
    assert.equal((await anonymous(trusting, '127.0.0.5', '203.0.113.7')).status, 429, 'the first client used its budget');
    assert.equal((await anonymous(trusting, '127.0.0.5', '203.0.113.8')).status, 401, 'the second client behind the same proxy still has its own');
    // A caller that is not the proxy cannot pick its address with the header: counted as itself.
    assert.deepEqual([(await anonymous(trusting, '127.0.0.6', '198.51.100.1')).status, (await anonymous(trusting, '127.0.0.6', '198.51.100.2')).status], [401, 401]);
    assert.equal((await anonymous(trusting, '127.0.0.6', '198.51.100.3')).status, 429, 'a forged header from an untrusted peer changes nothing');
  });

  it('without the setting, everyone behind a proxy is the proxy (the default: the TCP peer is the client)', async () => {
    await anonymous(plain, '127.0.0.5', '203.0.113.7');
    await anonymous(plain, '127.0.0.5', '203.0.113.7');
    assert.equal((await anonymous(plain, '127.0.0.5', '203.0.113.8')).status, 429);
  });
});
