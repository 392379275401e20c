import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SCOPES, type Scope } from '../../src/domain/account.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}').replace(/\/\*$/, '/{key}');

/**
 * Every route of the OpenAPI document, walked twice: with a key of a second account against
 * the first account's ids, and with keys that lack each scope. A route added later is in
 * this walk the moment it is in the document (auth-walk.test.ts checks that every registered
 * route is there), so it cannot skip the scope or the account filter.
 */
describe('e2e: the isolation walk over every route', () => {
  let p: TestPlatform;
  let doc: any;
  /** Account A's real ids, by the URL prefix of the routes that take them. */
  const ids: Record<string, string> = {};
  /** A's ids for path parameters other than `{id}`, by name. */
  const params: Record<string, string> = {};
  let bKey = '';
  const keyWith = async (accountId: string, scopes: Scope[]) => {
    const res = await p.api('POST', `/v1/accounts/${accountId}/keys`, { name: `walk ${scopes.join(' ')}`, scopes });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; key: string };
  };

  before(async () => {
    // A webhook endpoint of A's needs a URL the policy lets through; nothing is ever sent to it (no worker).
    p = await startTestPlatform({ MEDIAFORGE_WORKER: 'false', MEDIAFORGE_WEBHOOK_ALLOWLIST: '127.0.0.1:9' });
    doc = await (await fetch(`${p.base}/v1/openapi.json`)).json();
    const a = (await p.api('POST', '/v1/accounts', { name: 'walk a' })).body.id as string;
    const b = (await p.api('POST', '/v1/accounts', { name: 'walk b' })).body.id as string;
    const aKey = await keyWith(a, ['uploads:write', 'jobs:read', 'jobs:write', 'keys:manage', 'webhooks:manage']);
    // B holds every scope but admin: only the account filter stands between it and A's rows.
    bKey = (await keyWith(b, SCOPES.filter((s) => s !== 'admin'))).key;
    const asA = { authorization: `Bearer ${aKey.key}` };
    const upload = await p.api('POST', '/v1/uploads?filename=a.bin', new Uint8Array([1, 2, 3]), { ...asA, 'content-type': 'application/octet-stream' });
    const job = await p.api('POST', '/v1/jobs', { input: { uploadId: upload.body.id }, outputs: [{ type: 'thumbnail' }] }, asA);
    assert.equal(job.status, 202, JSON.stringify(job.body));
    // A user of A (an owner who joined by invitation) and a pending invitation of A.
    const joined = await p.api('POST', `/v1/accounts/${a}/invites`, { email: 'owner@walk-a.example', role: 'owner' });
    const user = await p.api('POST', '/v1/auth/invites/accept', { token: joined.body.token, password: 'walk password 123' }, { authorization: '' });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    const pending = await p.api('POST', `/v1/accounts/${a}/invites`, { email: 'later@walk-a.example', role: 'viewer' });
    // A webhook endpoint of A and one delivery of it (its test event).
    const hook = await p.api('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook' }, asA);
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const delivery = await p.api('POST', `/v1/webhooks/${hook.body.id}/test`, undefined, asA);
    assert.equal(delivery.status, 202, JSON.stringify(delivery.body));
    // A preset of A's: its name is the path parameter of /v1/presets/{name}.
    const preset = await p.api('POST', '/v1/presets', { name: 'walk-a-preset', outputs: [{ type: 'thumbnail' }] }, asA);
    assert.equal(preset.status, 201, JSON.stringify(preset.body));
    Object.assign(ids, {
      '/v1/jobs/': job.body.id, '/v1/uploads/': upload.body.id, '/v1/accounts/': a, '/v1/keys/': aKey.id, '/v1/users/': user.body.user.id, '/v1/invites/': pending.body.id,
      '/v1/webhooks/': hook.body.id,
      '/v1/presets/': preset.body.name,
    });
    params.deliveryId = delivery.body.id;
  });
  after(async () => p.stop());

  /** One request, cut off after 5 s: a stream that opened (SSE) for the wrong caller must fail the walk, not hang it. */
  const call = async (method: string, path: string, key: string) => {
    const hasBody = method !== 'GET' && method !== 'DELETE';
    try {
      const res = await fetch(`${p.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
        body: hasBody ? '{}' : undefined,
        signal: AbortSignal.timeout(5000),
      });
      const text = await res.text();
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body };
    } catch (err) {
      return { status: 0, body: `no complete answer: ${(err as Error).message}` };
    }
  };

  const operations = () =>
    Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => !(Array.isArray(op.security) && op.security.length === 0))
        .map(([method, op]) => ({ method: method.toUpperCase(), path, scope: op['x-scope'] as Scope | 'any' | undefined })),
    );

  /** A's id in the path; a route whose parameter has no sample here fails the walk until one is added. */
  const withAsIds = (path: string) =>
    path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      if (name !== 'id' && params[name]) return params[name];
      const prefix = Object.keys(ids).find((k) => path.startsWith(k));
      assert.ok(prefix && (name === 'id' || (prefix === '/v1/presets/' && name === 'name')), `the walk has no id of account A for ${path}: add one to the walk`);
      return ids[prefix];
    });

  it('every protected operation names its scope, and the route enforces exactly that one', () => {
    const ops = operations();
    assert.ok(ops.length >= 17, `found ${ops.length} protected operations`);
    for (const op of ops) {
      assert.ok(op.scope && (op.scope === 'any' || SCOPES.includes(op.scope)), `${op.method} ${op.path} has no x-scope`);
      const route = p.platform.app.routeTable.find((r) => r.method === op.method && openApiPath(r.url) === op.path);
      assert.equal(route?.scope, op.scope, `${op.method} ${op.path}: the route enforces ${route?.scope}, the document says ${op.scope}`);
    }
  });

  it('a key lacking the scope gets 403 forbidden naming it, on every operation', async () => {
    const failures: string[] = [];
    for (const op of operations()) {
      if (op.scope === 'any') continue;
      // Everything but the needed scope (and but admin, which holds them all).
      const key = await keyWith(ids['/v1/accounts/'], SCOPES.filter((s) => s !== op.scope && s !== 'admin'));
      const res = await call(op.method, withAsIds(op.path), key.key);
      if (res.status !== 403 || res.body?.error?.code !== 'forbidden' || res.body.error.details?.scope !== op.scope) {
        failures.push(`${op.method} ${op.path} → ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it("another account's key finds none of A's ids on any operation, and lists none of them", async () => {
    const failures: string[] = [];
    const aIds = Object.values(ids);
    for (const op of operations()) {
      const path = withAsIds(op.path);
      const res = await call(op.method, path, bKey);
      const text = JSON.stringify(res.body);
      if (op.path.includes('{')) {
        // 404 when the scope lets it look, 403 for the admin-only routes: never A's data.
        const expected = op.scope === 'admin' ? 403 : 404;
        // Without S3 the completion of a presigned upload is refused before any lookup (400, for every id alike).
        const noLookup = res.body?.error?.code === 'presigned_unavailable';
        if (res.status !== expected && !noLookup) failures.push(`${op.method} ${path} → ${res.status} ${text.slice(0, 160)}`);
      } else if (res.status < 400 && aIds.some((id) => text.includes(id))) {
        failures.push(`${op.method} ${op.path} lists A's rows: ${text.slice(0, 160)}`);
      }
    }
    assert.deepEqual(failures, []);
    // Nothing B did changed A's job.
    const job = await p.api('GET', `/v1/jobs/${ids['/v1/jobs/']}`);
    assert.equal(job.status, 404, 'the admin key reads its own account only');
  });
});
