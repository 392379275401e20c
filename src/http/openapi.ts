import { z } from 'zod';
import { jobRequestSchema } from '../domain/job-spec.js';
import { JOB_STATUSES } from '../domain/job.js';
import { ERROR_CODES } from '../domain/errors.js';
import { DAMAGE_POLICIES, WARNING_CODES } from '../domain/damage.js';
import { listQuerySchema } from './routes/jobs.routes.js';
import { completeUploadSchema, presignedUploadSchema } from '../services/direct-uploads.service.js';
import { accountPaths } from './openapi.accounts.js';
import { userPaths } from './openapi.users.js';
import { webhookPaths } from './openapi.webhooks.js';
import { deleteOperations, ingestPaths, presetPaths } from './openapi.lifecycle.js';
import { tusPaths, tusTicketSchema, tusUploadSchema } from './openapi.tus.js';
import { retentionSchema } from '../domain/retention-spec.js';
import { UPLOAD_STATUSES } from '../domain/job.js';
import { processSpecSchema } from '../domain/process-spec.js';

/**
 * The OpenAPI document, generated from the same zod schemas that validate requests
 * (zod 4's JSON Schema output). Response shapes are declared here as zod too.
 */
const errorSchema = z.object({
  error: z.object({ code: z.enum(Object.keys(ERROR_CODES) as [string, ...string[]]), message: z.string(), details: z.unknown().optional() }),
});
const uploadSchema = z.object({
  id: z.string(),
  filename: z.string(),
  size: z.number().int(),
  contentType: z.string(),
  sha256: z.string().nullable().describe('null while a presigned upload without a declared checksum is pending'),
  status: z.enum(UPLOAD_STATUSES).describe('pending: a presigned upload not yet completed; jobs refuse it. expired / deleted: the source was removed (its retention ran out / DELETE); jobs refuse it with 410'),
  createdAt: z.string(),
  retention: retentionSchema.describe('As asked at upload ({}: none); outputsSeconds is the default of its jobs'),
  sourceExpiresAt: z.string().nullable().describe('When the sweeper removes the source (within one sweep period after; held while a queued or running job uses it); null: kept until deleted'),
  removedAt: z.string().nullable().describe('When the source was removed'),
  process: processSpecSchema.nullable().describe('What the upload asked to be made of it (null: nothing); docs/lifecycle.md'),
  jobId: z.string().nullable().describe("The job `process` made, once the upload is ready (null before, or without `process`)"),
  processError: z.object({ code: z.string(), message: z.string() }).nullable().describe('Why `process` made no job at the completion (a quota refused it): the upload is ready, submit a job on it yourself'),
});
const presignedTicketSchema = z.object({
  upload: uploadSchema,
  method: z.literal('PUT'),
  url: z.string().optional().describe('Single PUT: send exactly `headers` and exactly `size` bytes'),
  headers: z.record(z.string(), z.string()),
  parts: z.array(z.object({ partNumber: z.number().int(), url: z.string() })).optional().describe('Multipart: PUT each partSizeBytes slice, keep each ETag'),
  partSizeBytes: z.number().int().optional(),
  expiresAt: z.string(),
  completeUrl: z.string(),
});
const metadataSchema = z.object({
  kind: z.enum(['video', 'audio', 'image']),
  container: z.string(),
  duration: z.number().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  rotation: z.number().int().describe('Clockwise degrees (0, 90, 180, 270) that turn the stored picture upright: from the display matrix or the EXIF orientation'),
  mirrored: z.boolean().optional().describe('After that rotation, mirror left-right (EXIF orientations 2, 4, 5, 7); absent in metadata from earlier versions'),
  fps: z.number().nullable().describe('average frame rate'),
  peakFps: z.number().nullable().describe('the highest rate the video reaches (above fps for a variable-frame-rate source)'),
  videoCodec: z.string().nullable(),
  audioCodec: z.string().nullable(),
  bitrate: z.number().nullable(),
  hasAudio: z.boolean(),
  hasVideo: z.boolean(),
  fieldOrder: z.enum(['progressive', 'tt', 'bb', 'tb', 'bt', 'unknown']).nullable().describe('ffprobe field_order; null for audio and images'),
  interlaceScan: z
    .object({ tff: z.number().int(), bff: z.number().int(), progressive: z.number().int(), undetermined: z.number().int(), interlaced: z.boolean(), parity: z.enum(['tff', 'bff']).nullable() })
    .optional()
    .describe('present when an idet scan ran: the field order was unknown and an output deinterlaces on auto'),
  videoDuration: z.number().optional().describe('The video stream\'s own duration, when the container states it'),
  audioDuration: z.number().optional().describe('The audio stream\'s own duration, when the container states it'),
  declaredDuration: z
    .number()
    .optional()
    .describe('Only for a source whose data ends early, processed with `onDamage: "warn"`: what its header declares; `duration` is then what is really there'),
});
const warningSchema = z.object({
  code: z.enum(WARNING_CODES).describe('input_truncated: the data ends early; input_damaged: frames ffmpeg could not decode cleanly; output_short: an output covers less than it should'),
  message: z.string(),
  output: z.number().int().optional().describe('Index into `outputs` of the output it is about; absent for the source'),
  details: z.record(z.string(), z.unknown()).optional(),
});
const usageSchema = z
  .object({
    inputSeconds: z.number().nullable().describe('The probed duration of the input; null for an image'),
    cpuSeconds: z.number().nullable().describe("CPU seconds (user + system, as the operating system counts them) of the job's ffprobe, ffmpeg and yt-dlp processes over every attempt that settled; null where they cannot be read (not Linux)"),
    outputs: z.array(z.object({ type: z.string(), seconds: z.number().describe('Seconds of media the outputs of this type hold (0 for stills)'), bytes: z.number().int() })).describe('One entry per type of output produced'),
    storageBytes: z.number().int().describe("Bytes stored for the job's outputs"),
    cost: z
      .object({
        cpu: z.number().nullable().describe('cpuSeconds / 3600 × MEDIAFORGE_COST_PER_CPU_HOUR; null when that is not set'),
        storagePerMonth: z.number().nullable().describe('storageBytes / 2^30 × MEDIAFORGE_COST_PER_GB_MONTH: a month of keeping the files; null when that is not set'),
      })
      .describe('In the currency of the configured prices'),
  })
  .nullable()
  .describe('What the job used (docs/usage.md); null until it has finished');
