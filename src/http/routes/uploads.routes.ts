import type {} from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { DomainError } from '../../domain/errors.js';
import { presentUpload } from '../presenters.js';
import type { HttpDeps } from '../http.types.js';

export async function uploadRoutes(app: FastifyInstance, deps: HttpDeps) {
  app.post('/v1/uploads', async (request, reply) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > deps.maxUploadBytes + 64 * 1024) {
      // Refuse before reading a byte when the client told us the size.
      throw new DomainError('upload_too_large', `the file is larger than the limit of ${deps.maxUploadBytes} bytes`, { limitBytes: deps.maxUploadBytes });
    }
    let upload;
    if (isPresignedRequest(request.body)) {
      if (!deps.directUploads) {
        throw new DomainError('presigned_unavailable', 'presigned uploads need S3 storage (MEDIAFORGE_STORAGE=s3); send the file in the request body instead');
      }
      const ticket = await deps.directUploads.create(request.body);
      return reply.status(201).send({
        upload: presentUpload(ticket.upload),
        method: ticket.method,
        url: ticket.url,
        headers: ticket.headers,
        parts: ticket.parts,
        partSizeBytes: ticket.partSizeBytes,
        expiresAt: new Date(ticket.expiresAt).toISOString(),
        completeUrl: `/v1/uploads/${ticket.upload.id}/complete`,
      });
    }
    if (request.isMultipart()) {
      const part = await request.file({ limits: { fileSize: deps.maxUploadBytes + 1, files: 1, fields: 10 } });
      if (!part || part.fieldname !== 'file') {
        throw new DomainError('upload_missing_file', 'send the media as a multipart field named `file`');
      }
      upload = await deps.uploads.create(part.file, { filename: part.filename, contentType: part.mimetype });
    } else {
      if (!(request.body instanceof Readable)) {
        throw new DomainError('unsupported_media_type', 'send the file as multipart/form-data (field `file`) or as a raw body such as application/octet-stream, not as JSON');
      }
      const query = request.query as { filename?: string };
      upload = await deps.uploads.create(request.body, {
        filename: query.filename,
        contentType: request.headers['content-type'],
      });
    }
    return reply.status(201).send(presentUpload(upload));
  });

  app.post('/v1/uploads/:id/complete', async (request) => {
    const { id } = request.params as { id: string };
    if (!deps.directUploads) {
      throw new DomainError('presigned_unavailable', 'presigned uploads need S3 storage (MEDIAFORGE_STORAGE=s3); uploads through the API are complete when POST /v1/uploads answers');
    }
    return presentUpload(await deps.directUploads.complete(id, request.body instanceof Readable ? {} : request.body));
  });

  app.get('/v1/uploads/:id', async (request) => {
    const { id } = request.params as { id: string };
    return presentUpload(await deps.uploads.get(id));
  });
}

/** A JSON body asking for a presigned URL (any other JSON is refused below as before). */
function isPresignedRequest(body: unknown): body is { method: 'presigned' } {
  return typeof body === 'object' && body !== null && !(body instanceof Readable) && (body as { method?: unknown }).method === 'presigned';
}
