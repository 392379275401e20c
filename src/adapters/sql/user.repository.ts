import type { Kysely } from 'kysely';
import type { AccountRecord } from '../../domain/account.js';
import { ROLES, type Role, type UserRecord } from '../../domain/users.js';
import type {
  InviteRecord,
  InviteRepository,
  RotateResult,
  SessionRecord,
  SessionRepository,
  SignedIn,
  UserRepository,
} from '../../ports/users.port.js';
import type { InvitesTable, Tables, UsersTable } from './schema.js';

const num = (v: number | string | bigint | null): number | null => (v == null ? null : Number(v));
/** A role as stored; an unknown name (written by a newer version) reads as the weakest. */
const roleOf = (text: string): Role => ((ROLES as readonly string[]).includes(text) ? (text as Role) : 'viewer');

function toUser(row: UsersTable): UserRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    email: row.email,
    role: roleOf(row.role),
    passwordHash: row.password_hash,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastLoginAt: num(row.last_login_at),
    disabledAt: num(row.disabled_at),
  };
}

function userRow(u: UserRecord): UsersTable {
  return {
    id: u.id,
    account_id: u.accountId,
    email: u.email,
    password_hash: u.passwordHash,
    role: u.role,
    created_at: u.createdAt,
    updated_at: u.updatedAt,
    last_login_at: u.lastLoginAt,
    disabled_at: u.disabledAt,
  };
}

function toInvite(row: InvitesTable): InviteRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    email: row.email,
    role: roleOf(row.role),
    tokenHash: row.token_hash,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    acceptedAt: num(row.accepted_at),
    revokedAt: num(row.revoked_at),
  };
}

/** Inserts the user unless its email is taken (the unique index decides, also between processes). */
async function insertUser(db: Kysely<Tables>, user: UserRecord): Promise<boolean> {
  const res = await db.insertInto('users').values(userRow(user)).onConflict((oc) => oc.column('email').doNothing()).executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export class SqlUserRepository implements UserRepository {
  constructor(private readonly db: Kysely<Tables>) {}
  create(user: UserRecord): Promise<boolean> {
    return insertUser(this.db, user);
  }
  createWithAccount(account: AccountRecord, user: UserRecord): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const taken = await trx.selectFrom('users').select('id').where('email', '=', user.email).executeTakeFirst();
      if (taken) return false;
      await trx
        .insertInto('accounts')
        .values({ id: account.id, name: account.name, quotas: JSON.stringify(account.quotas), retention: JSON.stringify(account.retention ?? {}), created_at: account.createdAt, updated_at: account.updatedAt })
        .execute();
      if (await insertUser(trx, user)) return true;
      // Lost a race for the email: the account goes too.
      throw new EmailTaken();
    }).catch((err: unknown) => {
      if (err instanceof EmailTaken) return false;
      throw err;
    });
  }
  async findByEmail(email: string): Promise<UserRecord | null> {
    const row = await this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    return row ? toUser(row) : null;
  }
  async get(accountId: string | null, id: string): Promise<UserRecord | null> {
    let q = this.db.selectFrom('users').selectAll().where('id', '=', id);
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    const row = await q.executeTakeFirst();
    return row ? toUser(row) : null;
  }
  async listByAccount(accountId: string): Promise<UserRecord[]> {
    const rows = await this.db.selectFrom('users').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
    return rows.map(toUser);
  }
  async countOwners(accountId: string): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .where('role', '=', 'owner')
      .where('disabled_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
  async update(
    accountId: string | null,
    id: string,
    patch: { role?: Role; disabledAt?: number | null; passwordHash?: string; lastLoginAt?: number; updatedAt: number },
  ): Promise<UserRecord | null> {
    let q = this.db
      .updateTable('users')
      .set({
        updated_at: patch.updatedAt,
        ...(patch.role !== undefined ? { role: patch.role } : {}),
        ...(patch.disabledAt !== undefined ? { disabled_at: patch.disabledAt } : {}),
        ...(patch.passwordHash !== undefined ? { password_hash: patch.passwordHash } : {}),
        ...(patch.lastLoginAt !== undefined ? { last_login_at: patch.lastLoginAt } : {}),
      })
      .where('id', '=', id);
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    const res = await q.executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return null;
    return this.get(accountId, id);
  }
  delete(accountId: string | null, id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      let q = trx.deleteFrom('users').where('id', '=', id);
      if (accountId !== null) q = q.where('account_id', '=', accountId);
      const res = await q.executeTakeFirst();
      if (Number(res.numDeletedRows) !== 1) return false;
      const sessions = trx.selectFrom('sessions').select('id').where('user_id', '=', id);
      await trx.deleteFrom('refresh_tokens').where('session_id', 'in', sessions).execute();
      await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
      return true;
    });
  }
}

class EmailTaken extends Error {}

