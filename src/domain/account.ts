/**
 * Accounts own everything a caller makes (uploads, jobs, their files and events); API keys
 * belong to one account and carry scopes. Pure rules here; the store is
 * src/ports/db.port.ts `accounts` / `apiKeys`, the routes src/http/routes/accounts.routes.ts.
 */

export const SCOPES = ['uploads:write', 'jobs:read', 'jobs:write', 'webhooks:manage', 'keys:manage', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** The account migration 0010 moves the bootstrap key and every earlier upload and job into. */
export const ADMIN_ACCOUNT_ID = 'acc_admin';

/** What a key made before scopes existed (the bootstrap key) may do: everything. */
export const ALL_SCOPES: readonly Scope[] = SCOPES;

/** A new account key without an explicit list: everything an integration needs, nothing that manages others. */
export const DEFAULT_KEY_SCOPES: readonly Scope[] = ['uploads:write', 'jobs:read', 'jobs:write'];

/**
 * Limits per account. `null`: no limit. An account row stores only what the admin set; the
 * rest comes from the configured defaults (`effectiveQuotas`), so changing a default changes
 * every account that did not override it.
 */
export interface Quotas {
  storageBytes: number | null;
  runningJobs: number | null;
  processingMinutesPerMonth: number | null;
  uploadBytes: number | null;
}
export const QUOTA_NAMES = ['storageBytes', 'runningJobs', 'processingMinutesPerMonth', 'uploadBytes'] as const satisfies readonly (keyof Quotas)[];

export interface AccountRecord {
  id: string;
  name: string;
  /** Only the quotas the admin set on this account. */
  quotas: Partial<Quotas>;
  /** Only the retention the admin set on this account (src/domain/retention.ts; 0016); the rest follows the configuration. */
  retention?: Partial<{ sourceSeconds: number | null; outputsSeconds: number | null }>;
  /** 0017: told by e-mail when its jobs end (unless a job names its own) and when its webhooks fail (docs/notifications.md#e-mail). */
  notifyEmail?: string;
  createdAt: number;
  updatedAt: number;
}

export function effectiveQuotas(account: Pick<AccountRecord, 'quotas'>, defaults: Quotas): Quotas {
  return { ...defaults, ...account.quotas };
}

/** `admin` holds every scope: the operator's key can do what any account key can. */
export function grants(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.includes(needed) || scopes.includes('admin');
}

/**
 * The scopes a key may give a new key: an admin any; a `keys:manage` key only scopes it holds
 * itself and never `admin`, so a key can never mint a stronger one. Returns the first scope
 * asked for that it may not give, or null.
 */
export function ungrantable(granter: readonly Scope[], requested: readonly Scope[]): Scope | null {
  if (granter.includes('admin')) return null;
  return requested.find((s) => s === 'admin' || !granter.includes(s)) ?? null;
}
