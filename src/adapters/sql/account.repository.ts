import type { Kysely } from 'kysely';
import { SCOPES, type AccountRecord, type Quotas, type Scope } from '../../domain/account.js';
import type { AccountRepository, ApiKeyRecord, ApiKeyRepository } from '../../ports/db.port.js';
import type { AccountsTable, ApiKeysTable, Tables } from './schema.js';

const num = (v: number | string | bigint | null): number | null => (v == null ? null : Number(v));

/** Scopes as stored; an unknown name (written by a newer version) is dropped rather than trusted. */
function scopesOf(text: string): Scope[] {
  try {
    const list = JSON.parse(text) as unknown;
    return Array.isArray(list) ? list.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s as string)) : [];
  } catch {
    return [];
  }
}

function toKey(row: ApiKeysTable): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    createdAt: Number(row.created_at),
    accountId: row.account_id,
    scopes: scopesOf(row.scopes),
    lastUsedAt: num(row.last_used_at),
    revokedAt: num(row.revoked_at),
  };
}

/** A JSON object column; unreadable or absent (a row from before its migration): {}, the defaults apply. */
function settings<T>(text: string | null | undefined): Partial<T> {
  try {
    const v = JSON.parse(text ?? '{}') as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Partial<T>) : {};
  } catch {
    return {};
  }
}

function toAccount(row: AccountsTable): AccountRecord {
  const retention = settings<NonNullable<AccountRecord['retention']>>(row.retention);
  return {
    id: row.id,
    name: row.name,
    quotas: settings<Quotas>(row.quotas),
    ...(Object.keys(retention).length > 0 ? { retention } : {}),
    ...(row.notify_email ? { notifyEmail: row.notify_email } : {}),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export class SqlApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly db: Kysely<Tables>) {}
  async create(k: Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt'>): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({ id: k.id, name: k.name, hash: k.hash, created_at: k.createdAt, account_id: k.accountId, scopes: JSON.stringify(k.scopes), last_used_at: null, revoked_at: null })
      .execute();
  }
  async findByHash(hash: string, opts: { includeRevoked?: boolean } = {}): Promise<ApiKeyRecord | null> {
    let q = this.db.selectFrom('api_keys').selectAll().where('hash', '=', hash);
    if (!opts.includeRevoked) q = q.where('revoked_at', 'is', null);
    const row = await q.executeTakeFirst();
    return row ? toKey(row) : null;
  }
  async get(accountId: string | null, id: string): Promise<ApiKeyRecord | null> {
    let q = this.db.selectFrom('api_keys').selectAll().where('id', '=', id);
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    const row = await q.executeTakeFirst();
    return row ? toKey(row) : null;
  }
  async listByAccount(accountId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
    return rows.map(toKey);
  }
  async touch(id: string, at: number, olderThan: number): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ last_used_at: at })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', olderThan)]))
      .execute();
  }
  async revoke(accountId: string | null, id: string, at: number): Promise<boolean> {
    let q = this.db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null);
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
  async count(): Promise<number> {
    const row = await this.db.selectFrom('api_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

export class SqlAccountRepository implements AccountRepository {
  constructor(private readonly db: Kysely<Tables>) {}
  async create(a: AccountRecord): Promise<void> {
    await this.db
      .insertInto('accounts')
      .values({ id: a.id, name: a.name, quotas: JSON.stringify(a.quotas), retention: JSON.stringify(a.retention ?? {}), notify_email: a.notifyEmail ?? null, created_at: a.createdAt, updated_at: a.updatedAt })
      .execute();
  }
  async get(id: string): Promise<AccountRecord | null> {
    const row = await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toAccount(row) : null;
  }
  async list(query: { limit: number; cursor?: string }) {
    let q = this.db.selectFrom('accounts').selectAll().orderBy('id').limit(query.limit + 1);
    if (query.cursor) q = q.where('id', '>', query.cursor);
    const rows = await q.execute();
    const accounts = rows.slice(0, query.limit).map(toAccount);
    return { accounts, nextCursor: rows.length > query.limit ? accounts[accounts.length - 1].id : null };
  }
  async update(id: string, patch: { name?: string; quotas?: Partial<Quotas>; retention?: AccountRecord['retention']; notifyEmail?: string | null; updatedAt: number }): Promise<AccountRecord | null> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return null;
      const current = toAccount(row);
      // A quota set to null means "no limit" and is kept; one left out keeps its current value.
      // Retention the same way: null is "until deleted", a field left out keeps its value.
      const quotas = patch.quotas ? { ...current.quotas, ...patch.quotas } : current.quotas;
      const retention = patch.retention ? { ...current.retention, ...patch.retention } : current.retention ?? {};
      await trx
        .updateTable('accounts')
        .set({ name: patch.name ?? current.name, quotas: JSON.stringify(quotas), retention: JSON.stringify(retention), ...(patch.notifyEmail !== undefined ? { notify_email: patch.notifyEmail } : {}), updated_at: patch.updatedAt })
        .where('id', '=', id)
        .execute();
      const { notifyEmail: before, ...rest } = current;
      const notifyEmail = patch.notifyEmail === undefined ? before : patch.notifyEmail;
      return { ...rest, name: patch.name ?? current.name, quotas, ...(Object.keys(retention).length > 0 ? { retention } : {}), ...(notifyEmail ? { notifyEmail } : {}), updatedAt: patch.updatedAt };
    });
  }
}
