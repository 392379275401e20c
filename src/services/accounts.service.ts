import { z } from 'zod';
import { DEFAULT_KEY_SCOPES, effectiveQuotas, grants, SCOPES, ungrantable, type AccountRecord, type Quotas, type Scope } from '../domain/account.js';
import { DomainError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/principal.js';
import type { Clock } from '../ports/clock.port.js';
import type { AccountUsage, ApiKeyRecord, Database } from '../ports/db.port.js';
import { generateApiKey, hashApiKey } from './auth.service.js';
import { parseOrThrow } from './validation.js';
import { checkNotifyEmail } from '../domain/notify.js';
import type { UsageDay } from '../domain/usage.js';
import { effectiveRetention, MAX_RETENTION_SECONDS, type RetentionSettings } from '../domain/retention.js';

const limit = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable();
const quotasSchema = z.strictObject({ storageBytes: limit, runningJobs: limit, processingMinutesPerMonth: limit, uploadBytes: limit }).partial();
const name = z.string().trim().min(1, 'give a name').max(100);
const keep = z.number().int().min(0).max(MAX_RETENTION_SECONDS).nullable();
const retentionSettingsSchema = z.strictObject({ sourceSeconds: keep, outputsSeconds: keep }).partial();
const notifySchema = z.strictObject({ email: z.string().max(254).nullable() });
const createAccountSchema = z.strictObject({ name, quotas: quotasSchema.optional(), retention: retentionSettingsSchema.optional(), notify: notifySchema.optional() });
const updateAccountSchema = z.strictObject({ name: name.optional(), quotas: quotasSchema.optional(), retention: retentionSettingsSchema.optional(), notify: notifySchema.optional() });
const createKeySchema = z.strictObject({ name, scopes: z.array(z.enum(SCOPES)).min(1, 'give at least one scope').optional() });
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD (UTC)');
const usageQuerySchema = z.strictObject({ from: day.optional(), to: day.optional() });
const DAY_MS = 86_400_000;

export const accountListSchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(/^acc_[a-z0-9_]+$/).optional(),
});

/** A key as the API shows it: never the secret, nor its hash. */
export function presentKey(k: ApiKeyRecord) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return { id: k.id, name: k.name, accountId: k.accountId, scopes: k.scopes, createdAt: iso(k.createdAt), lastUsedAt: iso(k.lastUsedAt), revokedAt: iso(k.revokedAt) };
}

/**
 * The account `principal` may manage keys and users of: any for an admin, else only its own;
 * others read as missing (whether they exist is not confirmed).
 */
export async function assertManages(principal: Principal, accountId: string, accounts: Pick<Database['accounts'], 'get'>): Promise<void> {
  const admin = grants(principal.scopes, 'admin');
  if (!admin && accountId !== principal.accountId) throw new DomainError('not_found', `no account with id ${accountId}`);
  if (admin && !(await accounts.get(accountId))) throw new DomainError('not_found', `no account with id ${accountId}`);
}

export interface AccountView {
  account: AccountRecord;
  quotas: Quotas;
  /** In effect: set on the account, else the configuration's (docs/lifecycle.md). */
  retention: RetentionSettings;
  usage?: AccountUsage;
}

/**
 * Accounts and their keys. Accounts are the operator's (routes with the `admin` scope); keys
 * are managed by an admin in any account, or by a key with `keys:manage` in its own account
 * only, where it can give no scope it lacks itself. Another account's keys and ids answer as
 * missing: whether they exist is not confirmed.
 */
export class AccountsService {
  constructor(
    private readonly deps: {
      db: Pick<Database, 'accounts' | 'apiKeys' | 'jobs'>;
      clock: Clock;
      defaultQuotas: Quotas;
      /** Absent: sources and outputs kept until deleted. */
      defaultRetention?: RetentionSettings;
      /** This server sends e-mail (MEDIAFORGE_SMTP_URL); absent or false: a notify address is refused. */
      emailEnabled?: boolean;
    },
  ) {}

  async create(body: unknown): Promise<AccountView> {
    const req = parseOrThrow(createAccountSchema, body, 'account');
    const now = this.deps.clock.now();
    const notifyEmail = this.notifyEmailOf(req.notify);
    const account: AccountRecord = {
      id: newId('acc', now), name: req.name, quotas: req.quotas ?? {}, ...(req.retention ? { retention: req.retention } : {}), ...(notifyEmail ? { notifyEmail } : {}), createdAt: now, updatedAt: now,
    };
    await this.deps.db.accounts.create(account);
    return this.view(account);
  }

  async list(query: unknown) {
    const q = parseOrThrow(accountListSchema, query, 'query');
    const page = await this.deps.db.accounts.list(q);
    return { accounts: page.accounts.map((a) => this.view(a)), nextCursor: page.nextCursor };
  }

