import type { Generated } from 'kysely';
import type { InvitesTable, LoginFailuresTable, RefreshTokensTable, SessionsTable, UsersTable } from './schema.users.js';

export type { InvitesTable, LoginFailuresTable, RefreshTokensTable, SessionsTable, UsersTable };

/** Column types shared by SQLite and PostgreSQL. JSON is kept as text so both dialects read it alike. */
export interface JobsTable {
  id: string;
  status: string;
  progress: number;
  stage: string | null;
  attempts: number;
  max_attempts: number;
  upload_id: string;
  input_url: string | null;
  probe: string | null;
  outputs: string;
  user_metadata: string | null;
  error: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  run_after: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  updated_at: number;
  /** `input.onDamage` ('warn'); null is the default, 'fail' (0006). */
  on_damage: string | null;
  /** JSON array of the finished job's warnings (0006). */
  warnings: string | null;
  /**
   * Who created the job: the API key's id (src/domain/principal.ts `ownerOf`), 'legacy' for
   * rows of a database that had no key (0008). Idempotency keys are unique per owner.
   */
  owner_key_id: string;
  /** The account that owns the job (0010): every read by a request filters by it. */
  account_id: string;
  /** Sum of the sizes of the job's stored files (0010), written with `outputs`. */
  output_bytes: number;
  /** The queue route of its outputs (src/domain/routes.ts jobRoute; 0013): the fair claim picks within a route. */
  route: string;
  /** JSON of what the job used (src/domain/usage.ts), written when an attempt settles; null before (0011). */
  usage: string | null;
  /** 0016: seconds its outputs are kept after it finished (null: until deleted), its own limit on its upload's source. */
  outputs_seconds: number | null;
  source_seconds: number | null;
  /** 0016: when its output files were removed (expired or deleted); when it was deleted (the row stays). */
  outputs_removed_at: number | null;
  deleted_at: number | null;
  /** 0017: the address told when it ends (`notify.email`); null: the account's, if any. */
  notify_email: string | null;
}

export interface UploadsTable {
  id: string;
  filename: string;
  size: number;
  content_type: string;
  sha256: string;
  storage_key: string;
  created_at: number;
  /** 'ready' | 'pending' (a presigned upload not yet completed); added by migration 0002. */
  status: string;
  multipart_id: string | null;
  expires_at: number | null;
  /** Who uploaded it, as `jobs.owner_key_id` (0008). */
  owner_key_id: string;
  /** The worker's stored probe (JSON, 0009); null until a job probed the upload. */
  probe: string | null;
  /** The account that owns the upload (0010). */
  account_id: string;
  /** 0016: JSON of the retention asked for ({} when none); when the source is removed (null: kept); when it was removed. */
  retention: string;
  source_expires_at: number | null;
  removed_at: number | null;
  /** 0018: the `process` spec (JSON, null: none), the job it made, why none was made (JSON {code, message}). */
  process: string | null;
  job_id: string | null;
  process_error: string | null;
}

/** 0018: bucket objects an S3 event made an upload of (one per bucket, key and ETag). */
export interface IngestObjectsTable {
  bucket: string;
  object_key: string;
  etag: string;
  account_id: string;
  upload_id: string;
  created_at: number;
}

/** 0010. */
export interface AccountsTable {
  id: string;
  name: string;
  /** JSON of the quotas set on this account only (src/domain/account.ts Quotas). */
  quotas: string;
  created_at: number;
  updated_at: number;
  /** 0016: JSON of the retention set on this account only. */
  retention: string;
  /** 0017: the account's notify address (its jobs' default, and where webhook failures are told). */
  notify_email: string | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  /** SHA-256 of the secret; the secret itself is shown once and never stored. */
  hash: string;
  created_at: number;
  /** 0010: the account the key acts for, its scopes (JSON array), when it was last used and revoked. */
  account_id: string;
  scopes: string;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface QueueMessagesTable {
  id: Generated<number>;
  queue: string;
  job_id: string;
  /** The job's route (src/domain/routes.ts), since migration 0004. */
  route: string;
  /** The enqueue's W3C trace context (docs/observability.md#traces), since migration 0019; null: not traced. */
  traceparent: string | null;
  available_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  deliveries: number;
  created_at: number;
}

/** Messages a transition asked for, written in its transaction (0007); see src/ports/outbox.port.ts. */
export interface OutboxTable {
  id: Generated<number>;
  /** src/domain/outbox.ts: 'queue.dispatch', 'webhook.event', 'broker.event'. */
  kind: string;
  /** The job a dispatch is for, for the writer's own send right after its commit; null for events. */
  job_id: string | null;
  /** JSON of the whole message. */
  payload: string;
  /** Not offered to a relay before this (backoff after a refusal). */
  available_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  /** Times a relay has taken it. */
  attempts: number;
  /** When a relay finished with it (sent, or found it needed no sending); null while unsent. */
  sent_at: number | null;
  created_at: number;
  last_error: string | null;
}

/** 0015: an account's webhook receivers (src/ports/webhooks.port.ts). */
export interface WebhookEndpointsTable {
  id: string;
  account_id: string;
  url: string;
  /** JSON array of event types. */
  events: string;
  description: string | null;
  /** Sealed (src/services/webhook-secrets.ts), never the secret itself. */
  secret: string;
  previous_secret: string | null;
  previous_secret_until: number | null;
  paused_until: number | null;
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
  disabled_reason: string | null;
  /** 0017: since when every attempt to it has failed (null: its last attempt succeeded, or none failed yet). */
  failing_since: number | null;
}

/** 0015: one event of an account, kept for the delivery log and replay. */
export interface WebhookEventsTable {
  id: string;
  account_id: string;
  type: string;
  /** 'job' | 'upload' | 'endpoint' (the test event). */
  subject: string;
  subject_id: string;
  output: number | null;
  /** 0020: 'playable' (job.output.ready of an HLS output that first can be played), else null. */
  phase?: string | null;
  at: number;
}

/** 0015: one event to one endpoint. */
export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_id: string;
  account_id: string;
  /** 'pending' | 'succeeded' | 'failed'. */
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  created_at: number;
  updated_at: number;
}

/** 0016: an account's presets (src/domain/presets.ts), by (account, name). */
export interface PresetsTable {
  account_id: string;
  name: string;
  description: string | null;
  /** JSON array of the outputs as given. */
  outputs: string;
  created_at: number;
  updated_at: number;
}

/** 0015: one attempt of a delivery. */
export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: string;
  at: number;
  status_code: number | null;
  latency_ms: number;
  response_body: string | null;
  error: string | null;
}

/** 0016: storage keys to delete, written in the transaction that removed them (src/ports/lifecycle.port.ts). */
export interface StorageDeletionsTable {
  id: Generated<number>;
  storage_key: string;
  account_id: string;
  created_at: number;
  /** Not tried again before this (after a failure). */
  available_at: number;
  attempts: number;
  last_error: string | null;
}

/** 0016: named leases: one holder at a time across processes (the retention sweeper). */
export interface LeasesTable {
  name: string;
  owner: string | null;
  lease_until: number;
}

export interface Tables {
  jobs: JobsTable;
  outbox: OutboxTable;
  uploads: UploadsTable;
  api_keys: ApiKeysTable;
  accounts: AccountsTable;
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  invites: InvitesTable;
  login_failures: LoginFailuresTable;
  queue_messages: QueueMessagesTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  presets: PresetsTable;
  storage_deletions: StorageDeletionsTable;
  leases: LeasesTable;
  ingest_objects: IngestObjectsTable;
}
