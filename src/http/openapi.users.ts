import { z } from 'zod';
import { SCOPES } from '../domain/account.js';
import { PASSWORD_MAX, PASSWORD_MIN, ROLES } from '../domain/users.js';

/** The OpenAPI paths of console sign-in, invitations and users (auth.routes.ts, users.routes.ts), merged by openapi.ts. */
const userSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  scopes: z.array(z.enum(SCOPES)).describe("what the role's requests may do"),
  createdAt: z.string(),
  lastLoginAt: z.string().nullable(),
  disabledAt: z.string().nullable(),
});
const inviteSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  createdAt: z.string(),
  expiresAt: z.string(),
  acceptedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
const grantSchema = z.object({
  tokenType: z.literal('Bearer'),
  accessToken: z.string().describe('a JWT: send it as `Authorization: Bearer <token>`'),
  expiresIn: z.number().int().describe('seconds the access token lives (15 minutes)'),
  accessTokenExpiresAt: z.string(),
  refreshToken: z.string().describe('used once by POST /v1/auth/refresh, which answers a new one; a second use ends the session'),
  refreshTokenExpiresAt: z.string().describe('the session ends this long after its last refresh (30 days)'),
  user: userSchema,
});
const password = z.string().min(PASSWORD_MIN).max(PASSWORD_MAX);
const loginBody = z.strictObject({ email: z.string(), password: z.string() });
const registerBody = z.strictObject({ email: z.string(), password, accountName: z.string().min(1).max(100).optional().describe('default: the email') });
const refreshBody = z.strictObject({ refreshToken: z.string() });
const acceptBody = z.strictObject({ token: z.string().describe('from the invitation link (#token=…)'), password });
const inviteBody = z.strictObject({ email: z.string(), role: z.enum(ROLES).optional().describe('default: member') });
const userPatch = z.strictObject({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional().describe('true ends its sessions at once') });

type Json = (s: z.ZodType, description: string, io?: 'input' | 'output') => unknown;
type Errors = (...codes: number[]) => Record<string, unknown>;

export function userPaths(json: Json, errors: Errors, schema: (s: z.ZodType, io?: 'input' | 'output') => unknown) {
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const body = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schema(s, 'input') } } });
  const grant = (status: string, what: string) => ({ [status]: { ...(json(grantSchema, what) as object), headers: { 'cache-control': { schema: { type: 'string', const: 'no-store' } } } } });
  return {
    '/v1/auth/login': {
      post: {
        summary: 'Sign in with email and password. Failed logins are slowed, and refused (429 too_many_attempts, Retry-After) after 5 per email or 20 per address in 15 minutes',
        security: [],
        requestBody: body(loginBody),
        responses: { ...grant('200', 'An access token and a refresh token'), ...errors(400, 401, 429) },
      },
    },
    '/v1/auth/register': {
      post: {
        summary: 'Create an account and its owner (only with MEDIAFORGE_REGISTRATION=open; else 403 registration_closed)',
        security: [],
        requestBody: body(registerBody),
        responses: { ...grant('201', 'Signed in as the new owner'), ...errors(400, 403, 409) },
      },
    },
    '/v1/auth/refresh': {
      post: { summary: 'A new access token and refresh token for a refresh token (used up)', security: [], requestBody: body(refreshBody), responses: { ...grant('200', 'New tokens'), ...errors(400, 401) } },
    },
    '/v1/auth/logout': {
      post: { summary: 'End the session of a refresh token; its access tokens stop working at once', security: [], requestBody: body(refreshBody), responses: { '204': { description: 'Signed out' }, ...errors(400) } },
    },
    '/v1/auth/invites/accept': {
      post: {
        summary: "Accept an invitation: set a password, join the account with the invitation's email and role",
        security: [],
        requestBody: body(acceptBody),
        responses: { ...grant('201', 'Signed in as the new user'), ...errors(400, 409, 410) },
      },
    },
    '/invite': { get: { summary: 'The page an invitation link opens (HTML)', security: [], responses: { '200': { description: 'text/html' } } } },
    '/v1/me': {
      get: {
        summary: 'Who is asking: the signed-in user or the API key, its account and scopes',
        'x-scope': 'any',
        responses: { '200': { description: '{ accountId, scopes, kind: user | key, user? , key? }' }, ...errors(401) },
      },
    },
    '/v1/accounts/{id}/invites': {
      post: {
        summary: 'Invite someone by email with a role; the one-time token and link are in this answer only (valid 7 days)',
        'x-scope': 'keys:manage',
        parameters: [idParam],
        requestBody: body(inviteBody),
        responses: { '201': json(inviteSchema.extend({ token: z.string(), acceptUrl: z.string() }), 'The invitation, its token and link'), ...errors(400, 401, 403, 404, 409) },
      },
      get: { summary: 'Pending invitations', 'x-scope': 'keys:manage', parameters: [idParam], responses: { '200': json(z.object({ invites: z.array(inviteSchema) }), 'The invitations'), ...errors(401, 403, 404) } },
    },
    '/v1/invites/{id}': { delete: { summary: 'Revoke an invitation', 'x-scope': 'keys:manage', parameters: [idParam], responses: { '200': json(inviteSchema, 'The revoked invitation'), ...errors(401, 403, 404) } } },
    '/v1/accounts/{id}/users': {
      get: { summary: "An account's users", 'x-scope': 'keys:manage', parameters: [idParam], responses: { '200': json(z.object({ users: z.array(userSchema) }), 'The users'), ...errors(401, 403, 404) } },
    },
    '/v1/users/{id}': {
      patch: {
        summary: "Change a user's role, or disable (ends its sessions) or enable it; the last owner stays (409 last_owner)",
        'x-scope': 'keys:manage',
        parameters: [idParam],
        requestBody: body(userPatch),
        responses: { '200': json(userSchema, 'The user'), ...errors(400, 401, 403, 404, 409) },
      },
      delete: { summary: 'Remove a user; its sessions end at once (its uploads and jobs stay the account\'s)', 'x-scope': 'keys:manage', parameters: [idParam], responses: { '200': json(userSchema, 'The removed user'), ...errors(401, 403, 404, 409) } },
    },
  };
}
