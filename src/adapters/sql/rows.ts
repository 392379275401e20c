import type { JobRecord, JobStatus, UploadRecord } from '../../domain/job.js';
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
  };
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
  // Ready uploads look as they always did; only a pending presigned upload carries its state.
  if (row.status === 'pending') {
    upload.status = 'pending';
    upload.multipartId = row.multipart_id ?? null;
    upload.expiresAt = row.expires_at === null || row.expires_at === undefined ? null : Number(row.expires_at);
  }
  return upload;
}
