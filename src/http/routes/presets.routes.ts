import type { FastifyInstance } from 'fastify';
import { presentPreset } from '../presenters.js';
import { principalOf, type HttpDeps } from '../http.types.js';

/**
 * Presets (docs/lifecycle.md): reading takes `jobs:read`, saving and deleting `jobs:write`
 * (what a preset is for: jobs). Another account's preset answers 404, like an unknown name.
 */
export async function presetRoutes(app: FastifyInstance, deps: HttpDeps) {
  const { presets } = deps;
  app.post('/v1/presets', { config: { scope: 'jobs:write' } }, async (request, reply) => reply.status(201).send(presentPreset(await presets.create(principalOf(request), request.body))));

  app.get('/v1/presets', { config: { scope: 'jobs:read' } }, async (request) => ({ presets: (await presets.list(principalOf(request))).map(presentPreset) }));

  app.get('/v1/presets/:name', { config: { scope: 'jobs:read' } }, async (request) => {
    const { name } = request.params as { name: string };
    return presentPreset(await presets.get(principalOf(request), name));
  });

  app.put('/v1/presets/:name', { config: { scope: 'jobs:write' } }, async (request) => {
    const { name } = request.params as { name: string };
    return presentPreset(await presets.replace(principalOf(request), name, request.body));
  });

  app.delete('/v1/presets/:name', { config: { scope: 'jobs:write' } }, async (request) => {
    const { name } = request.params as { name: string };
    return presentPreset(await presets.delete(principalOf(request), name));
  });
}
