import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Argon2Hasher } from '../../src/adapters/argon2/argon2.hasher.js';
import { newId } from '../../src/domain/ids.js';
import { LOGIN_WINDOW_MS, type UserRecord } from '../../src/domain/users.js';
import { DomainError } from '../../src/domain/errors.js';
import type { Database } from '../../src/ports/db.port.js';
import { AccessTokens } from '../../src/services/access-tokens.js';
import { AuthService } from '../../src/services/auth.service.js';
import { generateRefreshToken, hashToken, LoginService } from '../../src/services/login.service.js';
import type { DbUnderTest } from './db.contract.js';

const user = (accountId: string, email: string, extra: Partial<UserRecord> = {}): UserRecord => ({
  id: newId('usr'),
  accountId,
  email,
  role: 'member',
  passwordHash: 'x',
  createdAt: 1000,
  updatedAt: 1000,
  lastLoginAt: null,
  disabledAt: null,
  ...extra,
});

const rejectsWith = async (p: Promise<unknown>, code: string, details?: Record<string, unknown>) => {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DomainError, String(err));
    assert.equal(err.code, code, err.message);
    if (details) assert.deepEqual(Object.fromEntries(Object.keys(details).map((k) => [k, (err.details as Record<string, unknown>)?.[k]])), details);
    return true;
  });
};

