import type { S3IngestService } from '../services/s3-ingest.service.js';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Principal } from '../domain/principal.js';
import type { AccountsService } from '../services/accounts.service.js';
import type { AuthService } from '../services/auth.service.js';
import type { LoginService } from '../services/login.service.js';
import type { UsersService } from '../services/users.service.js';
import type { WebhooksService } from '../services/webhooks.service.js';
import type { JobsService } from '../services/jobs.service.js';
import type { LinkSigner } from '../services/links.js';
import type { UploadsService } from '../services/uploads.service.js';
import type { DirectUploadsService } from '../services/direct-uploads.service.js';
import type { FilesService } from '../services/files.service.js';
import type { PresetsService } from '../services/presets.service.js';
import type { DeletionService } from '../services/deletion.service.js';
import type { CostRates } from '../domain/usage.js';
import type { PresentContext } from './presenters.js';
import type { RateLimitSettings } from './rate-limit.js';
import type { Observability } from './observability.js';
import type { HttpTracer } from './request-tracing.js';
import type { TusHttp } from './tus-server.js';

export interface HttpDeps {
  jobs: JobsService;
  /** Accounts and their keys (src/http/routes/accounts.routes.ts). */
  accounts: AccountsService;
  /** Console sign-in (src/http/routes/auth.routes.ts). */
  login: LoginService;
  /** Invitations and users of an account (src/http/routes/users.routes.ts). */
  users: UsersService;
  uploads: UploadsService;
  /** Webhook endpoints and their delivery log (src/http/routes/webhooks.routes.ts). */
  webhooks: WebhooksService;
  /** The account's presets and the built-ins (src/http/routes/presets.routes.ts). */
  presets: PresetsService;
  /** DELETE of jobs and uploads. */
  deletion: DeletionService;
  /** Present only when storage can sign URLs (S3); `method: presigned` is refused otherwise. */
  directUploads?: DirectUploadsService;
  /** Resumable uploads over tus (src/http/routes/tus.routes.ts, docs/tus.md); absent: the routes are not there. */
  tus?: TusHttp;
  /** Bucket events (POST /v1/ingest/s3-events); absent: the route answers 404 ingest_not_configured. */
  s3Ingest?: Pick<S3IngestService, 'authenticate' | 'handle'>;
  /** Signed download links: checks them, serves or redirects to the bytes. */
  files: FilesService;
  /** Turns the Authorization header into the request's principal (tests pass their own). */
  auth: Pick<AuthService, 'verify'>;
  signer: LinkSigner;
  /** The time answers are presented at (link expiry, ETAs): main passes the Clock port's clock. */
  clock: { now(): number };
  logger: Logger;
  publicUrl: string | null;
  /** The built web console (index.html, assets/); absent: dist/console of this package. */
  consoleDir?: string;
  maxUploadBytes: number;
  /** An upload body that sends nothing for this long is cut off. */
  uploadIdleMs: number;
  /** Uploads one key may have in flight at once (per API process). */
  maxConcurrentUploads: number;
  /** Prices of the jobs' cost figures (null: not set). */
  costs: CostRates;
  /** Requests per minute per key or address (absent or 0: no limit). */
  /** Fastify's trustProxy: false, a hop count, or the proxies' addresses (config MEDIAFORGE_TRUST_PROXY). */
  trustProxy?: false | number | string[];
  rateLimit?: RateLimitSettings;
  health(): Promise<{ ok: boolean; checks: Record<string, string> }>;
  /** GET /metrics, GET /readyz and the HTTP metrics (src/http/observability.ts); absent: none of them. */
  observability?: Observability;
  /** A span per request (src/http/request-tracing.ts); absent: none. */
  tracer?: HttpTracer;
}

/**
 * The base of download links: MEDIAFORGE_PUBLIC_URL, else the address the API listens on.
 * Only an API listening on every interface without a public URL falls back to the request's
 * Host header (a warning at start says so): a client-chosen Host must not pick where the
 * signed links in an answer point.
 */
export function baseUrlOf(request: FastifyRequest): string {
  return request.server.linkBase ?? `${request.protocol}://${request.host}`;
}

/**
 * The verified caller of a route that needs a key (app.ts sets it before the handler runs).
 * A public route has none: asking there is a programming error, not a client's.
 */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`${request.method} ${request.routeOptions.url} is public: it has no principal`);
  return request.principal;
}

export function presentContext(request: FastifyRequest, deps: HttpDeps): PresentContext {
  return { baseUrl: baseUrlOf(request), signer: deps.signer, now: deps.clock.now(), costs: deps.costs };
}