const fileSchema = z.object({
  name: z.string(),
  url: z.string().nullable().describe('A signed download link; null once the output expired or was deleted (a link signed before answers 410)'),
  size: z.number().int(),
  contentType: z.string(),
});
const jobSchema = z.object({
  id: z.string(),
  status: z.enum(JOB_STATUSES),
  progress: z.number().min(0).max(100),
  stage: z.string().nullable(),
  etaSeconds: z.number().nullable(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  input: z.object({ uploadId: z.string().optional(), url: z.string().optional(), onDamage: z.enum(DAMAGE_POLICIES), metadata: metadataSchema.nullable() }),
  outputs: z.array(
    z.looseObject({
      type: z.string(),
      status: z.enum(['pending', 'running', 'succeeded', 'failed', 'expired', 'deleted']).describe('expired / deleted: succeeded, and its files were removed since'),
      files: z.array(fileSchema),
      result: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  warnings: z.array(warningSchema).describe('What a finished job could not do cleanly; empty for a clean success'),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  usage: usageSchema,
  retention: z.object({ outputsSeconds: z.number().int().nullable(), sourceSeconds: z.number().int().nullable() }).describe('As resolved at creation (docs/lifecycle.md); null: no limit'),
  outputsExpireAt: z.string().nullable().describe('When the sweeper removes the outputs (finishedAt + outputsSeconds); null while it runs or when kept until deleted'),
  outputsRemovedAt: z.string().nullable(),
  deletedAt: z.string().nullable().describe('DELETE /v1/jobs/{id}: its files are gone, the job is still readable by id'),
  notify: z.object({ email: z.string() }).optional().describe('Present when the job asked to be told by e-mail (docs/notifications.md#e-mail)'),
});

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any' });
const json = (s: z.ZodType, description: string, io: 'input' | 'output' = 'output') => ({
  description,
  content: { 'application/json': { schema: schema(s, io) } },
});
/** A route that takes a key (401) is also rate limited (429 `rate_limited`, docs/rate-limits.md). */
const errors = (...codes: number[]) =>
  Object.fromEntries((codes.includes(401) ? [...codes, 429] : codes).map((c) => [String(c), json(errorSchema, 'Error: `error.code` is stable, `error.message` is for people')]));

export function buildOpenApi() {
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const deletes = deleteOperations(json, errors, { job: jobSchema, upload: uploadSchema });
  return {
    openapi: '3.1.0',
    info: {
      title: 'mediaforge API',
      version: '1.0.0',
      description:
        'Uploads in; frames, thumbnails and metadata out. Every /v1 route needs `Authorization: Bearer <api key>`, except the signed /v1/files links; `x-scope` on an operation names the scope its key needs (`admin` holds every scope; `any`: any key). A key without it gets 403 `forbidden`.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: {
      '/v1/uploads': {
        post: {
          summary: 'Upload a file (multipart field `file`, or the raw body with ?filename=)',
          'x-scope': 'uploads:write',
          parameters: [
            { name: 'filename', in: 'query', required: false, schema: { type: 'string' } },
            { name: 'retention', in: 'query', required: false, schema: { type: 'string' }, description: 'JSON of { sourceSeconds?, outputsSeconds? } (multipart: or a `retention` field before the file)' },
            { name: 'process', in: 'query', required: false, schema: { type: 'string' }, description: 'JSON of { preset | outputs, metadata?, notify? }: a job made on the upload once stored (multipart: or a `process` field before the file)' },
            { name: 'X-Mediaforge-Process', in: 'header', required: false, schema: { type: 'string' }, description: 'The same JSON as the `process` query parameter' },
          ],
          requestBody: {
            content: {
              'multipart/form-data': { schema: { type: 'object', properties: { retention: { type: 'string', description: 'JSON, before the file' }, process: { type: 'string', description: 'JSON, before the file' }, file: { type: 'string', format: 'binary' } } } },
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
              'application/json': { schema: { oneOf: [schema(presignedUploadSchema, 'input'), schema(tusUploadSchema, 'input')] } },
            },
          },
          responses: {
            '201': {
              description: 'The stored upload; or (JSON `method: presigned`, S3 storage only) a presigned upload ticket; or (JSON `method: tus`) a tus upload URL with a capability token for a browser (docs/tus.md)',
              content: { 'application/json': { schema: { oneOf: [schema(uploadSchema), schema(presignedTicketSchema), schema(tusTicketSchema(uploadSchema))] } } },
            },
            ...errors(400, 401, 403, 413, 422),
          },
        },
      },
      '/v1/uploads/{id}/complete': {
        post: {
          summary: 'Finish a presigned upload: checks the stored size (and SHA-256 when declared)',
          'x-scope': 'uploads:write',
          parameters: [idParam],
          requestBody: { required: false, content: { 'application/json': { schema: schema(completeUploadSchema, 'input') } } },
          responses: { '200': json(uploadSchema, 'The upload, now ready'), ...errors(400, 401, 403, 404, 409, 422) },
        },
      },
      '/v1/uploads/{id}': {
        get: { summary: 'An upload', 'x-scope': 'uploads:write', parameters: [idParam], responses: { '200': json(uploadSchema, 'The upload'), ...errors(401, 403, 404) } },
        delete: deletes.upload,
      },
      '/v1/jobs': {
        post: {
          summary: 'Create a job: one input, many outputs',
          'x-scope': 'jobs:write',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }],
          requestBody: { required: true, content: { 'application/json': { schema: schema(jobRequestSchema, 'input') } } },
          responses: { '202': json(jobSchema, 'The job, queued'), '200': json(jobSchema, 'The job created earlier with this Idempotency-Key'), ...errors(400, 401, 403, 409, 410, 422) },
        },
        get: {
          summary: 'Jobs, newest first',
          'x-scope': 'jobs:read',
          parameters: Object.entries((schema(listQuerySchema, 'input') as { properties: Record<string, unknown> }).properties).map(([name, s]) => ({ name, in: 'query', required: false, schema: s })),
          responses: { '200': json(z.object({ jobs: z.array(jobSchema), nextCursor: z.string().nullable() }), 'A page of jobs'), ...errors(400, 401, 403) },
        },
      },
      '/v1/jobs/{id}': { get: { summary: 'A job', 'x-scope': 'jobs:read', parameters: [idParam], responses: { '200': json(jobSchema, 'The job'), ...errors(401, 403, 404) } }, delete: deletes.job },
      '/v1/jobs/{id}/cancel': { post: { summary: 'Cancel a queued or running job', 'x-scope': 'jobs:write', parameters: [idParam], responses: { '200': json(jobSchema, 'The canceled job'), ...errors(401, 403, 404, 409) } } },
      '/v1/jobs/{id}/retry': { post: { summary: 'Run a failed or canceled job again', 'x-scope': 'jobs:write', parameters: [idParam], responses: { '202': json(jobSchema, 'The queued job'), ...errors(401, 403, 404, 409) } } },
      '/v1/jobs/{id}/events': {
        get: {
          summary: 'Server-Sent Events: `status` (whole job) and `progress` ({progress, stage, etaSeconds}); ends at a final status',
          'x-scope': 'jobs:read',
          parameters: [idParam],
          responses: { '200': { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors(401, 403, 404) },
        },
      },
      '/v1/files/{token}/{key}': {
        options: { summary: 'CORS preflight for players on other origins', security: [], responses: { '204': { description: 'Allowed methods and headers' } } },
        get: {
          summary: 'Download an output file through a signed, expiring link (Range supported)',
          security: [],
          parameters: [
            { name: 'token', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'key', in: 'path', required: true, schema: { type: 'string' } },
          ],
          responses: { '200': { description: 'The file' }, '206': { description: 'Part of the file' }, ...errors(403, 404, 410, 416) },
        },
      },
      ...tusPaths(errors),
      ...presetPaths(json, errors, schema),
      ...ingestPaths(json, errors),
      ...accountPaths(json, errors, schema),
      ...userPaths(json, errors, schema),
      ...webhookPaths(json, errors, schema),
      '/v1/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
      '/': { get: { summary: 'The web console (HTML; docs/console.md)', security: [], responses: { '200': { description: 'text/html' }, '503': { description: 'text/html: the console is not built (npm run build)' } } } },
      '/console/assets/{name}': { get: { summary: "The console's hashed scripts and styles (cache-control: immutable)", security: [], parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'the asset' }, ...errors(404) } } },
      '/healthz': { get: { summary: 'Liveness and dependencies', security: [], responses: { '200': { description: 'Healthy' }, '503': { description: 'A dependency is down' } } } },
      '/readyz': { get: { summary: 'Readiness: database, queue and storage reachable, no worker draining', security: [], responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready: `down` names what is down' } } } },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (text format); a bearer token only when MEDIAFORGE_METRICS_TOKEN is set',
          security: [],
          responses: { '200': { description: 'text/plain; version=0.0.4' }, '401': { description: '`unauthorized`: the metrics token is missing or wrong' }, '404': { description: 'MEDIAFORGE_METRICS=off' } },
        },
      },
    },
  };
}
