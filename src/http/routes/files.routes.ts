import type { FastifyInstance } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import type { ByteRange } from '../../services/files.service.js';
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
  // Public: the signed token in the path is the credential (FilesService.open checks it).
  app.get('/v1/files/:token/*', { config: { public: true } }, async (request, reply) => {
    // Set first, so that error answers (403, 404, 416) are readable by players on other origins too.
    reply.header('access-control-allow-origin', '*');
    const { token, '*': key } = request.params as { token: string; '*': string };
    const file = await deps.files.open(token, key);
    const { headers } = file;

    // With S3 storage the bytes come from the bucket: a presigned GET minted now, for this key
    // only. HEAD stays here (a presigned GET does not sign HEAD); so do playlists and VTT.
    if (request.method === 'GET') {
      const location = await deps.files.redirectFor(file);
      if (location) return reply.status(302).header('location', location).header('cache-control', 'no-store').send();
    }

    const range = parseRange(request.headers.range, file.size);
    if (range === 'unsatisfiable') {
      reply.header('content-range', `bytes */${file.size}`);
      throw new DomainError('range_not_satisfiable', `the range is outside the file (${file.size} bytes)`);
    }
    reply
      .header('content-type', headers.contentType)
      .header('accept-ranges', 'bytes')
      .header('access-control-allow-origin', '*')
      .header('access-control-expose-headers', 'content-length, content-range, accept-ranges')
      .header('cache-control', headers.cacheControl)
      .header('content-disposition', headers.contentDisposition);
    if (range) {
      reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${file.size}`).header('content-length', range.end - range.start + 1);
      return reply.send(await deps.files.read(file, range));
    }
    reply.header('content-length', file.size);
    return reply.send(await deps.files.read(file));
  });
}
