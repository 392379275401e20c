import type { FastifyInstance } from 'fastify';
import { presentDelivery, presentEndpoint } from '../../services/webhooks.service.js';
import { principalOf, type HttpDeps } from '../http.types.js';

/**
 * An account's webhook endpoints and their delivery log (docs/notifications.md), all under
 * `webhooks:manage`. A secret is in the answer of its creation or rotation only (no-store).
 */
export async function webhookRoutes(app: FastifyInstance, deps: HttpDeps) {
  const { webhooks } = deps;
  const config = { scope: 'webhooks:manage' as const };
  type Id = { id: string };

  app.post('/v1/webhooks', { config }, async (request, reply) => {
    const { endpoint, secret } = await webhooks.create(principalOf(request), request.body);
    return reply.status(201).header('cache-control', 'no-store').send({ ...presentEndpoint(endpoint), secret });
  });
  app.get('/v1/webhooks', { config }, async (request) => ({ webhooks: (await webhooks.list(principalOf(request))).map(presentEndpoint) }));
  app.get('/v1/webhooks/:id', { config }, async (request) => presentEndpoint(await webhooks.get(principalOf(request), (request.params as Id).id)));
  app.patch('/v1/webhooks/:id', { config }, async (request) => presentEndpoint(await webhooks.update(principalOf(request), (request.params as Id).id, request.body)));
  app.delete('/v1/webhooks/:id', { config }, async (request) => presentEndpoint(await webhooks.remove(principalOf(request), (request.params as Id).id)));

  app.post('/v1/webhooks/:id/test', { config }, async (request, reply) => {
    return reply.status(202).send(presentDelivery(await webhooks.test(principalOf(request), (request.params as Id).id)));
  });
  app.post('/v1/webhooks/:id/rotate-secret', { config }, async (request, reply) => {
    const { endpoint, secret } = await webhooks.rotateSecret(principalOf(request), (request.params as Id).id);
    return reply.header('cache-control', 'no-store').send({ ...presentEndpoint(endpoint), secret });
  });

  app.get('/v1/webhooks/:id/deliveries', { config }, async (request) => {
    const page = await webhooks.deliveries(principalOf(request), (request.params as Id).id, request.query);
    return { deliveries: page.deliveries.map(presentDelivery), nextCursor: page.nextCursor };
  });
  // One job's deliveries to every endpoint (the console's job page); the job must be the caller's.
  app.get('/v1/jobs/:id/deliveries', { config }, async (request) => {
    const page = await webhooks.jobDeliveries(principalOf(request), (request.params as Id).id, request.query);
    return { deliveries: page.deliveries.map(presentDelivery), nextCursor: page.nextCursor };
  });
  app.post('/v1/webhooks/:id/deliveries/:deliveryId/retry', { config }, async (request, reply) => {
    const { id, deliveryId } = request.params as Id & { deliveryId: string };
    return reply.status(202).send(presentDelivery(await webhooks.retryDelivery(principalOf(request), id, deliveryId)));
  });
  app.post('/v1/webhooks/:id/replay', { config }, async (request, reply) => {
    return reply.status(202).send(await webhooks.replay(principalOf(request), (request.params as Id).id, request.body));
  });
}
