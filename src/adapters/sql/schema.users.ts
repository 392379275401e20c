import type { Generated } from 'kysely';

/** 0014: console users (src/domain/users.ts). */
export interface UsersTable {
  id: string;
  account_id: string;
  /** Normalized (lower-cased); unique on the deployment. */
  email: string;
  /** argon2id PHC string. */
  password_hash: string;
  role: string;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
  disabled_at: number | null;
}

/** 0014: one login of a user. */
export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/** 0014: a session's refresh tokens, by SHA-256; each used once. */
export interface RefreshTokensTable {
  hash: string;
  session_id: string;
  created_at: number;
  used_at: number | null;
}

/** 0014: one-time invitations to an account. */
export interface InvitesTable {
  id: string;
  account_id: string;
  email: string;
  role: string;
  token_hash: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  revoked_at: number | null;
}

/** 0014: failed logins of the throttle window. */
export interface LoginFailuresTable {
  id: Generated<number>;
  email: string;
  address: string;
  at: number;
}
