import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TokenGrant } from '../../services/login.service.js';
import { presentUser } from '../../services/users.service.js';
import { principalOf, type HttpDeps } from '../http.types.js';

/** A token grant as the API answers it; never cached (it holds secrets shown once). */
function sendGrant(reply: FastifyReply, status: number, g: TokenGrant, now: number) {
  return reply
    .status(status)
    .header('cache-control', 'no-store')
    .send({
      tokenType: 'Bearer',
      accessToken: g.accessToken,
      expiresIn: Math.max(0, Math.round((g.accessTokenExpiresAt - now) / 1000)),
      accessTokenExpiresAt: new Date(g.accessTokenExpiresAt).toISOString(),
      refreshToken: g.refreshToken,
      refreshTokenExpiresAt: new Date(g.refreshTokenExpiresAt).toISOString(),
      user: presentUser(g.user),
    });
}

/**
 * Console sign-in (docs/login.md): public routes, since their callers have no token yet;
 * they are counted per client address by the rate limiter, and failed logins are throttled
 * per email and address on top (LoginService). GET /v1/me tells a caller who it is.
 */
export async function authRoutes(app: FastifyInstance, deps: HttpDeps) {
  const { login, users } = deps;
  app.post('/v1/auth/login', { config: { public: true } }, async (request, reply) => sendGrant(reply, 200, await login.login(request.body, request.ip), deps.clock.now()));
  app.post('/v1/auth/register', { config: { public: true } }, async (request, reply) => sendGrant(reply, 201, await login.register(request.body), deps.clock.now()));
  app.post('/v1/auth/refresh', { config: { public: true } }, async (request, reply) => sendGrant(reply, 200, await login.refresh(request.body), deps.clock.now()));
  app.post('/v1/auth/invites/accept', { config: { public: true } }, async (request, reply) => sendGrant(reply, 201, await login.acceptInvite(request.body), deps.clock.now()));
  app.post('/v1/auth/logout', { config: { public: true } }, async (request, reply) => {
    await login.logout(request.body);
    return reply.status(204).send();
  });

  app.get('/v1/me', { config: { scope: 'any' } }, async (request) => {
    const principal = principalOf(request);
    const user = await users.me(principal);
    return {
      accountId: principal.accountId,
      scopes: principal.scopes,
      ...(user ? { kind: 'user', user: presentUser(user) } : { kind: 'key', key: { id: principal.keyId, name: principal.keyName } }),
    };
  });
}
