import type { FastifyInstance } from 'fastify';
import { costOf } from '../../domain/usage.js';
import { presentKey, type AccountView } from '../../services/accounts.service.js';
import { principalOf, type HttpDeps } from '../http.types.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** An account as the API shows it: its effective quotas (set here or by default) and, when read alone, its usage. */
export function presentAccount(v: AccountView) {
  return {
    id: v.account.id,
    name: v.account.name,
    quotas: v.quotas,
    retention: v.retention,
    notify: { email: v.account.notifyEmail ?? null },
    createdAt: iso(v.account.createdAt),
    updatedAt: iso(v.account.updatedAt),
    ...(v.usage ? { usage: v.usage } : {}),
  };
}

/**
 * Accounts (admin) and their keys (admin, or `keys:manage` in the key's own account). The
 * scope of each route is checked before the handler (src/http/app.ts); whose account a key
 * route may touch is the service's rule.
 */
export async function accountRoutes(app: FastifyInstance, deps: HttpDeps) {
  const { accounts } = deps;
  app.post('/v1/accounts', { config: { scope: 'admin' } }, async (request, reply) => reply.status(201).send(presentAccount(await accounts.create(request.body))));

  app.get('/v1/accounts', { config: { scope: 'admin' } }, async (request) => {
    const page = await accounts.list(request.query);
    return { accounts: page.accounts.map(presentAccount), nextCursor: page.nextCursor };
  });

  app.get('/v1/accounts/:id', { config: { scope: 'admin' } }, async (request) => {
    const { id } = request.params as { id: string };
    return presentAccount(await accounts.get(id, { usage: true }));
  });

  app.patch('/v1/accounts/:id', { config: { scope: 'admin' } }, async (request) => {
    const { id } = request.params as { id: string };
    return presentAccount(await accounts.update(id, request.body));
  });

  app.get('/v1/account', { config: { scope: 'any' } }, async (request) => presentAccount(await accounts.own(principalOf(request))));

  app.get('/v1/account/usage', { config: { scope: 'any' } }, async (request) => {
    const principal = principalOf(request);
    const report = await accounts.usage(principal, request.query);
    const days = report.days.map((d) => ({ ...d, cost: costOf(d, deps.costs) }));
    const totals = days.reduce((t, d) => ({ jobs: t.jobs + d.jobs, inputSeconds: t.inputSeconds + d.inputSeconds, cpuSeconds: t.cpuSeconds + d.cpuSeconds, storageBytes: t.storageBytes + d.storageBytes }), {
      jobs: 0,
      inputSeconds: 0,
      cpuSeconds: 0,
      storageBytes: 0,
    });
    return { accountId: principal.accountId, from: report.from, to: report.to, days, totals: { ...totals, cost: costOf(totals, deps.costs) } };
  });

  app.post('/v1/accounts/:id/keys', { config: { scope: 'keys:manage' } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const { key, secret } = await accounts.createKey(principalOf(request), id, request.body);
    // The secret is in this answer only: it is stored as a hash.
    return reply.status(201).header('cache-control', 'no-store').send({ ...presentKey(key), key: secret });
  });

  app.get('/v1/accounts/:id/keys', { config: { scope: 'keys:manage' } }, async (request) => {
    const { id } = request.params as { id: string };
    return { keys: (await accounts.listKeys(principalOf(request), id)).map(presentKey) };
  });

  app.delete('/v1/keys/:id', { config: { scope: 'keys:manage' } }, async (request) => {
    const { id } = request.params as { id: string };
    return presentKey(await accounts.revokeKey(principalOf(request), id));
  });
}
