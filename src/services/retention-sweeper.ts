import { RETENTION_SWEEPER_LEASE } from '../domain/retention.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import { deleteStored } from './storage-deletions.js';

export interface SweeperLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RetentionSweeperOptions {
  /** This process's name on the lease. */
  owner: string;
  /** Time between sweeps (MEDIAFORGE_RETENTION_SWEEP_SECONDS). */
  periodMs: number;
  /** Rows marked per query, and keys per deleteMany. Defaults 100 and 1000. */
  batch?: number;
  deleteBatch?: number;
  /** Batches per sweep, at most (a backlog is worked off over several sweeps). Default 50. */
  maxBatches?: number;
}

/** What one sweep did. */
export interface SweepReport {
  uploadsExpired: number;
  jobsExpired: number;
  filesDeleted: number;
  /** Keys storage refused this time (kept, tried again next sweep). */
  filesFailed: number;
}

/**
 * The retention sweeper (docs/lifecycle.md): every period, in whichever process holds the
 * lease (`leases` row, taken for two periods and renewed while it sweeps: one process at a
 * time across every worker), it marks due uploads and job outputs `expired` (each with its
 * keys, in one transaction: storage usage goes down at that commit), then deletes the keys
 * waiting in `storage_deletions` from storage, those and any a user's DELETE or an earlier
 * sweep could not delete. Started by src/main beside the worker, embedded or distributed.
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    private readonly deps: { db: Pick<Database, 'retention'>; blobs: Pick<BlobStore, 'deleteMany'>; clock: Clock; logger?: SweeperLogger },
    private readonly opts: RetentionSweeperOptions,
  ) {}

  private get leaseMs() {
    return Math.max(2 * this.opts.periodMs, 30_000);
  }

  start(): void {
    const tick = () => {
      if (this.stopped || this.running) return;
      this.running = this.sweep()
        .catch((err: unknown) => this.deps.logger?.warn({ err: (err as Error).message }, 'retention sweep failed; the next one tries again'))
        .finally(() => (this.running = null));
    };
    this.timer = setInterval(tick, this.opts.periodMs);
    this.timer.unref?.();
  }

  /** Waits for a sweep in progress, then gives the lease up so another process takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.deps.db.retention.releaseLease(RETENTION_SWEEPER_LEASE, this.opts.owner).catch(() => undefined);
  }

  /** One sweep; null when another process holds the lease. */
  async sweep(): Promise<SweepReport | null> {
    const { db, clock } = this.deps;
    const lease = () => db.retention.takeLease(RETENTION_SWEEPER_LEASE, this.opts.owner, clock.now(), this.leaseMs);
    if (!(await lease())) return null;
    const batch = this.opts.batch ?? 100;
    const report: SweepReport = { uploadsExpired: 0, jobsExpired: 0, filesDeleted: 0, filesFailed: 0 };
    const now = clock.now();
    for (let i = 0; i < (this.opts.maxBatches ?? 50); i++) {
      const uploads = await db.retention.dueUploads(now, batch);
      for (const id of uploads) if ((await db.retention.expireUpload(id, now)).status === 'removed') report.uploadsExpired++;
      const jobs = await db.retention.dueJobOutputs(now, batch);
      for (const id of jobs) if ((await db.retention.expireJobOutputs(id, now)).status === 'removed') report.jobsExpired++;
      if (uploads.length < batch && jobs.length < batch) break;
      if (!(await lease())) return report;
    }
    for (let i = 0; i < (this.opts.maxBatches ?? 50); i++) {
      const pending = await db.retention.pendingDeletions(clock.now(), this.opts.deleteBatch ?? 1000);
      const { deleted, error } = await deleteStored(this.deps, pending, clock.now() + this.opts.periodMs);
      report.filesDeleted += deleted;
      if (error) {
        report.filesFailed += pending.length;
        this.deps.logger?.warn({ err: error.message, keys: pending.length }, 'storage refused to delete expired files; the next sweep tries again');
        break;
      }
      if (pending.length < (this.opts.deleteBatch ?? 1000) || !(await lease())) break;
    }
    if (report.uploadsExpired || report.jobsExpired || report.filesDeleted) this.deps.logger?.info({ ...report }, 'retention sweep');
    return report;
  }
}
