import type {} from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { DomainError } from '../../domain/errors.js';
import type { UploadRecord } from '../../domain/job.js';
import type { ReceivedFile, UploadMeta } from '../../services/uploads.service.js';
import type { ProcessSpec } from '../../domain/process-spec.js';
import { parseRetention } from '../../services/retention.service.js';
import type { Retention } from '../../domain/retention.js';
import { guardUploadBody, multipartError } from '../upload-body.js';
import { UploadSlots } from '../upload-slots.js';
import { presentUpload } from '../presenters.js';
import { baseUrlOf, principalOf, type HttpDeps } from '../http.types.js';

export async function uploadRoutes(app: FastifyInstance, deps: HttpDeps) {
  const slots = new UploadSlots(deps.maxConcurrentUploads);
  app.post('/v1/uploads', { config: { scope: 'uploads:write' } }, async (request, reply) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > deps.maxUploadBytes + 64 * 1024) {
      // Refuse before reading a byte when the client told us the size.
      throw new DomainError('upload_too_large', `the file is larger than the limit of ${deps.maxUploadBytes} bytes`, { limitBytes: deps.maxUploadBytes });
    }
    if (isJsonRequest(request.body, 'tus')) {
      if (!deps.tus) throw new DomainError('validation_failed', 'this server has no tus uploads', { path: 'method' });
      const ticket = await deps.tus.service.createDirect(principalOf(request), request.body);
      // The URL a browser hands to a tus client as its upload URL: it carries the capability for this one upload.
      return reply.status(201).send({
        upload: presentUpload(ticket.upload),
        method: 'tus',
        url: `${baseUrlOf(request)}${ticket.path}`,
        token: ticket.token,
        expiresAt: new Date(ticket.expiresAt).toISOString(),
      });
    }
    if (isPresignedRequest(request.body)) {
      if (!deps.directUploads) {
        throw new DomainError('presigned_unavailable', 'presigned uploads need S3 storage (MEDIAFORGE_STORAGE=s3); send the file in the request body instead');
      }
      const ticket = await deps.directUploads.create(principalOf(request), request.body);
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
    if (!request.isMultipart() && !(request.body instanceof Readable)) {
      throw new DomainError('unsupported_media_type', 'send the file as multipart/form-data (field `file`) or as a raw body such as application/octet-stream, not as JSON');
    }
    const principal = principalOf(request);
    const query = request.query as { filename?: string; retention?: string; process?: string };
    // Checked before a byte is stored: a bad retention refuses the upload, it does not keep it forever.
    const retention = parseRetention(query.retention, 'retention query parameter');
    // And so is `process`: an upload that could not make its job is refused, not stored without one.
    const header = request.headers['x-mediaforge-process'];
    const processText = query.process ?? (typeof header === 'string' ? header : undefined);
    const process = processText === undefined ? undefined : await deps.jobs.checkProcess(principal, parseJsonText(processText, query.process !== undefined ? 'process query parameter' : 'X-Mediaforge-Process header'), 'process');
    const release = slots.acquire(principal.keyId);
    const guard = guardUploadBody(request, { idleMs: deps.uploadIdleMs });
    try {
      const upload = request.isMultipart()
        ? await receiveMultipart(request, deps, guard.signal, { retention, process })
        : await deps.uploads.create(principal, request.body as Readable, { filename: query.filename, contentType: request.headers['content-type'], retention, process }, { signal: guard.signal });
      return reply.status(201).send(presentUpload(upload));
    } finally {
      guard.release();
      release();
    }
  });

  app.post('/v1/uploads/:id/complete', { config: { scope: 'uploads:write' } }, async (request) => {
    const { id } = request.params as { id: string };
    if (!deps.directUploads) {
      throw new DomainError('presigned_unavailable', 'presigned uploads need S3 storage (MEDIAFORGE_STORAGE=s3); uploads through the API are complete when POST /v1/uploads answers');
    }
    return presentUpload(await deps.directUploads.complete(principalOf(request), id, request.body instanceof Readable ? {} : request.body));
  });

  app.get('/v1/uploads/:id', { config: { scope: 'uploads:write' } }, async (request) => {
    const { id } = request.params as { id: string };
    return presentUpload(await deps.uploads.get(principalOf(request), id));
  });

  // The source, now (docs/lifecycle.md); 409 upload_in_use while a queued or running job reads it.
  app.delete('/v1/uploads/:id', { config: { scope: 'uploads:write' } }, async (request) => {
    const { id } = request.params as { id: string };
    return presentUpload(await deps.deletion.deleteUpload(principalOf(request), id));
  });
}

/** A JSON body asking for a presigned URL (any other JSON is refused below as before). */
function isPresignedRequest(body: unknown): body is { method: 'presigned' } {
  return isJsonRequest(body, 'presigned');
}

/** A JSON body with this `method` (`presigned`, `tus`). */
function isJsonRequest(body: unknown, method: string): boolean {
  return typeof body === 'object' && body !== null && !(body instanceof Readable) && (body as { method?: unknown }).method === method;
}

/**
 * The one `file` part of a multipart body. A second file part, a body cut inside a part or
 * without a boundary is refused with a 400 naming the problem; what was stored is removed.
 */
async function receiveMultipart(request: FastifyRequest, deps: HttpDeps, signal: AbortSignal, fromQuery: { retention?: Retention; process?: ProcessSpec }): Promise<UploadRecord> {
  let received: ReceivedFile | null = null;
  let meta: UploadMeta | null = null;
  const principal = principalOf(request);
  try {
    for await (const part of request.files({ limits: { fileSize: deps.maxUploadBytes + 1, files: 1, fields: 10, parts: 20 } })) {
      if (part.fieldname !== 'file') {
        part.file.resume();
        throw new DomainError('upload_missing_file', `send the media as a multipart field named \`file\` (got a file in \`${part.fieldname.slice(0, 64)}\`)`);
      }
      // `retention` and `process` fields sent before the file (JSON), else the query parameter's.
      let { retention, process } = fromQuery;
      try {
        const retentionField = fieldValue(part.fields.retention);
        if (retentionField !== undefined) retention = parseRetention(retentionField, 'retention form field');
        const processField = fieldValue(part.fields.process);
        if (processField !== undefined) process = await deps.jobs.checkProcess(principal, parseJsonText(processField, 'process form field'), 'process');
      } catch (err) {
        part.file.resume();
        throw err;
      }
      meta = { filename: part.filename, contentType: part.mimetype, retention, process };
      received = await deps.uploads.receive(principal, part.file, { signal });
    }
  } catch (err) {
    if (received) await deps.uploads.discard(received).catch(() => undefined);
    throw multipartError(err) ?? err;
  }
  if (!received || !meta) throw new DomainError('upload_missing_file', 'send the media as a multipart field named `file`');
  return deps.uploads.commit(principal, received, meta);
}

function fieldValue(field: unknown): string | undefined {
  if (!field || Array.isArray(field)) return undefined;
  const f = field as { type?: string; value?: unknown };
  return f.type === 'field' && typeof f.value === 'string' ? f.value : undefined;
}

/** JSON sent as text (a query parameter, a header, a form field), or 400 validation_failed naming where. */
function parseJsonText(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DomainError('validation_failed', `the ${where} is not valid JSON (${(err as Error).message}); send the JSON, URL-encoded in a query parameter`, { path: 'process' });
  }
}