export class SqlSessionRepository implements SessionRepository {
  constructor(private readonly db: Kysely<Tables>) {}
  async create(session: SessionRecord, firstTokenHash: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sessions')
        .values({ id: session.id, user_id: session.userId, created_at: session.createdAt, expires_at: session.expiresAt, revoked_at: session.revokedAt })
        .execute();
      await trx.insertInto('refresh_tokens').values({ hash: firstTokenHash, session_id: session.id, created_at: session.createdAt, used_at: null }).execute();
    });
  }
  rotate(hash: string, nextHash: string, at: number, expiresAt: number): Promise<RotateResult> {
    return this.db.transaction().execute(async (trx): Promise<RotateResult> => {
      const token = await trx.selectFrom('refresh_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      if (!token) return { kind: 'invalid' };
      // The conditional write is the arbiter: of two uses of one token, exactly one sets used_at.
      const used = await trx.updateTable('refresh_tokens').set({ used_at: at }).where('hash', '=', hash).where('used_at', 'is', null).executeTakeFirst();
      if (Number(used.numUpdatedRows) !== 1) {
        await trx.updateTable('sessions').set({ revoked_at: at }).where('id', '=', token.session_id).where('revoked_at', 'is', null).execute();
        return { kind: 'reused', sessionId: token.session_id };
      }
      const live = await this.live(trx, { sessionId: token.session_id }, at);
      if (!live) return { kind: 'invalid' };
      await trx.insertInto('refresh_tokens').values({ hash: nextHash, session_id: live.session.id, created_at: at, used_at: null }).execute();
      await trx.updateTable('sessions').set({ expires_at: expiresAt }).where('id', '=', live.session.id).execute();
      return { kind: 'rotated', session: { ...live.session, expiresAt }, user: live.user };
    });
  }
  async revokeByToken(hash: string, at: number): Promise<boolean> {
    const token = await this.db.selectFrom('refresh_tokens').select('session_id').where('hash', '=', hash).executeTakeFirst();
    if (!token) return false;
    await this.db.updateTable('sessions').set({ revoked_at: at }).where('id', '=', token.session_id).where('revoked_at', 'is', null).execute();
    return true;
  }
  signedIn(userId: string, sessionId: string, now: number): Promise<SignedIn | null> {
    return this.live(this.db, { sessionId, userId }, now);
  }
  async revokeAllOf(userId: string, at: number): Promise<void> {
    await this.db.updateTable('sessions').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
  }

  /** A session that is not revoked nor expired at `now`, of a user that exists and is not disabled: one query. */
  private async live(db: Kysely<Tables>, by: { sessionId: string; userId?: string }, now: number): Promise<SignedIn | null> {
    let q = db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .selectAll('u')
      .select(['s.id as s_id', 's.created_at as s_created_at', 's.expires_at as s_expires_at'])
      .where('s.id', '=', by.sessionId)
      .where('s.revoked_at', 'is', null)
      .where('s.expires_at', '>', now)
      .where('u.disabled_at', 'is', null);
    if (by.userId !== undefined) q = q.where('s.user_id', '=', by.userId);
    const row = await q.executeTakeFirst();
    if (!row) return null;
    return {
      user: toUser(row),
      session: { id: row.s_id, userId: row.id, createdAt: Number(row.s_created_at), expiresAt: Number(row.s_expires_at), revokedAt: null },
    };
  }
}

export class SqlInviteRepository implements InviteRepository {
  constructor(private readonly db: Kysely<Tables>) {}
  async create(i: InviteRecord): Promise<void> {
    await this.db
      .insertInto('invites')
      .values({
        id: i.id,
        account_id: i.accountId,
        email: i.email,
        role: i.role,
        token_hash: i.tokenHash,
        created_by: i.createdBy,
        created_at: i.createdAt,
        expires_at: i.expiresAt,
        accepted_at: i.acceptedAt,
        revoked_at: i.revokedAt,
      })
      .execute();
  }
  async findByTokenHash(hash: string): Promise<InviteRecord | null> {
    const row = await this.db.selectFrom('invites').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    return row ? toInvite(row) : null;
  }
  async get(accountId: string | null, id: string): Promise<InviteRecord | null> {
    let q = this.db.selectFrom('invites').selectAll().where('id', '=', id);
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    const row = await q.executeTakeFirst();
    return row ? toInvite(row) : null;
  }
  async listPending(accountId: string, now: number): Promise<InviteRecord[]> {
    const rows = await this.db
      .selectFrom('invites')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toInvite);
  }
  accept(inviteId: string, user: UserRecord): Promise<'accepted' | 'gone' | 'taken'> {
    return this.db
      .transaction()
      .execute(async (trx) => {
        const used = await trx
          .updateTable('invites')
          .set({ accepted_at: user.createdAt })
          .where('id', '=', inviteId)
          .where('accepted_at', 'is', null)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', user.createdAt)
          .executeTakeFirst();
        if (Number(used.numUpdatedRows) !== 1) return 'gone' as const;
        // The invitation stays unused when the email is taken: the rollback below undoes the mark.
        if (!(await insertUser(trx, user))) throw new EmailTaken();
        return 'accepted' as const;
      })
      .catch((err: unknown) => {
        if (err instanceof EmailTaken) return 'taken' as const;
        throw err;
      });
  }
  async revoke(accountId: string | null, id: string, at: number): Promise<boolean> {
    let q = this.db.updateTable('invites').set({ revoked_at: at }).where('id', '=', id).where('accepted_at', 'is', null).where('revoked_at', 'is', null);
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}