/** Users, sessions, invitations and the login throttle against the real engine, through the repositories and LoginService. */
export function runUsersContract(name: string, make: () => Promise<DbUnderTest>) {
  describe(`users contract: ${name}`, () => {
    let h: DbUnderTest;
    let db: Database;
    let t = 1_000_000;
    const clock = { now: () => t };
    const waits: number[] = [];
    let login: LoginService;
    let auth: AuthService;
    const hasher = new Argon2Hasher();
    before(async () => {
      h = await make();
      db = h.db;
      const tokens = new AccessTokens('contract-secret-0123456789abcdef0123456789');
      login = new LoginService({ db, clock, hasher, tokens, options: { registration: 'open', failureDelayMs: 250 }, wait: async (ms) => waits.push(ms) });
      auth = new AuthService({ db, clock, tokens });
    });
    after(async () => h.cleanup());

    it('keeps one user per email and reads users within their account only', async () => {
      await db.accounts.create({ id: 'acc_u1', name: 'u1', quotas: {}, createdAt: 1, updatedAt: 1 });
      const a = user('acc_u1', 'ann@example.com', { role: 'owner' });
      assert.equal(await db.users.create(a), true);
      assert.equal(await db.users.create(user('acc_other', 'ann@example.com')), false, 'the email is taken on the whole deployment');
      assert.equal((await db.users.findByEmail('ann@example.com'))?.id, a.id);
      assert.equal((await db.users.get('acc_u1', a.id))?.email, 'ann@example.com');
      assert.equal(await db.users.get('acc_other', a.id), null, 'another account does not see it');
      assert.equal((await db.users.get(null, a.id))?.id, a.id);
      assert.equal(await db.users.countOwners('acc_u1'), 1);
      await db.users.update('acc_u1', a.id, { disabledAt: 5, updatedAt: 5 });
      assert.equal(await db.users.countOwners('acc_u1'), 0, 'a disabled owner does not count');
      assert.equal(await db.users.update('acc_other', a.id, { role: 'viewer', updatedAt: 6 }), null);
      assert.equal((await db.users.get(null, a.id))?.role, 'owner');
    });

    it('registers an account with its owner together, and neither when the email is taken', async () => {
      const acc = { id: newId('acc'), name: 'r', quotas: {}, createdAt: 1, updatedAt: 1 };
      assert.equal(await db.users.createWithAccount(acc, user(acc.id, 'reg@example.com', { role: 'owner' })), true);
      const second = { ...acc, id: newId('acc') };
      assert.equal(await db.users.createWithAccount(second, user(second.id, 'reg@example.com')), false);
      assert.equal(await db.accounts.get(second.id), null, 'the account of a refused registration is not left behind');
    });

    it('rotates refresh tokens once each; a second use ends the session', async () => {
      const u = user('acc_u1', 'rot@example.com');
      await db.users.create(u);
      const first = generateRefreshToken();
      await db.sessions.create({ id: 'ses_rot', userId: u.id, createdAt: t, expiresAt: t + 60_000, revokedAt: null }, hashToken(first));
      assert.ok(await db.sessions.signedIn(u.id, 'ses_rot', t));
      assert.equal(await db.sessions.signedIn('usr_someone_else', 'ses_rot', t), null, 'the session is bound to its user');
      const second = generateRefreshToken();
      const r1 = await db.sessions.rotate(hashToken(first), hashToken(second), t + 1, t + 120_000);
      assert.equal(r1.kind, 'rotated');
      assert.equal(r1.kind === 'rotated' && r1.session.expiresAt, t + 120_000);
      const r2 = await db.sessions.rotate(hashToken(first), hashToken(generateRefreshToken()), t + 2, t + 120_000);
      assert.deepEqual(r2, { kind: 'reused', sessionId: 'ses_rot' });
      assert.equal((await db.sessions.rotate(hashToken(second), hashToken(generateRefreshToken()), t + 3, t + 120_000)).kind, 'invalid', 'the thief ended the owner’s session too');
      assert.equal(await db.sessions.signedIn(u.id, 'ses_rot', t + 3), null);
      assert.equal((await db.sessions.rotate(hashToken('mfr_unknown'), hashToken('x'), t, t)).kind, 'invalid');
    });

    it('lets exactly one of two concurrent refreshes with one token win', async () => {
      const u = user('acc_u1', 'race@example.com');
      await db.users.create(u);
      const token = generateRefreshToken();
      await db.sessions.create({ id: 'ses_race', userId: u.id, createdAt: t, expiresAt: t + 60_000, revokedAt: null }, hashToken(token));
      const results = await Promise.all([0, 1, 2].map(() => db.sessions.rotate(hashToken(token), hashToken(generateRefreshToken()), t + 1, t + 60_000)));
      assert.deepEqual(results.map((r) => r.kind).sort(), ['reused', 'reused', 'rotated']);
    });

    it('ends sessions at expiry, on logout and when the user is disabled', async () => {
      const u = user('acc_u1', 'end@example.com');
      await db.users.create(u);
      const a = generateRefreshToken();
      await db.sessions.create({ id: 'ses_end_a', userId: u.id, createdAt: t, expiresAt: t + 1000, revokedAt: null }, hashToken(a));
      assert.equal(await db.sessions.signedIn(u.id, 'ses_end_a', t + 1000), null, 'expired');
      assert.equal((await db.sessions.rotate(hashToken(a), hashToken(generateRefreshToken()), t + 1000, t + 5000)).kind, 'invalid', 'an expired session cannot be renewed');
      const b = generateRefreshToken();
      await db.sessions.create({ id: 'ses_end_b', userId: u.id, createdAt: t, expiresAt: t + 60_000, revokedAt: null }, hashToken(b));
      assert.equal(await db.sessions.revokeByToken(hashToken(b), t + 1), true);
      assert.equal(await db.sessions.signedIn(u.id, 'ses_end_b', t + 2), null, 'logged out');
      await db.sessions.create({ id: 'ses_end_c', userId: u.id, createdAt: t, expiresAt: t + 60_000, revokedAt: null }, hashToken(generateRefreshToken()));
      await db.users.update(null, u.id, { disabledAt: t + 3, updatedAt: t + 3 });
      assert.equal(await db.sessions.signedIn(u.id, 'ses_end_c', t + 4), null, 'a disabled user is signed out');
    });

    it('accepts an invitation once, before it expires, and not for a taken email', async () => {
      const invite = (id: string, email: string, expiresAt = t + 60_000) => ({
        id,
        accountId: 'acc_u1',
        email,
        role: 'viewer' as const,
        tokenHash: hashToken(id),
        createdBy: 'key_x',
        createdAt: t,
        expiresAt,
        acceptedAt: null,
        revokedAt: null,
      });
      await db.invites.create(invite('inv_1', 'new@example.com'));
      assert.equal((await db.invites.findByTokenHash(hashToken('inv_1')))?.id, 'inv_1');
      assert.equal(await db.invites.accept('inv_1', user('acc_u1', 'new@example.com', { createdAt: t + 1 })), 'accepted');
      assert.equal(await db.invites.accept('inv_1', user('acc_u1', 'new2@example.com', { createdAt: t + 2 })), 'gone', 'once');
      await db.invites.create(invite('inv_2', 'late@example.com', t + 10));
      assert.equal(await db.invites.accept('inv_2', user('acc_u1', 'late@example.com', { createdAt: t + 10 })), 'gone', 'expired');
      await db.invites.create(invite('inv_3', 'ann@example.com'));
      assert.equal(await db.invites.accept('inv_3', user('acc_u1', 'ann@example.com', { createdAt: t + 1 })), 'taken');
      assert.deepEqual((await db.invites.listPending('acc_u1', t + 11)).map((i) => i.id), ['inv_3'], 'a refused accept leaves the invitation pending (the expired one is not listed)');
      assert.equal(await db.invites.revoke('acc_other', 'inv_3', t + 1), false);
      assert.equal(await db.invites.revoke('acc_u1', 'inv_3', t + 1), true);
      assert.deepEqual(await db.invites.listPending('acc_u1', t + 11), []);
    });

    it('signs in, renews and signs out through LoginService; the access token carries the role', async () => {
      const grant = await login.register({ email: ' Owner@Example.com ', password: 'correct horse battery', accountName: 'Reg Co' });
      assert.equal(grant.user.email, 'owner@example.com');
      assert.equal(grant.user.role, 'owner');
      const principal = await auth.verify(`Bearer ${grant.accessToken}`);
      assert.equal(principal.accountId, grant.user.accountId);
      assert.equal(principal.keyId, grant.user.id);
      assert.ok(principal.scopes.includes('keys:manage') && !principal.scopes.includes('admin'));
      const renewed = await login.refresh({ refreshToken: grant.refreshToken });
      await rejectsWith(login.refresh({ refreshToken: grant.refreshToken }), 'unauthorized', { reason: 'refresh_token_reused' });
      await rejectsWith(auth.verify(`Bearer ${renewed.accessToken}`), 'unauthorized', { reason: 'session_ended' });
      const again = await login.login({ email: 'owner@example.com', password: 'correct horse battery' }, '10.0.0.1');
      await login.logout({ refreshToken: again.refreshToken });
      await rejectsWith(auth.verify(`Bearer ${again.accessToken}`), 'unauthorized', { reason: 'session_ended' });
      t += 16 * 60_000;
      const third = await login.login({ email: 'owner@example.com', password: 'correct horse battery' }, '10.0.0.1');
      t += 16 * 60_000;
      await rejectsWith(auth.verify(`Bearer ${third.accessToken}`), 'unauthorized', { reason: 'token_expired' });
      assert.ok(await login.refresh({ refreshToken: third.refreshToken }), 'the refresh token outlives the access token');
    });

    it('slows failed logins per email, doubling, then refuses them, even with the right password, until the window passes', async () => {
      await login.register({ email: 'guess@example.com', password: 'the right password' });
      waits.length = 0;
      const t0 = t;
      for (let i = 0; i < 5; i++) {
        await rejectsWith(login.login({ email: 'guess@example.com', password: `wrong ${i}` }, `10.1.0.${i}`), 'unauthorized');
        t += 1000;
      }
      assert.deepEqual(waits, [250, 500, 1000, 2000], 'no hold for the first try, then doubling');
      t += 60_000;
      const retryAfterSeconds = Math.ceil((t0 + LOGIN_WINDOW_MS - t) / 1000);
      await rejectsWith(login.login({ email: 'guess@example.com', password: 'the right password' }, '10.1.0.9'), 'too_many_attempts', { retryAfterSeconds });
      t = t0 + LOGIN_WINDOW_MS + 1;
      waits.length = 0;
      await login.login({ email: 'guess@example.com', password: 'the right password' }, '10.1.0.9');
      assert.deepEqual(waits, [2000], 'the oldest failure left the window; the four still in it slow the login');
      waits.length = 0;
      await rejectsWith(login.login({ email: 'guess@example.com', password: 'wrong again' }, '10.1.0.9'), 'unauthorized');
      assert.deepEqual(waits, [], 'a good login forgot the email’s failures');
    });

    it('refuses an address after 20 failures across emails; other addresses go on', async () => {
      t += LOGIN_WINDOW_MS * 2;
      await login.register({ email: 'victim@example.com', password: 'the right password' });
      for (let i = 0; i < 20; i++) await rejectsWith(login.login({ email: `spray${i}@example.com`, password: 'guess' }, '192.0.2.7'), 'unauthorized');
      await rejectsWith(login.login({ email: 'victim@example.com', password: 'the right password' }, '192.0.2.7'), 'too_many_attempts');
      const ok = await login.login({ email: 'victim@example.com', password: 'the right password' }, '192.0.2.8');
      assert.equal(ok.user.email, 'victim@example.com');
    });
  });
}
