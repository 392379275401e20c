import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { rawRequest } from '../helpers/raw-http.js';

/** `/v1/jobs/:id` and `/v1/jobs/{id}` name the same route. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}').replace(/\/\*$/, '/{key}');
const samplePath = (url: string) => url.replace(/:id/g, 'job_0abc').replace(/:token/g, '1.abc').replace(/\*$/, 'jobs/job_0abc/00-frames/frames.zip');

/** The ways a path can be spelled so that the router still finds the route. */
function spellings(path: string, origin: string): string[] {
  const segments = path.split('/').slice(1);
  const encodeFirst = (s: string) => (s ? `%${s.charCodeAt(0).toString(16)}${s.slice(1)}` : s);
  const encodeFirstUpper = (s: string) => (s ? `%${s.charCodeAt(0).toString(16).toUpperCase()}${s.slice(1)}` : s);
  return [
    path,
    `/${segments.map(encodeFirst).join('/')}`,
    `/${segments.map(encodeFirstUpper).join('/')}`,
    path.replace('/v1/', '/v%31/'),
    path.replace('/v1/', '/%761/'),
    path.replace(/\/(\w)/g, (_m, c: string) => `/%${c.charCodeAt(0).toString(16)}`),
    `http://x${path}`,
    `${origin}${path}`,
    `HTTP://X${path}`,
    `${path}?x=1`,
    `${path}#frag`,
    `${path}/`,
    path.replace('/v1/', '/v1//'),
    path.replace('/v1/', '/v1/./'),
    path.replace('/v1/', '/v1/../v1/'),
    `/.${path}`,
    path.replace('/v1/', '/v1%2F'),
    `${path};x=1`,
  ];
}

describe('e2e: every route needs a key unless it is public, however its path is spelled', () => {
  let p: TestPlatform;
  let doc: any;
  before(async () => {
    p = await startTestPlatform();
    doc = await (await fetch(`${p.base}/v1/openapi.json`)).json();
  });
  after(async () => p.stop());

  it('every registered route is in the OpenAPI document, and public exactly where the document says so', () => {
    // A HEAD route of its own (tus) is documented like any other; the others answer for a GET.
    const hasGet = (url: string) => p.platform.app.routeTable.some((x) => x.method === 'GET' && x.url === url);
    const routes = p.platform.app.routeTable.filter((r) => r.method !== 'HEAD' || !hasGet(r.url));
    assert.ok(routes.length >= 10, `found ${routes.length} routes`);
    for (const r of routes) {
      const op = doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${r.url} is missing from the OpenAPI document`);
      const documentedPublic = Array.isArray(op.security) && op.security.length === 0;
      assert.equal(r.public, documentedPublic, `${r.method} ${r.url}: route flag public=${r.public}, OpenAPI security says public=${documentedPublic}`);
    }
    // HEAD answers come from the GET route and share its flag.
    for (const r of p.platform.app.routeTable.filter((x) => x.method === 'HEAD' && hasGet(x.url))) {
      assert.equal(r.public, p.platform.app.routeTable.find((x) => x.method === 'GET' && x.url === r.url)?.public, `HEAD ${r.url}`);
    }
  });

  it('no spelling of a protected route gets past authentication', async () => {
    const protectedRoutes = p.platform.app.routeTable.filter((r) => !r.public);
    assert.ok(protectedRoutes.length >= 8);
    const failures: string[] = [];
    let tried = 0;
    for (const route of protectedRoutes) {
      const path = samplePath(route.url);
      for (const target of spellings(path, p.base)) {
        tried++;
        const res = await rawRequest(p.base, route.method, target, {
          headers: route.method === 'POST' ? { 'content-type': 'application/json' } : {},
          body: route.method === 'POST' ? '{}' : undefined,
        });
        // 401 when the router found the route; 404 when the spelling matched nothing; 400 when
        // Node refused the request line. Anything else means a handler ran without a key.
        if (![400, 401, 404].includes(res.status)) failures.push(`${route.method} ${target} → ${res.status} ${res.body.slice(0, 120)}`);
        if (target === path && res.status !== 401) failures.push(`${route.method} ${target} → ${res.status}, expected 401`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${tried} requests were answered without a key`);
  });

  it('a wrong key is refused the same way on encoded spellings', async () => {
    for (const target of ['/%761/jobs', '/v%31/jobs', 'http://x/v1/jobs']) {
      const res = await rawRequest(p.base, 'GET', target, { headers: { authorization: 'Bearer mf_not_a_real_key_000000' } });
      assert.equal(res.status, 401, target);
      assert.equal(JSON.parse(res.body).error.code, 'unauthorized');
    }
  });

  it('public routes stay public', async () => {
    assert.equal((await rawRequest(p.base, 'GET', '/healthz')).status, 200);
    assert.equal((await rawRequest(p.base, 'GET', '/v1/openapi.json')).status, 200);
    // The console: 200 once built (npm run build), 503 with a page saying so from an unbuilt checkout; never 401.
    const page = await rawRequest(p.base, 'GET', '/');
    assert.ok([200, 503].includes(page.status), `GET /: ${page.status}`);
    assert.match(page.headers, /content-type: text\/html/i);
    // A forged link is refused by its signature check, not by the key check.
    const file = await rawRequest(p.base, 'GET', '/v1/files/1.abc/jobs/job_0abc/00-frames/frames.zip');
    assert.equal(file.status, 403);
  });
});
