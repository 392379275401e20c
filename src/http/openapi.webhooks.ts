import { z } from 'zod';
import { DELIVERY_STATUSES, TEST_EVENT, WEBHOOK_EVENT_TYPES } from '../domain/webhooks.js';
import { createWebhookSchema, deliveriesQuerySchema, replaySchema, updateWebhookSchema } from '../services/webhooks.service.js';

/** The OpenAPI paths of webhook endpoints and their delivery log (webhooks.routes.ts), merged by openapi.ts. */
const endpointSchema = z.object({
  id: z.string().describe('whk_…'),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  description: z.string().nullable(),
  createdAt: z.string(),
  disabledAt: z.string().nullable().describe('set by PATCH {disabled: true} or by a 410 Gone; deliveries wait until it is enabled again'),
  disabledReason: z.string().nullable(),
  failingSince: z.string().nullable().describe('Every attempt since this time has failed (null: the last one succeeded); at MEDIAFORGE_WEBHOOK_DISABLE_AFTER_SECONDS (5 days) the endpoint is disabled'),
});
const withSecret = endpointSchema.extend({
  secret: z.string().describe('whsec_…: shown in this answer only; verify deliveries with it (Standard Webhooks)'),
});
const attemptSchema = z.object({
  at: z.string(),
  statusCode: z.number().int().nullable().describe('null: no answer (refused, unreachable, timed out, or the URL policy refused the address)'),
  latencyMs: z.number(),
  responseBody: z.string().nullable().describe('the first 1 KiB of the answer'),
  error: z.string().nullable(),
});
const deliverySchema = z.object({
  id: z.string().describe('dlv_…'),
  endpointId: z.string(),
  event: z.object({
    id: z.string().describe('evt_…: the webhook-id header, the same on every attempt, retry and replay'),
    type: z.enum([...WEBHOOK_EVENT_TYPES, TEST_EVENT]),
    timestamp: z.string(),
    subjectId: z.string().describe('the job, upload or (webhook.test) endpoint'),
  }),
  status: z.enum(DELIVERY_STATUSES).describe('pending: waiting for its next attempt; failed: attempts used up, or 410'),
  attemptCount: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
  attempts: z.array(attemptSchema).describe('oldest first'),
});

type Json = (s: z.ZodType, description: string, io?: 'input' | 'output') => unknown;
type Errors = (...codes: number[]) => Record<string, unknown>;

export function webhookPaths(json: Json, errors: Errors, schema: (s: z.ZodType, io?: 'input' | 'output') => unknown) {
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const body = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schema(s, 'input') } } });
  const scope = 'webhooks:manage';
  const query = Object.entries((schema(deliveriesQuerySchema, 'input') as { properties: Record<string, unknown> }).properties).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
  return {
    '/v1/webhooks': {
      post: {
        summary: 'Add a webhook endpoint: its URL must pass the URL policy (422 url_forbidden / url_unreachable); the signing secret is in this answer only',
        'x-scope': scope,
        requestBody: body(createWebhookSchema),
        responses: { '201': json(withSecret, 'The endpoint and its secret'), ...errors(400, 401, 403, 422) },
      },
      get: { summary: "The account's webhook endpoints", 'x-scope': scope, responses: { '200': json(z.object({ webhooks: z.array(endpointSchema) }), 'The endpoints'), ...errors(401, 403) } },
    },
    '/v1/webhooks/{id}': {
      get: { summary: 'A webhook endpoint', 'x-scope': scope, parameters: [idParam], responses: { '200': json(endpointSchema, 'The endpoint'), ...errors(401, 403, 404) } },
      patch: {
        summary: 'Change the URL (checked again), events or description; disable it, or enable it again',
        'x-scope': scope,
        parameters: [idParam],
        requestBody: body(updateWebhookSchema),
        responses: { '200': json(endpointSchema, 'The endpoint'), ...errors(400, 401, 403, 404, 422) },
      },
      delete: { summary: 'Remove an endpoint with its deliveries', 'x-scope': scope, parameters: [idParam], responses: { '200': json(endpointSchema, 'The removed endpoint'), ...errors(401, 403, 404) } },
    },
    '/v1/webhooks/{id}/test': {
      post: { summary: 'Send a webhook.test event to this endpoint', 'x-scope': scope, parameters: [idParam], responses: { '202': json(deliverySchema, 'The delivery, pending'), ...errors(401, 403, 404, 409) } },
    },
    '/v1/webhooks/{id}/rotate-secret': {
      post: {
        summary: 'A new signing secret; the old one keeps signing beside it for 24 h (two v1 signatures)',
        'x-scope': scope,
        parameters: [idParam],
        responses: { '200': json(withSecret, 'The endpoint and its new secret'), ...errors(401, 403, 404) },
      },
    },
    '/v1/webhooks/{id}/deliveries': {
      get: {
        summary: 'The delivery log, newest first: each delivery with its attempts',
        'x-scope': scope,
        parameters: [idParam, ...query],
        responses: { '200': json(z.object({ deliveries: z.array(deliverySchema), nextCursor: z.string().nullable() }), 'A page of deliveries'), ...errors(400, 401, 403, 404) },
      },
    },
    '/v1/jobs/{id}/deliveries': {
      get: {
        summary: "One job's webhook deliveries to every endpoint of the account, newest first, each with its attempts; another account's job is 404",
        'x-scope': scope,
        parameters: [idParam, ...query],
        responses: { '200': json(z.object({ deliveries: z.array(deliverySchema), nextCursor: z.string().nullable() }), 'A page of deliveries'), ...errors(400, 401, 403, 404) },
      },
    },
    '/v1/webhooks/{id}/deliveries/{deliveryId}/retry': {
      post: {
        summary: 'Send a delivery again now: a pending one is tried at once, a finished one is sent as a new delivery with the same webhook-id',
        'x-scope': scope,
        parameters: [idParam, { name: 'deliveryId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '202': json(deliverySchema, 'The delivery that will be tried'), ...errors(401, 403, 404, 409) },
      },
    },
    '/v1/webhooks/{id}/replay': {
      post: {
        summary: 'Send again every event since a time that the endpoint subscribes to (events are kept 30 days; at most 10,000)',
        'x-scope': scope,
        parameters: [idParam],
        requestBody: body(replaySchema),
        responses: { '202': json(z.object({ replayed: z.number().int(), since: z.string() }), 'How many events will be sent again'), ...errors(400, 401, 403, 404, 409) },
      },
    },
  };
}
