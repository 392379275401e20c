import type { FastifyInstance } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import type { HttpDeps } from '../http.types.js';

/**
 * Bucket events (docs/lifecycle.md "Bucket events"). Public as far as API keys go: the event
 * sender (an S3 HTTP subscription, MinIO's webhook target) holds no key, only the shared
 * secret it presents as a bearer token, checked by the service in constant time.
 */
export async function ingestRoutes(app: FastifyInstance, deps: HttpDeps) {
  app.post('/v1/ingest/s3-events', { config: { public: true } }, async (request) => {
    const ingest = deps.s3Ingest;
    if (!ingest) {
      throw new DomainError('ingest_not_configured', 'bucket events are off on this server: set MEDIAFORGE_INGEST_S3_SECRET and MEDIAFORGE_INGEST_S3_PREFIXES (S3 storage only; docs/lifecycle.md)');
    }
    ingest.authenticate(request.headers.authorization);
    return ingest.handle(request.body);
  });
}
