import { z } from 'zod';
import { grants, ungrantable } from '../domain/account.js';
import { DomainError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/principal.js';
import { INVITE_TTL_MS, ROLES, scopesOfRole, type UserRecord } from '../domain/users.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import type { InviteRecord } from '../ports/users.port.js';
import { assertManages } from './accounts.service.js';
import { email, generateInviteToken, hashToken } from './login.service.js';
import { parseOrThrow } from './validation.js';

const inviteSchema = z.strictObject({ email, role: z.enum(ROLES).default('member') });
const updateSchema = z
  .strictObject({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional() })
  .refine((b) => b.role !== undefined || b.disabled !== undefined, 'give role or disabled');

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A user as the API shows it: never the password hash. */
export function presentUser(u: UserRecord) {
  return {
    id: u.id,
    accountId: u.accountId,
    email: u.email,
    role: u.role,
    scopes: scopesOfRole(u.role, u.accountId),
    createdAt: iso(u.createdAt),
    lastLoginAt: iso(u.lastLoginAt),
    disabledAt: iso(u.disabledAt),
  };
}

/** An invitation as the API shows it: never its token (shown once, when made). */
export function presentInvite(i: InviteRecord) {
  return { id: i.id, accountId: i.accountId, email: i.email, role: i.role, createdAt: iso(i.createdAt), expiresAt: iso(i.expiresAt), acceptedAt: iso(i.acceptedAt), revokedAt: iso(i.revokedAt) };
}

/**
 * Who may sign in to an account (docs/login.md): owners (and keys with `keys:manage`) invite
 * people with a role, change roles, disable and remove users, in their own account only; an
 * admin in any. As with keys, nobody gives a role with scopes they lack, another account's
 * ids answer as missing, and the last owner of an account stays.
 */
export class UsersService {
  constructor(private readonly deps: { db: Pick<Database, 'users' | 'sessions' | 'invites' | 'accounts'>; clock: Clock }) {}

  async invite(principal: Principal, accountId: string, body: unknown): Promise<{ invite: InviteRecord; token: string }> {
    await this.managedAccount(principal, accountId);
    const req = parseOrThrow(inviteSchema, body, 'invitation');
    this.assertCanGive(principal, req.role, accountId);
    if (await this.deps.db.users.findByEmail(req.email)) throw new DomainError('email_taken', `a user with the email ${req.email} exists already`);
    const now = this.deps.clock.now();
    const token = generateInviteToken();
    const invite: InviteRecord = {
      id: newId('inv', now),
      accountId,
      email: req.email,
      role: req.role,
      tokenHash: hashToken(token),
      createdBy: principal.keyId,
      createdAt: now,
      expiresAt: now + INVITE_TTL_MS,
      acceptedAt: null,
      revokedAt: null,
    };
    await this.deps.db.invites.create(invite);
    return { invite, token };
  }

  async listInvites(principal: Principal, accountId: string): Promise<InviteRecord[]> {
    await this.managedAccount(principal, accountId);
    return this.deps.db.invites.listPending(accountId, this.deps.clock.now());
  }

  async revokeInvite(principal: Principal, id: string): Promise<InviteRecord> {
    const within = this.within(principal);
    if (!(await this.deps.db.invites.revoke(within, id, this.deps.clock.now()))) {
      const existing = await this.deps.db.invites.get(within, id);
      if (existing && (existing.revokedAt !== null || existing.acceptedAt !== null)) return existing;
      throw new DomainError('not_found', `no invitation with id ${id}`);
    }
    return (await this.deps.db.invites.get(within, id))!;
  }

  async list(principal: Principal, accountId: string): Promise<UserRecord[]> {
    await this.managedAccount(principal, accountId);
    return this.deps.db.users.listByAccount(accountId);
  }

  /** The signed-in user itself (GET /v1/me); null for an API key. */
  async me(principal: Principal): Promise<UserRecord | null> {
    if (!principal.keyId.startsWith('usr_')) return null;
    return this.deps.db.users.get(principal.accountId, principal.keyId);
  }

  /** A new role, or disabled / enabled again. Disabling ends the user's sessions at once. */
  async update(principal: Principal, id: string, body: unknown): Promise<UserRecord> {
    // The user first: another account's id answers 404 whatever the body says.
    const user = await this.find(principal, id);
    const req = parseOrThrow(updateSchema, body, 'user');
    if (req.role !== undefined) {
      this.assertCanGive(principal, req.role, user.accountId);
      // Demoting an owner is giving up owner powers over them: it takes owner powers too.
      if (user.role === 'owner') this.assertCanGive(principal, 'owner', user.accountId);
    }
    const losesOwner = user.role === 'owner' && user.disabledAt === null && ((req.role !== undefined && req.role !== 'owner') || req.disabled === true);
    if (losesOwner) await this.assertNotLastOwner(user);
    const now = this.deps.clock.now();
    const disabledAt = req.disabled === undefined ? undefined : req.disabled ? (user.disabledAt ?? now) : null;
    const updated = await this.deps.db.users.update(user.accountId, id, { role: req.role, disabledAt, updatedAt: now });
    if (!updated) throw new DomainError('not_found', `no user with id ${id}`);
    if (req.disabled === true) await this.deps.db.sessions.revokeAllOf(id, now);
    return updated;
  }

  /** Removes the user; its sessions end at once. Its uploads and jobs stay the account's. */
  async remove(principal: Principal, id: string): Promise<UserRecord> {
    const user = await this.find(principal, id);
    if (user.role === 'owner') {
      this.assertCanGive(principal, 'owner', user.accountId);
      if (user.disabledAt === null) await this.assertNotLastOwner(user);
    }
    if (!(await this.deps.db.users.delete(user.accountId, id))) throw new DomainError('not_found', `no user with id ${id}`);
    return user;
  }

  private async find(principal: Principal, id: string): Promise<UserRecord> {
    const user = await this.deps.db.users.get(this.within(principal), id);
    if (!user) throw new DomainError('not_found', `no user with id ${id}`);
    return user;
  }

  private async assertNotLastOwner(user: UserRecord): Promise<void> {
    if ((await this.deps.db.users.countOwners(user.accountId)) <= 1) {
      throw new DomainError('last_owner', `${user.email} is the last owner of the account: make another user owner first`);
    }
  }

  private assertCanGive(principal: Principal, role: (typeof ROLES)[number], accountId: string): void {
    const refused = ungrantable(principal.scopes, scopesOfRole(role, accountId));
    if (refused) throw new DomainError('forbidden', `you cannot give the role \`${role}\`: it carries the scope \`${refused}\`, which you lack`, { scope: refused });
  }

  private within(principal: Principal): string | null {
    return grants(principal.scopes, 'admin') ? null : principal.accountId;
  }

  private managedAccount(principal: Principal, accountId: string): Promise<void> {
    return assertManages(principal, accountId, this.deps.db.accounts);
  }
}
