import type { JobRecord, JobStatus, UploadRecord, UploadStatus } from '../../domain/job.js';
import type { JobsTable, UploadsTable } from './schema.js';

const json = <T>(text: string | null): T | null => (text == null ? null : (JSON.parse(text) as T));
const num = (v: number | string | bigint | null): number | null => (v == null ? null : Number(v));

export function toJob(row: JobsTable): JobRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    status: row.status as JobStatus,
    progress: Number(row.progress),
    stage: row.stage,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    uploadId: row.upload_id,
    inputUrl: row.input_url ?? null,
    onDamage: row.on_damage === 'warn' ? 'warn' : 'fail',
    probe: json(row.probe),
    outputs: json(row.outputs) ?? [],
    userMetadata: json(row.user_metadata),
    error: json(row.error),
    warnings: json(row.warnings ?? null) ?? [],
    createdAt: Number(row.created_at),
    startedAt: num(row.started_at),
    finishedAt: num(row.finished_at),
    runAfter: Number(row.run_after),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: num(row.lease_expires_at),
    usage: json(row.usage ?? null),
    retention: { outputsSeconds: num(row.outputs_seconds ?? null), sourceSeconds: num(row.source_seconds ?? null) },
    outputsRemovedAt: num(row.outputs_removed_at ?? null),
    deletedAt: num(row.deleted_at ?? null),
    ...(row.notify_email ? { notifyEmail: row.notify_email } : {}),
  };
}

/** The retention an upload was made with; unreadable or absent (before 0016): none asked for. */
function jsonOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}

function retentionOf(text: string | null | undefined): UploadRecord['retention'] {
  try {
    const r = JSON.parse(text ?? '{}') as UploadRecord['retention'];
    return r && typeof r === 'object' ? r : {};
  } catch {
    return {};
  }
}

export function toUpload(row: UploadsTable): UploadRecord {
  const upload: UploadRecord = {
    id: row.id,
    filename: row.filename,
    size: Number(row.size),
    contentType: row.content_type,
    sha256: row.sha256,
    key: row.storage_key,
    createdAt: Number(row.created_at),
  };
  // Ready uploads without a lifetime look as they always did; the rest carry what they have.
  const retention = retentionOf(row.retention);
  if (retention && Object.keys(retention).length > 0) upload.retention = retention;
  if (row.source_expires_at != null) upload.sourceExpiresAt = Number(row.source_expires_at);
  if (row.removed_at != null) upload.removedAt = Number(row.removed_at);
  if (row.process) upload.process = jsonOr(row.process, null) as UploadRecord['process'];
  if (row.job_id) upload.jobId = row.job_id;
  if (row.process_error) upload.processError = jsonOr(row.process_error, null) as UploadRecord['processError'];
  if (row.status === 'pending') {
    upload.status = 'pending';
    upload.multipartId = row.multipart_id ?? null;
    upload.expiresAt = row.expires_at === null || row.expires_at === undefined ? null : Number(row.expires_at);
  }
  if (row.status === 'expired' || row.status === 'deleted') upload.status = row.status satisfies UploadStatus;
  return upload;
}
