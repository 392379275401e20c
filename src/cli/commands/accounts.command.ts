import type { Command } from 'commander';
import { printTable } from '../table.js';
import { clientFrom, type ConnectionOptions } from './connection.js';

interface ApiAccount {
  id: string;
  name: string;
  quotas: Record<string, number | null>;
  createdAt: string;
  usage?: Record<string, number>;
}
interface ApiKey {
  id: string;
  name: string;
  accountId: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  key?: string;
}

type Json = { json?: boolean };
const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));
const limit = (v: number | null | undefined) => (v == null ? '-' : String(v));
/** A whole number, or `none` for no limit (sent as null; commander cannot hold a null option value). */
const quota = (raw: string): number | 'none' => {
  if (raw === 'none') return 'none';
  if (!/^\d+$/.test(raw)) throw new Error(`a quota is a whole number or none, not ${JSON.stringify(raw)}`);
  return Number(raw);
};

function showAccounts(accounts: ApiAccount[]) {
  printTable(
    ['ID', 'NAME', 'STORAGE', 'RUNNING', 'MINUTES/MONTH', 'UPLOAD', 'CREATED'],
    accounts.map((a) => [a.id, a.name, limit(a.quotas.storageBytes), limit(a.quotas.runningJobs), limit(a.quotas.processingMinutesPerMonth), limit(a.quotas.uploadBytes), a.createdAt]),
  );
}

/** `mediaforge accounts create|list` and `mediaforge keys create|list|revoke`: the HTTP API with an admin (or keys:manage) key. */
export function registerAccountCommands(program: Command, connection: (cmd: Command) => Command): void {
  const accounts = program.command('accounts').description('accounts (needs an admin key)');
  connection(
    accounts
      .command('create <name>')
      .description('create an account; quotas default to the server configuration')
      .option('--storage-bytes <n>', 'storage quota in bytes (none: no limit)', quota)
      .option('--running-jobs <n>', 'jobs running at once; more wait queued (none: no limit)', quota)
      .option('--processing-minutes <n>', 'processing minutes per month (none: no limit)', quota)
      .option('--upload-bytes <n>', 'largest upload in bytes (none: no limit)', quota)
      .option('--json', 'print JSON'),
  ).action(async (name: string, opts: ConnectionOptions & Json & Record<string, number | 'none' | undefined>) => {
    const quotas = Object.fromEntries(
      Object.entries({ storageBytes: opts.storageBytes, runningJobs: opts.runningJobs, processingMinutesPerMonth: opts.processingMinutes, uploadBytes: opts.uploadBytes })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, v === 'none' ? null : v]),
    );
    const account = await clientFrom(opts).request<ApiAccount>('POST', '/v1/accounts', { name, ...(Object.keys(quotas).length ? { quotas } : {}) });
    if (opts.json) return print(account);
    showAccounts([account]);
  });
  connection(accounts.command('list').description('list accounts').option('--json', 'print JSON')).action(async (opts: ConnectionOptions & Json) => {
    const client = clientFrom(opts);
    const all: ApiAccount[] = [];
    let cursor: string | null = null;
    do {
      const page: { accounts: ApiAccount[]; nextCursor: string | null } = await client.request('GET', `/v1/accounts?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...page.accounts);
      cursor = page.nextCursor;
    } while (cursor);
    if (opts.json) return print({ accounts: all });
    showAccounts(all);
  });

  const keys = program.command('keys').description("API keys of an account (an admin key, or the account's own key with keys:manage)");
  connection(
    keys
      .command('create <account-id>')
      .description('create a key; its secret is printed once')
      .requiredOption('--name <name>', 'what the key is for')
      .option('--scopes <list>', 'comma-separated: uploads:write,jobs:read,jobs:write,webhooks:manage,keys:manage,admin (default: uploads:write,jobs:read,jobs:write)')
      .option('--json', 'print JSON'),
  ).action(async (accountId: string, opts: ConnectionOptions & Json & { name: string; scopes?: string }) => {
    const scopes = opts.scopes?.split(',').map((s) => s.trim()).filter(Boolean);
    const key = await clientFrom(opts).request<ApiKey>('POST', `/v1/accounts/${encodeURIComponent(accountId)}/keys`, { name: opts.name, ...(scopes ? { scopes } : {}) });
    if (opts.json) return print(key);
    console.log(`key ${key.id} for ${key.accountId} (${key.scopes.join(', ')}):\n\n  ${key.key}\n\nStore it now: it is not shown again.`);
  });
  connection(keys.command('list <account-id>').description("list an account's keys (never their secrets)").option('--json', 'print JSON')).action(
    async (accountId: string, opts: ConnectionOptions & Json) => {
      const { keys: list } = await clientFrom(opts).request<{ keys: ApiKey[] }>('GET', `/v1/accounts/${encodeURIComponent(accountId)}/keys`);
      if (opts.json) return print({ keys: list });
      printTable(['ID', 'NAME', 'SCOPES', 'CREATED', 'LAST USED', 'REVOKED'], list.map((k) => [k.id, k.name, k.scopes.join(','), k.createdAt, k.lastUsedAt ?? '-', k.revokedAt ?? '-']));
    },
  );
  connection(keys.command('revoke <key-id>').description('revoke a key, at once').option('--json', 'print JSON')).action(async (keyId: string, opts: ConnectionOptions & Json) => {
    const key = await clientFrom(opts).request<ApiKey>('DELETE', `/v1/keys/${encodeURIComponent(keyId)}`);
    if (opts.json) return print(key);
    console.log(`revoked ${key.id} (${key.name}) at ${key.revokedAt}`);
  });
}
