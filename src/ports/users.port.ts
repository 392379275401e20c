import type { AccountRecord } from '../domain/account.js';
import type { Role, UserRecord } from '../domain/users.js';

/**
 * Users, their sessions and invitations, and the failed-login counts (docs/login.md). Users
 * are read within their account (`accountId` null: the admin's view of every account), and
 * found by email or id only to sign in.
 */
export interface UserRepository {
  /** False when the email is taken (one user per address). */
  create(user: UserRecord): Promise<boolean>;
  /** Registration: the account and its first owner together, or neither. False when the email is taken. */
  createWithAccount(account: AccountRecord, user: UserRecord): Promise<boolean>;
  findByEmail(email: string): Promise<UserRecord | null>;
  get(accountId: string | null, id: string): Promise<UserRecord | null>;
  listByAccount(accountId: string): Promise<UserRecord[]>;
  /** Owners of the account that are not disabled (the last one cannot be demoted or removed). */
  countOwners(accountId: string): Promise<number>;
  update(accountId: string | null, id: string, patch: { role?: Role; disabledAt?: number | null; passwordHash?: string; lastLoginAt?: number; updatedAt: number }): Promise<UserRecord | null>;
  /** Removes the user and ends its sessions. False when there is no such user there. */
  delete(accountId: string | null, id: string): Promise<boolean>;
}

export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: number;
  /** Renewed by every refresh (SESSION_IDLE_MS). */
  expiresAt: number;
  revokedAt: number | null;
}

/** What a signed-in request needs: the user of a live session (one read per request). */
export interface SignedIn {
  user: UserRecord;
  session: SessionRecord;
}

export type RotateResult =
  | { kind: 'rotated'; session: SessionRecord; user: UserRecord }
  /** The token was already used: it was stolen or replayed, so its session is now revoked. */
  | { kind: 'reused'; sessionId: string }
  /** Unknown, or its session ended (expired, logged out, user disabled or removed). */
  | { kind: 'invalid' };

/**
 * A session is one login; its refresh tokens rotate: each is used once and replaced. The
 * tokens themselves are stored as SHA-256 hashes.
 */
export interface SessionRepository {
  create(session: SessionRecord, firstTokenHash: string): Promise<void>;
  /**
   * Uses the refresh token `hash` once (atomically: of two concurrent uses, one rotates and
   * the other is a reuse) and stores `nextHash` in its place, renewing the session to
   * `expiresAt`. A second use of a token revokes its whole session.
   */
  rotate(hash: string, nextHash: string, at: number, expiresAt: number): Promise<RotateResult>;
  /** The session of a refresh token, ended (logout). False when the token is unknown. */
  revokeByToken(hash: string, at: number): Promise<boolean>;
  /** The live session `sessionId` of user `userId`, with its user, if both still stand at `now`. */
  signedIn(userId: string, sessionId: string, now: number): Promise<SignedIn | null>;
  revokeAllOf(userId: string, at: number): Promise<void>;
}

export interface InviteRecord {
  id: string;
  accountId: string;
  email: string;
  role: Role;
  /** SHA-256 of the one-time token in the link; the token is shown once. */
  tokenHash: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  acceptedAt: number | null;
  revokedAt: number | null;
}

export interface InviteRepository {
  create(invite: InviteRecord): Promise<void>;
  findByTokenHash(hash: string): Promise<InviteRecord | null>;
  get(accountId: string | null, id: string): Promise<InviteRecord | null>;
  /** Invitations not yet accepted, revoked or expired at `now`. */
  listPending(accountId: string, now: number): Promise<InviteRecord[]>;
  /**
   * Creates the invited user and marks the invitation used, together: only while it is still
   * pending at `user.createdAt`. `taken`: a user with that email exists.
   */
  accept(inviteId: string, user: UserRecord): Promise<'accepted' | 'gone' | 'taken'>;
  revoke(accountId: string | null, id: string, at: number): Promise<boolean>;
}

/** Failed logins in the window, shared by every API process (they live in the database). */
export interface LoginFailureRepository {
  record(failure: { email: string; address: string; at: number }): Promise<void>;
  /** Counts since `since` for the email and for the address, with the oldest of each. */
  count(email: string, address: string, since: number): Promise<{ email: { count: number; oldest: number | null }; address: { count: number; oldest: number | null } }>;
  /** A successful login forgets its email's failures. */
  clearEmail(email: string): Promise<void>;
  /** Forgets failures older than `before` (called as failures are written). */
  prune(before: number): Promise<void>;
}