  async get(id: string, opts: { usage?: boolean } = {}): Promise<AccountView> {
    const account = await this.deps.db.accounts.get(id);
    if (!account) throw new DomainError('not_found', `no account with id ${id}`);
    return { ...this.view(account), ...(opts.usage ? { usage: await this.deps.db.jobs.accountUsage(id) } : {}) };
  }

  async update(id: string, body: unknown): Promise<AccountView> {
    const { notify, ...req } = parseOrThrow(updateAccountSchema, body, 'account');
    const notifyEmail = notify ? this.notifyEmailOf(notify) : undefined;
    const account = await this.deps.db.accounts.update(id, { ...req, ...(notifyEmail !== undefined ? { notifyEmail } : {}), updatedAt: this.deps.clock.now() });
    if (!account) throw new DomainError('not_found', `no account with id ${id}`);
    return this.view(account);
  }

  /** The caller's own account, with its quotas and what it uses now. */
  own(principal: Principal): Promise<AccountView> {
    return this.get(principal.accountId, { usage: true });
  }

  /**
   * Daily totals of the caller's account, `from` to `to` inclusive (UTC days; default: this
   * month so far), at most 366 days.
   */
  async usage(principal: Principal, query: unknown): Promise<{ from: string; to: string; days: UsageDay[] }> {
    const q = parseOrThrow(usageQuerySchema, query, 'query');
    const now = this.deps.clock.now();
    const today = Date.parse(new Date(now).toISOString().slice(0, 10));
    const from = q.from ? Date.parse(q.from) : Date.parse(new Date(now).toISOString().slice(0, 8) + '01');
    const to = q.to ? Date.parse(q.to) : today;
    if (Number.isNaN(from) || Number.isNaN(to)) throw new DomainError('validation_failed', 'invalid query: from and to are days as YYYY-MM-DD');
    if (to < from) throw new DomainError('validation_failed', `invalid query: to (${q.to}) is before from (${q.from ?? 'the first of this month'})`);
    if (to - from > 366 * DAY_MS) throw new DomainError('validation_failed', 'invalid query: ask for at most 366 days at once');
    const days = await this.deps.db.jobs.usageByDay(principal, { from, to: to + DAY_MS });
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    return { from: iso(from), to: iso(to), days };
  }

  async createKey(principal: Principal, accountId: string, body: unknown): Promise<{ key: ApiKeyRecord; secret: string }> {
    await this.managedAccount(principal, accountId);
    const req = parseOrThrow(createKeySchema, body, 'key');
    const scopes: Scope[] = [...new Set(req.scopes ?? DEFAULT_KEY_SCOPES)];
    const refused = ungrantable(principal.scopes, scopes);
    if (refused) {
      throw new DomainError('forbidden', `this key cannot give the scope \`${refused}\`: a key gives only scopes it holds itself, and only an admin gives \`admin\``, { scope: refused });
    }
    const now = this.deps.clock.now();
    const secret = generateApiKey();
    const key = { id: newId('key', now), name: req.name, hash: hashApiKey(secret), createdAt: now, accountId, scopes };
    await this.deps.db.apiKeys.create(key);
    return { key: { ...key, lastUsedAt: null, revokedAt: null }, secret };
  }

  async listKeys(principal: Principal, accountId: string): Promise<ApiKeyRecord[]> {
    await this.managedAccount(principal, accountId);
    return this.deps.db.apiKeys.listByAccount(accountId);
  }

  /** Revoked at once: every API process reads the key's row on every request. */
  async revokeKey(principal: Principal, keyId: string): Promise<ApiKeyRecord> {
    const within = grants(principal.scopes, 'admin') ? null : principal.accountId;
    if (!(await this.deps.db.apiKeys.revoke(within, keyId, this.deps.clock.now()))) {
      const existing = await this.deps.db.apiKeys.get(within, keyId);
      if (existing?.revokedAt != null) return existing;
      throw new DomainError('not_found', `no key with id ${keyId}`);
    }
    return (await this.deps.db.apiKeys.get(within, keyId))!;
  }

  private managedAccount(principal: Principal, accountId: string): Promise<void> {
    return assertManages(principal, accountId, this.deps.db.accounts);
  }

  /** `notify.email` checked (src/domain/notify.ts); null clears it. */
  private notifyEmailOf(notify: { email: string | null } | undefined): string | null {
    if (!notify || notify.email === null) return null;
    return checkNotifyEmail(notify.email, 'notify.email', this.deps.emailEnabled === true);
  }

  private view(account: AccountRecord): AccountView {
    const retention = effectiveRetention(account.retention, this.deps.defaultRetention ?? { sourceSeconds: null, outputsSeconds: null });
    return { account, quotas: effectiveQuotas(account, this.deps.defaultQuotas), retention };
  }
}
