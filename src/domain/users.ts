import { ADMIN_ACCOUNT_ID, type Scope } from './account.js';

/**
 * People who sign in to the console (docs/login.md). A user belongs to one account with a
 * role; the role decides the scopes a signed-in request has, as a key's scopes do for a key.
 * Pure rules here; the store is src/ports/db.port.ts `users`, the flows
 * src/services/login.service.ts.
 */
export const ROLES = ['owner', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  // Owners run the account: its media, its keys, its webhooks and who may sign in.
  owner: ['uploads:write', 'jobs:read', 'jobs:write', 'webhooks:manage', 'keys:manage'],
  member: ['uploads:write', 'jobs:read', 'jobs:write'],
  viewer: ['jobs:read'],
};

/** The scopes of a signed-in user. An owner of the built-in admin account is the operator: `admin`. */
export function scopesOfRole(role: Role, accountId: string): readonly Scope[] {
  if (role === 'owner' && accountId === ADMIN_ACCOUNT_ID) return ['admin'];
  return ROLE_SCOPES[role];
}

export interface UserRecord {
  id: string;
  accountId: string;
  /** Lower-cased and trimmed (normalizeEmail): one user per address on the whole deployment. */
  email: string;
  role: Role;
  /** argon2id, in its PHC string form; never shown. */
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | null;
  /** A disabled user cannot sign in, and its sessions stop working at once. */
  disabledAt: number | null;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 512;

/** Access tokens live this long; the console renews them with its refresh token. */
export const ACCESS_TOKEN_TTL_S = 15 * 60;
/** A session (one login, all its refresh tokens) ends after this long without a refresh. */
export const SESSION_IDLE_MS = 30 * 86_400_000;
/** An invitation link works once, for this long. */
export const INVITE_TTL_MS = 7 * 86_400_000;

/**
 * Failed logins are counted per email and per client address over a sliding window. Each
 * failure slows the next answer a little more; past the limit the login is refused with 429
 * until the oldest counted failure leaves the window, even with the right password (the
 * guesser cannot learn it is right).
 */
export const LOGIN_WINDOW_MS = 15 * 60_000;
export const LOGIN_LIMIT_PER_EMAIL = 5;
export const LOGIN_LIMIT_PER_ADDRESS = 20;

export interface ThrottleState {
  /** Failures in the window for this email, and the time of the oldest of them (null: none). */
  email: { count: number; oldest: number | null };
  address: { count: number; oldest: number | null };
}

export type ThrottleDecision = { refused: true; retryAfterMs: number } | { refused: false; delayMs: number };

/**
 * Whether a login may be tried now, and how long to hold the answer: 0 for the first
 * failure, then doubling from `baseDelayMs` per failure already counted (of the email or the
 * address, whichever has more), at most 4 s.
 */
export function loginThrottle(state: ThrottleState, now: number, baseDelayMs: number): ThrottleDecision {
  const over: number[] = [];
  if (state.email.count >= LOGIN_LIMIT_PER_EMAIL && state.email.oldest !== null) over.push(state.email.oldest + LOGIN_WINDOW_MS - now);
  if (state.address.count >= LOGIN_LIMIT_PER_ADDRESS && state.address.oldest !== null) over.push(state.address.oldest + LOGIN_WINDOW_MS - now);
  if (over.length > 0) return { refused: true, retryAfterMs: Math.max(1000, ...over) };
  const failures = Math.max(state.email.count, state.address.count);
  return { refused: false, delayMs: failures === 0 ? 0 : Math.min(4000, baseDelayMs * 2 ** (failures - 1)) };
}
