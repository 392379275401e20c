import type { FastifyInstance } from 'fastify';
import { presentInvite, presentUser } from '../../services/users.service.js';
import { baseUrlOf, principalOf, type HttpDeps } from '../http.types.js';

/**
 * Who may sign in to an account: invitations and users (docs/login.md). Managing them takes
 * `keys:manage`, as managing keys does (an owner's role has it); whose account a route may
 * touch is the service's rule.
 */
export async function userRoutes(app: FastifyInstance, deps: HttpDeps) {
  const { users } = deps;
  app.post('/v1/accounts/:id/invites', { config: { scope: 'keys:manage' } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const { invite, token } = await users.invite(principalOf(request), id, request.body);
    // The token is in this answer only: it is stored as a hash. The page at /invite reads it from the fragment, which browsers never send to a server.
    const acceptUrl = `${baseUrlOf(request)}/invite#token=${encodeURIComponent(token)}`;
    return reply.status(201).header('cache-control', 'no-store').send({ ...presentInvite(invite), token, acceptUrl });
  });
  app.get('/v1/accounts/:id/invites', { config: { scope: 'keys:manage' } }, async (request) => {
    const { id } = request.params as { id: string };
    return { invites: (await users.listInvites(principalOf(request), id)).map(presentInvite) };
  });
  app.delete('/v1/invites/:id', { config: { scope: 'keys:manage' } }, async (request) => {
    const { id } = request.params as { id: string };
    return presentInvite(await users.revokeInvite(principalOf(request), id));
  });

  app.get('/v1/accounts/:id/users', { config: { scope: 'keys:manage' } }, async (request) => {
    const { id } = request.params as { id: string };
    return { users: (await users.list(principalOf(request), id)).map(presentUser) };
  });
  app.patch('/v1/users/:id', { config: { scope: 'keys:manage' } }, async (request) => {
    const { id } = request.params as { id: string };
    return presentUser(await users.update(principalOf(request), id, request.body));
  });
  app.delete('/v1/users/:id', { config: { scope: 'keys:manage' } }, async (request) => {
    const { id } = request.params as { id: string };
    return presentUser(await users.remove(principalOf(request), id));
  });
}
