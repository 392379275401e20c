import type { PresetRecord } from '../domain/presets.js';
import type { Principal } from '../domain/principal.js';

/**
 * An account's presets (src/domain/presets.ts). Every method takes the caller's principal and
 * touches only its account's rows: another account's preset is simply not found.
 */
export interface PresetRepository {
  /** False when the account already has a preset of that name. */
  create(principal: Principal, preset: PresetRecord): Promise<boolean>;
  get(principal: Principal, name: string): Promise<PresetRecord | null>;
  /** The account's presets by name. */
  list(principal: Principal): Promise<PresetRecord[]>;
  /** Null when the account has no preset of that name. */
  replace(principal: Principal, name: string, patch: { outputs: unknown[]; description: string | null; updatedAt: number }): Promise<PresetRecord | null>;
  delete(principal: Principal, name: string): Promise<boolean>;
}

/** A storage key waiting to be deleted (the `storage_deletions` table). */
export interface PendingDeletion {
  id: number;
  key: string;
}

/** What removing a job's outputs or an upload's source did. */
export type Removed =
  | { status: 'removed'; /** Rows of `storage_deletions` written with the change, to delete now. */ deletions: PendingDeletion[] }
  /** A job still queued or running; an upload a queued or running job uses (its id). */
  | { status: 'in_use'; jobId: string }
  /** Already removed: nothing changed. */
  | { status: 'already' }
  | { status: 'not_found' };

/**
 * Retention and deletion (docs/lifecycle.md). A removal marks the row and records the keys to
 * delete in one transaction (`storage_deletions`, an outbox of deletions): the storage is
 * written to only after the commit, and a key whose deletion failed or was never tried is
 * deleted by the next sweep. Storage usage (`JobRepository.accountUsage`) stops counting a
 * removed file at the commit.
 */
export interface RetentionRepository {
  /**
   * Takes the named lease for `owner` until `now + ttlMs`, or renews it: false while another
   * owner holds it. One sweeper at a time across processes.
   */
  takeLease(name: string, owner: string, now: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (at shutdown), so another process takes it at once. */
  releaseLease(name: string, owner: string): Promise<void>;

  /**
   * Uploads whose source is due at `now` (its own expiry, or a finished job's `sourceSeconds`)
   * and that no queued or running job uses: those are held until the job ends.
   */
  dueUploads(now: number, limit: number): Promise<string[]>;
  /** Finished jobs whose outputs are due at `now` and still stored. */
  dueJobOutputs(now: number, limit: number): Promise<string[]>;
  /** Marks a due upload `expired`, with its key to delete; checks again that it is due and unused. System call, by id. */
  expireUpload(id: string, now: number): Promise<Removed>;
  /** Marks a due job's outputs `expired` (the job stays), with their keys to delete. System call, by id. */
  expireJobOutputs(id: string, now: number): Promise<Removed>;

  /** DELETE /v1/uploads/{id}: the source, now; refused while a queued or running job uses it. */
  deleteUpload(principal: Principal, id: string, now: number): Promise<Removed>;
  /** DELETE /v1/jobs/{id}: its outputs, now; the row stays marked deleted. Refused while it is queued or running. */
  deleteJob(principal: Principal, id: string, now: number): Promise<Removed>;

  /** Keys waiting to be deleted whose next try is due, oldest first. */
  pendingDeletions(now: number, limit: number): Promise<PendingDeletion[]>;
  /** Their keys are gone from storage. */
  deletionsDone(ids: readonly number[]): Promise<void>;
  /** Their deletion failed: tried again from `retryAt`. */
  deletionsFailed(ids: readonly number[], error: string, retryAt: number): Promise<void>;
}
