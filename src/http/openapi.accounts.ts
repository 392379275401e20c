import { z } from 'zod';
import { SCOPES } from '../domain/account.js';

/** The OpenAPI paths of accounts and keys (src/http/routes/accounts.routes.ts), merged by openapi.ts. */
const limit = z.number().int().nullable().describe('null: no limit');
const quotasSchema = z.object({
  storageBytes: limit.describe('uploads plus stored outputs; null: no limit'),
  runningJobs: limit.describe('jobs running at once; more wait queued'),
  processingMinutesPerMonth: limit,
  uploadBytes: limit.describe('largest single upload'),
});
const keep = z.number().int().min(0).nullable().describe('seconds; null: until deleted');
const retentionSchema = z.object({
  sourceSeconds: keep.describe("an upload's source, after it was stored; null: until deleted"),
  outputsSeconds: keep.describe("a job's outputs, after it finished; null: until deleted"),
});
const usageSchema = z.object({ storageBytes: z.number().int(), uploadBytes: z.number().int(), outputBytes: z.number().int(), runningJobs: z.number().int(), queuedJobs: z.number().int() });
const accountSchema = z.object({
  id: z.string(),
  name: z.string(),
  quotas: quotasSchema.describe('In effect: set on this account, else the configured defaults'),
  retention: retentionSchema.describe('In effect: set on this account, else MEDIAFORGE_RETENTION_SOURCE_SECONDS / _OUTPUTS_SECONDS; an upload or job may say otherwise (docs/lifecycle.md)'),
  notify: z.object({ email: z.string().nullable() }).describe("Told by e-mail when the account's jobs end (unless a job names its own notify.email) and when its webhooks fail (docs/notifications.md#e-mail)"),
  createdAt: z.string(),
  updatedAt: z.string(),
  usage: usageSchema.optional().describe('On GET of one account and GET /v1/account'),
});
const keySchema = z.object({
  id: z.string(),
  name: z.string(),
  accountId: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable().describe('to the minute'),
  revokedAt: z.string().nullable(),
});
const accountBody = z.strictObject({ name: z.string().min(1).max(100), quotas: quotasSchema.partial().optional(), retention: retentionSchema.partial().optional(), notify: z.strictObject({ email: z.string().max(254).nullable().describe('null: none; 422 email_invalid, email_not_configured without MEDIAFORGE_SMTP_URL') }).optional() });
const keyBody = z.strictObject({ name: z.string().min(1).max(100), scopes: z.array(z.enum(SCOPES)).min(1).optional().describe('default: uploads:write, jobs:read, jobs:write') });

type Json = (s: z.ZodType, description: string, io?: 'input' | 'output') => unknown;
type Errors = (...codes: number[]) => Record<string, unknown>;

export function accountPaths(json: Json, errors: Errors, schema: (s: z.ZodType, io?: 'input' | 'output') => unknown) {
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const body = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schema(s, 'input') } } });
  return {
    '/v1/accounts': {
      post: { summary: 'Create an account', 'x-scope': 'admin', requestBody: body(accountBody), responses: { '201': json(accountSchema, 'The account'), ...errors(400, 401, 403, 422) } },
      get: {
        summary: 'Accounts, by id',
        'x-scope': 'admin',
        parameters: [
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } },
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: { '200': json(z.object({ accounts: z.array(accountSchema), nextCursor: z.string().nullable() }), 'A page of accounts'), ...errors(400, 401, 403) },
      },
    },
    '/v1/accounts/{id}': {
      get: { summary: 'An account with its usage', 'x-scope': 'admin', parameters: [idParam], responses: { '200': json(accountSchema, 'The account'), ...errors(401, 403, 404) } },
      patch: {
        summary: 'Rename an account, set its quotas (null: no limit) or its retention (null: until deleted); a field left out keeps its value',
        'x-scope': 'admin',
        parameters: [idParam],
        requestBody: body(accountBody.partial()),
        responses: { '200': json(accountSchema, 'The account'), ...errors(400, 401, 403, 404, 422) },
      },
    },
    '/v1/account': { get: { summary: "The caller's own account, its quotas and usage", 'x-scope': 'any', responses: { '200': json(accountSchema, 'The account'), ...errors(401) } } },
    '/v1/account/usage': {
      get: {
        summary: "Daily usage of the caller's account: jobs finished each UTC day, their input, output and CPU seconds, stored bytes and cost",
        'x-scope': 'any',
        parameters: [
          { name: 'from', in: 'query', required: false, schema: { type: 'string', format: 'date' }, description: 'first day (default: the first of this month)' },
          { name: 'to', in: 'query', required: false, schema: { type: 'string', format: 'date' }, description: 'last day, inclusive (default: today); at most 366 days' },
        ],
        responses: { '200': { description: 'days: [{ day, jobs, inputSeconds, cpuSeconds, outputs: [{ type, seconds, bytes }], storageBytes, cost }], totals' }, ...errors(400, 401) },
      },
    },
    '/v1/accounts/{id}/keys': {
      post: {
        summary: 'Create a key; its secret is in this answer only',
        'x-scope': 'keys:manage',
        parameters: [idParam],
        requestBody: body(keyBody),
        responses: { '201': json(keySchema.extend({ key: z.string().describe('the secret: shown once') }), 'The key and its secret'), ...errors(400, 401, 403, 404) },
      },
      get: { summary: "An account's keys (never their secrets)", 'x-scope': 'keys:manage', parameters: [idParam], responses: { '200': json(z.object({ keys: z.array(keySchema) }), 'The keys'), ...errors(401, 403, 404) } },
    },
    '/v1/keys/{id}': { delete: { summary: 'Revoke a key, at once on every API process', 'x-scope': 'keys:manage', parameters: [idParam], responses: { '200': json(keySchema, 'The revoked key'), ...errors(401, 403, 404) } } },
  };
}
