import type { OutputState, StoredFile } from './job.js';

/**
 * How long media is kept (docs/lifecycle.md). Seconds; `null` is "until deleted". A field
 * left out follows the next level: the job's own, then its upload's (outputs only), the
 * account's settings, the configuration. Everything is resolved once, when the upload or the
 * job is created, so changing a default later changes what is made after it.
 */
export { MAX_RETENTION_SECONDS, retentionSchema, type Retention } from './retention-spec.js';
import type { Retention } from './retention-spec.js';

/** The lease row (migration 0016) that lets one process at a time sweep. */
export const RETENTION_SWEEPER_LEASE = 'retention-sweeper';

/** What applies when nothing more specific says: the configuration's defaults, or an account's settings over them. */
export interface RetentionSettings {
  sourceSeconds: number | null;
  outputsSeconds: number | null;
}

/** The account's own settings over the configured defaults (a field the account did not set follows the default). */
export function effectiveRetention(account: Partial<RetentionSettings> | undefined, defaults: RetentionSettings): RetentionSettings {
  const own = account ?? {};
  return {
    sourceSeconds: own.sourceSeconds !== undefined ? own.sourceSeconds : defaults.sourceSeconds,
    outputsSeconds: own.outputsSeconds !== undefined ? own.outputsSeconds : defaults.outputsSeconds,
  };
}

const pick = (...levels: Array<number | null | undefined>): number | null => {
  for (const level of levels) if (level !== undefined) return level;
  return null;
};

/** When an upload's source is removed: `from` (stored, or a presigned upload completed) plus its seconds; null: kept until deleted. */
export function sourceExpiry(requested: Retention | undefined, settings: RetentionSettings, from: number): number | null {
  const s = pick(requested?.sourceSeconds, settings.sourceSeconds);
  return s === null ? null : from + s * 1000;
}

/**
 * What a new job keeps: its outputs' seconds (the job's, else its upload's, else the
 * account's), and its own limit on the source (none unless the job gives one).
 */
export function jobRetention(requested: Retention | undefined, upload: Retention | undefined, settings: RetentionSettings): RetentionSettings {
  return { outputsSeconds: pick(requested?.outputsSeconds, upload?.outputsSeconds, settings.outputsSeconds), sourceSeconds: pick(requested?.sourceSeconds) };
}

/** When a finished job's outputs are removed; null while it runs or when they are kept until deleted. */
export function outputsExpiry(job: { finishedAt: number | null; retention: RetentionSettings }): number | null {
  if (job.finishedAt === null || job.retention.outputsSeconds === null) return null;
  return job.finishedAt + job.retention.outputsSeconds * 1000;
}

/** Why a file or an upload is no longer stored. */
export type Removal = 'expired' | 'deleted';

/**
 * A job's outputs once their files are removed: an output that had succeeded says why it is
 * gone (`expired`, `deleted`); failed and pending ones keep their status. Every file stays
 * listed (the download route answers 410 for it, naming the reason); `keys` are what to remove.
 */
export function removeOutputs(outputs: OutputState[], why: Removal): { outputs: OutputState[]; keys: string[] } {
  const keys = outputs.flatMap((o) => o.files.map((f: StoredFile) => f.key));
  const hadFiles = (o: OutputState) => o.status === 'succeeded' || o.status === 'expired';
  return { outputs: outputs.map((o) => (hadFiles(o) ? { ...o, status: why } : o)), keys };
}
