import type { FastifyInstance, FastifyReply } from 'fastify';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DomainError } from '../../domain/errors.js';
import type { HttpDeps } from '../http.types.js';

/** Where `npm run build` writes the console (vite build, web/console/vite.config.ts): dist/console of this package. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../dist/console', import.meta.url));
/** The fixed prefix the console's hashed assets are served under (vite's `base`). */
export const CONSOLE_ASSETS = '/console/assets/';

/**
 * The console's page: its own scripts and styles only (no inline script or style, no other
 * origin), API calls to this origin only, never framed.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
  map: 'application/json; charset=utf-8',
};

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>mediaforge: console not built</title>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>The web console is not built</h1>
<p>This server runs from a checkout whose console assets were never built (they are not in <code>dist/console</code>).
Run <code>npm run build</code> (or <code>npm install</code>, which builds) and restart the server.</p>
<p>The API works meanwhile: <a href="/v1/openapi.json">/v1/openapi.json</a>, <a href="/healthz">/healthz</a>.</p>
</body></html>`;

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR';

/** GET / (the console's index.html) and GET /console/assets/* (docs/console.md). */
export async function consoleRoutes(app: FastifyInstance, deps: Pick<HttpDeps, 'consoleDir'>) {
  const dir = deps.consoleDir ?? DEFAULT_CONSOLE_DIR;

  app.get('/', { config: { public: true } }, async (_request, reply: FastifyReply) => {
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').header('referrer-policy', 'no-referrer').header('x-content-type-options', 'nosniff');
    try {
      const html = await readFile(join(dir, 'index.html'));
      return reply.header('content-security-policy', CONSOLE_CSP).send(html);
    } catch (err) {
      if (!isMissing(err)) throw err;
      return reply.status(503).header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(NOT_BUILT);
    }
  });

  app.get(`${CONSOLE_ASSETS}:name`, { config: { public: true } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)];
    // Vite's names only (`index-Bx3f9a.js`): no path, no dot-file, a known type.
    if (!/^[\w-][\w.-]*$/.test(name) || type === undefined) throw new DomainError('not_found', `no console asset ${name}`);
    let body: Buffer;
    try {
      body = await readFile(join(dir, 'assets', name));
    } catch (err) {
      if (!isMissing(err)) throw err;
      throw new DomainError('not_found', `no console asset ${name} (rebuilt since this page was loaded? reload it)`);
    }
    // The names carry a hash of the content: a new build is new names.
    return reply.header('content-type', type).header('cache-control', 'public, max-age=31536000, immutable').header('x-content-type-options', 'nosniff').send(body);
  });
}
