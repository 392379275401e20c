import { z } from 'zod';
import { outputSpecSchema } from '../domain/job-spec.js';
import { presetCreateSchema, presetReplaceSchema } from '../domain/presets.js';

/**
 * The OpenAPI paths of presets (src/http/routes/presets.routes.ts) and the DELETE operations
 * of jobs and uploads (docs/lifecycle.md), merged by openapi.ts.
 */
const presetSchema = z.object({
  name: z.string(),
  description: z.string().nullable(),
  outputs: z.array(outputSpecSchema).describe('As saved; checked again (defaults applied) when a job uses the preset'),
  builtIn: z.boolean().describe('Built-in presets are the same for every account and read-only (409 preset_read_only)'),
  createdAt: z.string().nullable().describe('null for a built-in'),
  updatedAt: z.string().nullable(),
});

type Json = (s: z.ZodType, description: string, io?: 'input' | 'output') => unknown;
type Errors = (...codes: number[]) => Record<string, unknown>;
type Schema = (s: z.ZodType, io?: 'input' | 'output') => unknown;

export function presetPaths(json: Json, errors: Errors, schema: Schema) {
  const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
  const body = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schema(s, 'input') } } });
  return {
    '/v1/presets': {
      post: {
        summary: "Save a preset in the caller's account: a name and the outputs a job takes with `\"preset\": \"name\"`",
        'x-scope': 'jobs:write',
        requestBody: body(presetCreateSchema),
        responses: { '201': json(presetSchema, 'The preset'), ...errors(400, 401, 403, 409) },
      },
      get: {
        summary: "The account's presets, then the built-ins (lms-hls, frames-1fps, shorts-9x16-60s, web-mp4-720)",
        'x-scope': 'jobs:read',
        responses: { '200': json(z.object({ presets: z.array(presetSchema) }), 'Every preset this account can use'), ...errors(401, 403) },
      },
    },
    '/v1/presets/{name}': {
      get: { summary: 'A preset (the account\'s own or a built-in)', 'x-scope': 'jobs:read', parameters: [nameParam], responses: { '200': json(presetSchema, 'The preset'), ...errors(401, 403, 404) } },
      put: {
        summary: "Replace an existing preset's outputs and description (a built-in: 409 preset_read_only)",
        'x-scope': 'jobs:write',
        parameters: [nameParam],
        requestBody: body(presetReplaceSchema),
        responses: { '200': json(presetSchema, 'The preset'), ...errors(400, 401, 403, 404, 409) },
      },
      delete: {
        summary: 'Delete a preset (jobs made with it keep their outputs; a built-in: 409 preset_read_only)',
        'x-scope': 'jobs:write',
        parameters: [nameParam],
        responses: { '200': json(presetSchema, 'The deleted preset'), ...errors(401, 403, 404, 409) },
      },
    },
  };
}

/** DELETE /v1/jobs/{id} and DELETE /v1/uploads/{id}: placed beside the GET of the same path. */
export function deleteOperations(json: Json, errors: Errors, shapes: { job: z.ZodType; upload: z.ZodType }) {
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return {
    job: {
      summary: "Delete a finished job's output files now; the job stays readable by id with `deletedAt` (lists leave it out). 409 job_not_deletable while queued or running",
      'x-scope': 'jobs:write',
      parameters: [idParam],
      responses: { '200': json(shapes.job, 'The job, deleted'), ...errors(401, 403, 404, 409) },
    },
    upload: {
      summary: "Delete an upload's source now (status `deleted`); jobs made from it keep their outputs. 409 upload_in_use while a queued or running job uses it",
      'x-scope': 'uploads:write',
      parameters: [idParam],
      responses: { '200': json(shapes.upload, 'The upload, deleted'), ...errors(401, 403, 404, 409) },
    },
  };
}

const s3IngestResultSchema = z.object({
  received: z.number().int(),
  created: z.array(z.object({ bucket: z.string(), key: z.string(), uploadId: z.string(), jobId: z.string().nullable() })),
  duplicates: z.array(z.object({ bucket: z.string(), key: z.string(), uploadId: z.string() })).describe('Objects (bucket, key, ETag) an earlier event already made an upload of'),
  ignored: z.number().int().describe('Records that are not ObjectCreated, or outside every configured prefix'),
  failed: z.array(z.object({ bucket: z.string(), key: z.string(), code: z.string(), message: z.string() })),
});

/** POST /v1/ingest/s3-events (docs/lifecycle.md "Bucket events"): no API key, the shared secret instead. */
export function ingestPaths(json: Json, errors: Errors) {
  return {
    '/v1/ingest/s3-events': {
      post: {
        summary: "S3 event notifications (AWS's JSON, MinIO's webhook target): each ObjectCreated under a configured prefix becomes an upload and a job with the prefix's preset, once per bucket, key and ETag",
        security: [],
        description: 'Authorization: Bearer MEDIAFORGE_INGEST_S3_SECRET (401 ingest_unauthorized); 404 ingest_not_configured when bucket events are off.',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { Records: { type: 'array', items: { type: 'object' } } }, required: ['Records'] } } } },
        responses: { '200': json(s3IngestResultSchema, 'What became of each record'), ...errors(400, 401, 404) },
      },
    },
  };
}
