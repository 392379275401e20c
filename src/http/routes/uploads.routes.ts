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

  app.get('/v1/uploads/:id', async (request) => {
    const { id } = request.params as { id: string };
    return presentUpload(await deps.uploads.get(id));
  });
}
