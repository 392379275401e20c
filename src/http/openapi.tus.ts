import { z } from 'zod';
import { tusUploadSchema } from '../services/tus-uploads.service.js';

/**
 * The OpenAPI paths of tus uploads (src/http/routes/tus.routes.ts, docs/tus.md), merged by
 * openapi.ts. The per-upload operations are `security: []` at the router: they take the key
 * or the upload's capability token (`?token=`) and check it themselves.
 */
type Errors = (...codes: number[]) => Record<string, unknown>;

export { tusUploadSchema };

export const tusTicketSchema = (uploadSchema: z.ZodType) =>
  z.object({
    upload: uploadSchema,
    method: z.literal('tus'),
    url: z.string().describe('The tus upload URL with its capability token: give it to a tus client as its upload URL (tus-js-client `uploadUrl`)'),
    token: z.string().describe('The capability alone (it is in `url` already)'),
    expiresAt: z.string().describe('When the token stops working'),
  });

export function tusPaths(errors: Errors) {
  const header = (name: string, description: string, required = true) => ({ name, in: 'header', required, schema: { type: 'string' }, description });
  const tusResumable = header('Tus-Resumable', '1.0.0');
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The upload id (`upl_…`)' };
  const tokenParam = { name: 'token', in: 'query', required: false, schema: { type: 'string' }, description: 'The capability of a browser upload (instead of the key)' };
  const preflight = { summary: 'tus capabilities (Tus-Version, Tus-Extension, Tus-Max-Size) and CORS preflight', security: [], responses: { '204': { description: 'No body' } } };
  return {
    '/v1/uploads/tus': {
      post: {
        summary: 'tus creation (and creation-with-upload): a new upload of Upload-Length bytes; Location ends with its upl_ id',
        'x-scope': 'uploads:write',
        parameters: [tusResumable, header('Upload-Length', 'The size in bytes (deferred lengths are refused)'), header('Upload-Metadata', 'filename, filetype, sha256, retention, process (base64 values)', false)],
        responses: { '201': { description: 'Created; Location is the upload URL, Upload-Expires its expiry' }, ...errors(400, 401, 403, 413, 422) },
      },
      options: preflight,
    },
    '/v1/uploads/tus/{id}': {
      head: { summary: 'The offset to resume from (Upload-Offset, Upload-Length)', security: [], parameters: [idParam, tokenParam, tusResumable], responses: { '200': { description: 'No body' }, '404': { description: 'No such upload for this caller' }, '410': { description: 'Expired or deleted' } } },
      patch: {
        summary: 'tus core: the bytes from Upload-Offset (Content-Type application/offset+octet-stream); the last makes it a ready upload',
        security: [],
        parameters: [idParam, tokenParam, tusResumable, header('Upload-Offset', 'Where these bytes go')],
        description: '409: Upload-Offset is not the stored offset (HEAD it), or the upload is complete. 423 upload_locked: another request is writing this upload.',
        responses: { '204': { description: 'Stored; Upload-Offset is the new offset' }, ...errors(400, 401, 403, 404, 409, 410, 413, 422, 423) },
      },
      delete: { summary: 'tus termination: the upload and its bytes go', security: [], parameters: [idParam, tokenParam, tusResumable], responses: { '204': { description: 'Removed' }, ...errors(401, 403, 404, 409, 410) } },
      options: preflight,
    },
  };
}
