import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMIN_ACCOUNT_ID } from './account.js';
import { LOGIN_WINDOW_MS, loginThrottle, normalizeEmail, scopesOfRole } from './users.js';

const none = { count: 0, oldest: null };

describe('users: roles and the login throttle', () => {
  it('gives each role its scopes; only an owner of the admin account is the operator', () => {
    assert.deepEqual(scopesOfRole('viewer', 'acc_x'), ['jobs:read']);
    assert.deepEqual(scopesOfRole('member', 'acc_x'), ['uploads:write', 'jobs:read', 'jobs:write']);
    assert.ok(!scopesOfRole('owner', 'acc_x').includes('admin'));
    assert.ok(scopesOfRole('owner', 'acc_x').includes('keys:manage'));
    assert.deepEqual(scopesOfRole('owner', ADMIN_ACCOUNT_ID), ['admin']);
    assert.deepEqual(scopesOfRole('member', ADMIN_ACCOUNT_ID), ['uploads:write', 'jobs:read', 'jobs:write']);
  });

  it('normalizes emails so one address is one user', () => {
    assert.equal(normalizeEmail('  Ann@Example.COM '), 'ann@example.com');
  });

  it('holds answers longer per failure, at most 4 s, by whichever count is higher', () => {
    const delays = [0, 1, 2, 3, 4].map((n) => loginThrottle({ email: { count: n, oldest: n ? 0 : null }, address: none }, 10, 250));
    assert.deepEqual(delays, [0, 250, 500, 1000, 2000].map((delayMs) => ({ refused: false, delayMs })));
    assert.deepEqual(loginThrottle({ email: { count: 1, oldest: 0 }, address: { count: 19, oldest: 0 } }, 10, 250), { refused: false, delayMs: 4000 });
  });

  it('refuses at 5 per email or 20 per address until the oldest counted failure leaves the window', () => {
    assert.deepEqual(loginThrottle({ email: { count: 5, oldest: 1000 }, address: none }, 61_000, 250), { refused: true, retryAfterMs: LOGIN_WINDOW_MS - 60_000 });
    assert.deepEqual(loginThrottle({ email: { count: 2, oldest: 0 }, address: { count: 20, oldest: 5000 } }, 5000, 250), { refused: true, retryAfterMs: LOGIN_WINDOW_MS });
    assert.equal(loginThrottle({ email: { count: 4, oldest: 0 }, address: { count: 19, oldest: 0 } }, 0, 250).refused, false);
  });
});
