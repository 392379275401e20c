import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import {
  LOGIN_WINDOW_MS,
  loginThrottle,
  normalizeEmail,
  PASSWORD_MAX,
  PASSWORD_MIN,
  scopesOfRole,
  SESSION_IDLE_MS,
  type UserRecord,
} from '../domain/users.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import type { PasswordHasher } from '../ports/password-hasher.port.js';
import type { AccessTokens } from './access-tokens.js';
import { parseOrThrow } from './validation.js';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
export const generateRefreshToken = () => `mfr_${randomBytes(32).toString('base64url')}`;
export const generateInviteToken = () => `mfi_${randomBytes(32).toString('base64url')}`;

export const email = z.string().trim().email('give an email address').max(254).transform(normalizeEmail);
export const password = z
  .string()
  .min(PASSWORD_MIN, `a password has at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `a password has at most ${PASSWORD_MAX} characters`);
const loginSchema = z.strictObject({ email, password: z.string().min(1, 'give the password').max(PASSWORD_MAX) });
const registerSchema = z.strictObject({ email, password, accountName: z.string().trim().min(1).max(100).optional() });
const refreshSchema = z.strictObject({ refreshToken: z.string().min(1, 'give the refresh token').max(200) });
const acceptSchema = z.strictObject({ token: z.string().min(1, 'give the invitation token').max(200), password });

/** What a login, registration, refresh or accepted invitation answers (shown once: `cache-control: no-store`). */
export interface TokenGrant {
  accessToken: string;
  accessTokenExpiresAt: number;
  refreshToken: string;
  refreshTokenExpiresAt: number;
  user: UserRecord;
}

export interface LoginOptions {
  /** `open`: anyone may create an account with POST /v1/auth/register; `off` (default): owners invite. */
  registration: 'open' | 'off';
  /** The hold after the first failed login, doubling per failure (domain/users.ts loginThrottle). */
  failureDelayMs: number;
}

/**
 * Signing in to the console (docs/login.md): passwords checked with argon2id, short-lived
 * access tokens (JWT) and rotating refresh tokens, one session per login. Failed logins are
 * counted in the database per email and per client address, so every API process slows and
 * then refuses the same guesser.
 */
export class LoginService {
  /** Verified against when the email is unknown, so both answers take as long. */
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly deps: {
      db: Pick<Database, 'users' | 'sessions' | 'invites' | 'loginFailures'>;
      clock: Clock;
      hasher: PasswordHasher;
      tokens: AccessTokens;
      options: LoginOptions;
      /** Holds a slowed answer (tests pass their own). */
      wait?: (ms: number) => Promise<unknown>;
    },
  ) {}

  async login(body: unknown, address: string): Promise<TokenGrant> {
    const req = parseOrThrow(loginSchema, body, 'login');
    const { db, clock } = this.deps;
    const now = clock.now();
    const decision = loginThrottle(await db.loginFailures.count(req.email, address, now - LOGIN_WINDOW_MS), now, this.deps.options.failureDelayMs);
    if (decision.refused) {
      const retryAfterSeconds = Math.ceil(decision.retryAfterMs / 1000);
      throw new DomainError('too_many_attempts', `too many failed logins for this email or from this address: try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
    if (decision.delayMs > 0) await (this.deps.wait ?? sleep)(decision.delayMs);
    const user = await db.users.findByEmail(req.email);
    const ok = await this.deps.hasher.verify(user?.passwordHash ?? (await this.dummy()), req.password);
    if (!user || !ok) {
      const at = clock.now();
      await db.loginFailures.record({ email: req.email, address, at });
      await db.loginFailures.prune(at - LOGIN_WINDOW_MS);
      throw new DomainError('unauthorized', 'that email and password do not match a user');
    }
    if (user.disabledAt !== null) throw new DomainError('unauthorized', 'this user is disabled: ask an owner of its account');
    await db.loginFailures.clearEmail(req.email);
    await db.users.update(null, user.id, { lastLoginAt: clock.now(), updatedAt: user.updatedAt });
    return this.startSession(user);
  }

  /** Only with MEDIAFORGE_REGISTRATION=open: a new account, and the caller as its owner. */
  async register(body: unknown): Promise<TokenGrant> {
    if (this.deps.options.registration !== 'open') {
      throw new DomainError('registration_closed', 'registration is closed on this deployment: ask an account owner for an invitation (or the operator to set MEDIAFORGE_REGISTRATION=open)');
    }
    const req = parseOrThrow(registerSchema, body, 'registration');
    const now = this.deps.clock.now();
    const accountId = newId('acc', now);
    const user = await this.newUser({ accountId, email: req.email, role: 'owner', password: req.password });
    const made = await this.deps.db.users.createWithAccount({ id: accountId, name: req.accountName ?? req.email, quotas: {}, createdAt: now, updatedAt: now }, user);
    if (!made) throw new DomainError('email_taken', 'a user with that email exists: sign in instead (POST /v1/auth/login)');
    return this.startSession(user);
  }

  /** Joins the invitation's account with its role and email: once, before it expires. */
  async acceptInvite(body: unknown): Promise<TokenGrant> {
    const req = parseOrThrow(acceptSchema, body, 'invitation');
    const invite = await this.deps.db.invites.findByTokenHash(hashToken(req.token));
    const gone = new DomainError('invite_invalid', 'this invitation was used, revoked or has expired: ask an owner of the account for a new one');
    if (!invite) throw gone;
    const user = await this.newUser({ accountId: invite.accountId, email: invite.email, role: invite.role, password: req.password });
    const result = await this.deps.db.invites.accept(invite.id, user);
    if (result === 'gone') throw gone;
    if (result === 'taken') throw new DomainError('email_taken', `a user with the email ${invite.email} exists: sign in instead (POST /v1/auth/login)`);
    return this.startSession(user);
  }

  /**
   * A new access token and a new refresh token for a refresh token, which is used up. A
   * refresh token used twice was copied: its session ends, for the thief and the owner.
   */
  async refresh(body: unknown): Promise<TokenGrant> {
    const req = parseOrThrow(refreshSchema, body, 'refresh');
    const now = this.deps.clock.now();
    const next = generateRefreshToken();
    const result = await this.deps.db.sessions.rotate(hashToken(req.refreshToken), hashToken(next), now, now + SESSION_IDLE_MS);
    if (result.kind === 'reused') {
      throw new DomainError('unauthorized', 'this refresh token was already used, so it may have been copied: its session has ended; sign in again', { reason: 'refresh_token_reused' });
    }
    if (result.kind === 'invalid') throw new DomainError('unauthorized', 'this refresh token is not valid or its session has ended: sign in again', { reason: 'session_ended' });
    const access = await this.deps.tokens.sign({ userId: result.user.id, accountId: result.user.accountId, sessionId: result.session.id }, now);
    return { accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken: next, refreshTokenExpiresAt: result.session.expiresAt, user: result.user };
  }

  /** Ends the session of the refresh token: its access tokens stop working at once too. */
  async logout(body: unknown): Promise<void> {
    const req = parseOrThrow(refreshSchema, body, 'logout');
    await this.deps.db.sessions.revokeByToken(hashToken(req.refreshToken), this.deps.clock.now());
  }

  /** The scopes a user's requests carry (shown with the user). */
  static scopesOf(user: UserRecord) {
    return scopesOfRole(user.role, user.accountId);
  }

  async newUser(u: Pick<UserRecord, 'accountId' | 'email' | 'role'> & { password: string }): Promise<UserRecord> {
    const now = this.deps.clock.now();
    return {
      id: newId('usr', now),
      accountId: u.accountId,
      email: u.email,
      role: u.role,
      passwordHash: await this.deps.hasher.hash(u.password),
      createdAt: now,
      updatedAt: now,
      lastLoginAt: now,
      disabledAt: null,
    };
  }

  private async startSession(user: UserRecord): Promise<TokenGrant> {
    const now = this.deps.clock.now();
    const refreshToken = generateRefreshToken();
    const session = { id: newId('ses', now), userId: user.id, createdAt: now, expiresAt: now + SESSION_IDLE_MS, revokedAt: null };
    await this.deps.db.sessions.create(session, hashToken(refreshToken));
    const access = await this.deps.tokens.sign({ userId: user.id, accountId: user.accountId, sessionId: session.id }, now);
    return { accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken, refreshTokenExpiresAt: session.expiresAt, user };
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.deps.hasher.hash(randomBytes(16).toString('hex'));
    return this.dummyHash;
  }
}
