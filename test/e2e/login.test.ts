import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const PASSWORD = 'a long enough password';

/**
 * Console sign-in through the real platform (docs/login.md): an owner invited by the admin,
 * the people the owner invites with roles, tokens that rotate and end, registration off by
 * default. The throttle's timing is in the users contract (a held clock); here its 429.
 */
describe('e2e: users, invitations and console login', () => {
  let p: TestPlatform;
  let accountA = '';
  let accountB = '';
  let owner: { accessToken: string; refreshToken: string; user: { id: string } };

  const invite = async (accountId: string, email: string, role: string, as?: string) => {
    const res = await p.api('POST', `/v1/accounts/${accountId}/invites`, { email, role }, as ? bearer(as) : {});
    return res;
  };
  const accept = (token: string, password = PASSWORD) => p.api('POST', '/v1/auth/invites/accept', { token, password }, { authorization: '' });
  const loginAs = (email: string, password = PASSWORD) => p.api('POST', '/v1/auth/login', { email, password }, { authorization: '' });

  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_WORKER: 'false' });
    accountA = (await p.api('POST', '/v1/accounts', { name: 'School A' })).body.id;
    accountB = (await p.api('POST', '/v1/accounts', { name: 'School B' })).body.id;
  });
  after(async () => p.stop());

  it('is closed to registration by default, with an answer that says what to do', async () => {
    const res = await p.api('POST', '/v1/auth/register', { email: 'x@example.com', password: PASSWORD }, { authorization: '' });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'registration_closed');
    assert.match(res.body.error.message, /invitation/);
  });

  it('lets the admin invite an owner with a one-time link that leads to a page', async () => {
    const res = await invite(accountA, 'Owner@School-A.example', 'owner');
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.body.email, 'owner@school-a.example');
    assert.match(res.body.token, /^mfi_/);
    const link = new URL(res.body.acceptUrl);
    assert.equal(link.pathname, '/invite');
    assert.equal(new URLSearchParams(link.hash.slice(1)).get('token'), res.body.token, 'the token rides in the fragment, never sent to a server');
    const page = await fetch(new URL(link.pathname, p.base));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /\/v1\/auth\/invites\/accept/);
    const pending = await p.api('GET', `/v1/accounts/${accountA}/invites`);
    assert.deepEqual(pending.body.invites.map((i: any) => i.email), ['owner@school-a.example']);
    assert.equal(JSON.stringify(pending.body).includes(res.body.token), false, 'a list never shows the token');

    const weak = await accept(res.body.token, 'short');
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error.code, 'validation_failed');
    assert.match(weak.body.error.message, /at least 10 characters/);
    const joined = await accept(res.body.token);
    assert.equal(joined.status, 201, JSON.stringify(joined.body));
    assert.equal(joined.headers.get('cache-control'), 'no-store');
    assert.equal(joined.body.tokenType, 'Bearer');
    assert.ok(joined.body.expiresIn > 890 && joined.body.expiresIn <= 900, `the access token lives 15 minutes, less the time the request took (${joined.body.expiresIn})`);
    assert.equal(joined.body.user.role, 'owner');
    assert.equal(joined.body.user.accountId, accountA);
    assert.equal(JSON.stringify(joined.body).includes('argon2'), false, 'never the password hash');
    const twice = await accept(res.body.token);
    assert.equal(twice.status, 410);
    assert.equal(twice.body.error.code, 'invite_invalid');
  });

  it('signs in with email and password; the access token acts in the user’s account with its role', async () => {
    const wrong = await loginAs('owner@school-a.example', 'not the password');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'unauthorized');
    const unknown = await loginAs('nobody@school-a.example');
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error.message, wrong.body.error.message, 'an unknown email reads like a wrong password');
    const res = await loginAs('  OWNER@school-a.example ');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    owner = res.body;
    const me = await p.api('GET', '/v1/me', undefined, bearer(owner.accessToken));
    assert.equal(me.status, 200);
    assert.equal(me.body.kind, 'user');
    assert.equal(me.body.accountId, accountA);
    assert.deepEqual(me.body.scopes, ['uploads:write', 'jobs:read', 'jobs:write', 'webhooks:manage', 'keys:manage']);
    assert.equal((await p.api('GET', '/v1/account', undefined, bearer(owner.accessToken))).body.id, accountA);
    const up = await p.api('POST', '/v1/uploads?filename=a.bin', new Uint8Array([1, 2, 3]), { ...bearer(owner.accessToken), 'content-type': 'application/octet-stream' });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal((await p.api('GET', `/v1/uploads/${up.body.id}`, undefined, bearer(owner.accessToken))).status, 200);
    const keyOfB = (await p.api('POST', `/v1/accounts/${accountB}/keys`, { name: 'b' })).body.key;
    assert.equal((await p.api('GET', `/v1/uploads/${up.body.id}`, undefined, bearer(keyOfB))).status, 404, 'another account does not see the user’s upload');
    assert.equal((await p.api('GET', `/v1/accounts/${accountB}/users`, undefined, bearer(owner.accessToken))).status, 404, 'nor another account’s users');
    assert.equal((await p.api('GET', '/v1/accounts', undefined, bearer(owner.accessToken))).status, 403, 'an owner is not the operator');
    const tampered = owner.accessToken.slice(0, -2) + (owner.accessToken.endsWith('A') ? 'BB' : 'AA');
    assert.equal((await p.api('GET', '/v1/me', undefined, bearer(tampered))).status, 401);
  });

  it('lets an owner invite with roles it holds, change roles and disable users; roles act at once', async () => {
    const inv = await invite(accountA, 'viewer@school-a.example', 'viewer', owner.accessToken);
    assert.equal(inv.status, 201, JSON.stringify(inv.body));
    const viewer = (await accept(inv.body.token)).body;
    assert.deepEqual(viewer.user.scopes, ['jobs:read']);
    assert.equal((await p.api('GET', '/v1/jobs', undefined, bearer(viewer.accessToken))).status, 200);
    const refused = await p.api('POST', '/v1/uploads?filename=v.bin', new Uint8Array([1]), { ...bearer(viewer.accessToken), 'content-type': 'application/octet-stream' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'forbidden');
    assert.deepEqual(refused.body.error.details, { scope: 'uploads:write' });
    assert.match(refused.body.error.message, /this user lacks the scope `uploads:write`/);
    assert.equal((await invite(accountA, 'x@school-a.example', 'member', viewer.accessToken)).status, 403, 'a viewer cannot invite');

    const promoted = await p.api('PATCH', `/v1/users/${viewer.user.id}`, { role: 'member' }, bearer(owner.accessToken));
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    const now = await p.api('POST', '/v1/uploads?filename=v.bin', new Uint8Array([1]), { ...bearer(viewer.accessToken), 'content-type': 'application/octet-stream' });
    assert.equal(now.status, 201, 'the same access token carries the new role at once');

    const users = await p.api('GET', `/v1/accounts/${accountA}/users`, undefined, bearer(owner.accessToken));
    assert.deepEqual(users.body.users.map((u: any) => [u.email, u.role]), [['owner@school-a.example', 'owner'], ['viewer@school-a.example', 'member']]);

    const disabled = await p.api('PATCH', `/v1/users/${viewer.user.id}`, { disabled: true }, bearer(owner.accessToken));
    assert.equal(disabled.status, 200);
    assert.ok(disabled.body.disabledAt);
    const after = await p.api('GET', '/v1/jobs', undefined, bearer(viewer.accessToken));
    assert.equal(after.status, 401, 'disabling ends the sessions at once');
    assert.equal(after.body.error.details.reason, 'session_ended');
    assert.equal((await loginAs('viewer@school-a.example')).status, 401);
    assert.equal((await p.api('POST', '/v1/auth/refresh', { refreshToken: viewer.refreshToken }, { authorization: '' })).status, 401);

    const last = await p.api('PATCH', `/v1/users/${owner.user.id}`, { role: 'member' }, bearer(owner.accessToken));
    assert.equal(last.status, 409);
    assert.equal(last.body.error.code, 'last_owner');
    const bad = await p.api('PATCH', `/v1/users/${viewer.user.id}`, { role: 'boss' }, bearer(owner.accessToken));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'validation_failed');
    const taken = await invite(accountA, 'viewer@school-a.example', 'viewer', owner.accessToken);
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error.code, 'email_taken');
    const removed = await p.api('DELETE', `/v1/users/${viewer.user.id}`, undefined, bearer(owner.accessToken));
    assert.equal(removed.status, 200);
    assert.equal((await p.api('DELETE', `/v1/users/${viewer.user.id}`, undefined, bearer(owner.accessToken))).status, 404);
  });

  it('rotates refresh tokens; a reused one ends the session; logout ends it at once', async () => {
    const session = (await loginAs('owner@school-a.example')).body;
    const renewed = await p.api('POST', '/v1/auth/refresh', { refreshToken: session.refreshToken }, { authorization: '' });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.notEqual(renewed.body.refreshToken, session.refreshToken);
    assert.equal((await p.api('GET', '/v1/me', undefined, bearer(renewed.body.accessToken))).status, 200);
    const replay = await p.api('POST', '/v1/auth/refresh', { refreshToken: session.refreshToken }, { authorization: '' });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.details.reason, 'refresh_token_reused');
    assert.equal((await p.api('GET', '/v1/me', undefined, bearer(renewed.body.accessToken))).status, 401, 'the whole session ended');

    const other = (await loginAs('owner@school-a.example')).body;
    const out = await p.api('POST', '/v1/auth/logout', { refreshToken: other.refreshToken }, { authorization: '' });
    assert.equal(out.status, 204);
    assert.equal((await p.api('GET', '/v1/me', undefined, bearer(other.accessToken))).status, 401);
    assert.equal((await p.api('POST', '/v1/auth/refresh', { refreshToken: other.refreshToken }, { authorization: '' })).status, 401);
    assert.equal((await p.api('GET', '/v1/me', undefined, bearer(owner.accessToken))).status, 200, 'other sessions go on');
  });

  it('refuses an email after 5 failed logins with 429 and Retry-After, even with the right password', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await loginAs('owner@school-a.example', `wrong ${i}`)).status, 401);
    const res = await loginAs('owner@school-a.example');
    assert.equal(res.status, 429);
    assert.equal(res.body.error.code, 'too_many_attempts');
    const retryAfter = Number(res.headers.get('retry-after'));
    assert.ok(retryAfter > 800 && retryAfter <= 900, `Retry-After ${retryAfter}`);
    assert.equal(res.body.error.details.retryAfterSeconds, retryAfter);
  });
});

describe('e2e: open registration', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_WORKER: 'false', MEDIAFORGE_REGISTRATION: 'open' });
  });
  after(async () => p.stop());

  it('creates an account and its owner, once per email', async () => {
    const res = await p.api('POST', '/v1/auth/register', { email: 'founder@clips.example', password: PASSWORD, accountName: 'Clips Inc' }, { authorization: '' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.user.role, 'owner');
    const account = await p.api('GET', `/v1/accounts/${res.body.user.accountId}`);
    assert.equal(account.body.name, 'Clips Inc');
    const own = await p.api('GET', '/v1/account', undefined, bearer(res.body.accessToken));
    assert.equal(own.body.id, res.body.user.accountId);
    const again = await p.api('POST', '/v1/auth/register', { email: 'FOUNDER@clips.example', password: PASSWORD }, { authorization: '' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'email_taken');
    const bad = await p.api('POST', '/v1/auth/register', { email: 'not an email', password: PASSWORD }, { authorization: '' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /email/);
  });
});
