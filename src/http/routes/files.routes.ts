import type { FastifyInstance } from 'fastify';
import { contentTypeFor } from '../../domain/content-types.js';
import { DomainError } from '../../domain/errors.js';
import { assertValidKey } from '../../domain/keys.js';
import type { ByteRange } from '../../ports/blob-store.port.js';
import { scopeOf } from '../../services/links.js';
import type { HttpDeps } from '../http.types.js';

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`. Several ranges: we answer with the whole file (RFC 9110 allows it). */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/**
 * HLS segments and init files never change once written: players and caches may keep them.
 * Playlists do change while a package is still encoding (EVENT, then VOD), so they revalidate.
 */
export function cacheControlFor(key: string): string {
  if (/\/\d{2}-hls\/[^/]+\/(?:seg_\d+\.(?:m4s|ts)|init(?:_\d+)?\.mp4)$/.test(key)) return 'private, max-age=31536000, immutable';
  if (key.endsWith('.m3u8')) return 'private, no-cache';
  return 'private, max-age=3600';
}

export async function fileRoutes(app: FastifyInstance, deps: HttpDeps) {
  // CORS preflight for players on other origins that send `Range` (hls.js, video elements).
  app.options('/v1/files/:token/*', { config: { public: true } }, async (_request, reply) =>
    reply
      .status(204)
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
      .header('access-control-allow-headers', 'range')
      .header('access-control-max-age', '86400')
      .send(),
  );
  // Public: the signed token in the path is the credential (checked below).
  app.get('/v1/files/:token/*', { config: { public: true } }, async (request, reply) => {
    // Set first, so that error answers (403, 404, 416) are readable by players on other origins too.
    reply.header('access-control-allow-origin', '*');
    const { token, '*': key } = request.params as { token: string; '*': string };
    try {
      assertValidKey(key);
    } catch {
      throw new DomainError('not_found', 'no such file');
    }
    const scope = scopeOf(key);
    if (!scope) throw new DomainError('not_found', 'no such file');
    const nowMs = deps.clock.now();
    const linkExpiresAtMs = deps.signer.verify(token, scope, nowMs);
    const stat = await deps.blobs.stat(key);
    if (!stat) throw new DomainError('not_found', 'no such file');
    const name = key.slice(key.lastIndexOf('/') + 1);
    const headers = { contentType: contentTypeFor(name), contentDisposition: `inline; filename="${name}"`, cacheControl: cacheControlFor(key) };

    // With S3 storage the bytes come from the bucket: a presigned GET minted now, for this key
    // only. HEAD stays here (a presigned GET does not sign HEAD); so do playlists and VTT.
    if (deps.downloads && request.method === 'GET') {
      const location = await deps.downloads.redirectFor(key, headers, { nowMs, linkExpiresAtMs });
      if (location) return reply.status(302).header('location', location).header('cache-control', 'no-store').send();
    }

    const range = parseRange(request.headers.range, stat.size);
    if (range === 'unsatisfiable') {
      reply.header('content-range', `bytes */${stat.size}`);
      throw new DomainError('range_not_satisfiable', `the range is outside the file (${stat.size} bytes)`);
    }
    reply
      .header('content-type', headers.contentType)
      .header('accept-ranges', 'bytes')
      .header('access-control-allow-origin', '*')
      .header('access-control-expose-headers', 'content-length, content-range, accept-ranges')
      .header('cache-control', headers.cacheControl)
      .header('content-disposition', headers.contentDisposition);
    if (range) {
      reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${stat.size}`).header('content-length', range.end - range.start + 1);
      return reply.send(await deps.blobs.get(key, range));
    }
    reply.header('content-length', stat.size);
    return reply.send(await deps.blobs.get(key));
  });
}
