import { stat } from 'node:fs/promises';
import type { TruncationFacts } from '../domain/damage.js';
import type { MediaMetadata } from '../domain/media.js';
import { checkLimits, type MediaLimits } from '../ffmpeg/probe.js';
import type { MediaRunner } from '../ports/media-runner.port.js';
import { probeSource, type ProbedSource } from './source-probe.js';

/**
 * Bumped whenever probing or its parsing changes what it finds (a new field in
 * `MediaMetadata`, a new damage check), so that a probe stored by an older release is
 * measured again instead of trusted.
 */
export const STORED_PROBE_VERSION = 1;

/** What `probeSource` found about one stored upload, as it is kept beside the upload (JSON). */
export interface StoredProbe {
  version: number;
  /** The file's size when it was probed: an upload is immutable, so a different size means a different file. */
  bytes: number;
  meta: MediaMetadata;
  truncation: TruncationFacts | null;
}

/** A stored probe that may be used for this file, or null (none, another version, another size, not ours). */
export function reusableProbe(raw: unknown, bytes: number): ProbedSource | null {
  if (!raw || typeof raw !== 'object') return null;
  const p = raw as Partial<StoredProbe>;
  if (p.version !== STORED_PROBE_VERSION || p.bytes !== bytes || !p.meta || typeof p.meta !== 'object') return null;
  return { meta: p.meta, truncation: p.truncation ?? null };
}

/**
 * The probe of an upload, measured once per upload instead of once per job: the first job
 * runs `probeSource` (byte sniff, container structure, ffprobe, orientation) and hands the
 * result to `save`; later jobs on the same upload reuse it. Only what depends on the file
 * alone is reused: the limits are checked again on every job (they are configuration, and
 * may have changed), and the damage policy is the job's (the caller's `DamageVerdict`). A
 * source that cannot be probed stores nothing, so every job is refused with the same error.
 * A failing `save` costs only the reuse.
 */
export async function probeUpload(
  runner: MediaRunner,
  inputPath: string,
  opts: { signal: AbortSignal; timeoutMs: number; limits: MediaLimits },
  stored: { probe: unknown; save(probe: StoredProbe): Promise<void> },
): Promise<ProbedSource & { reused: boolean }> {
  const { size } = await stat(inputPath);
  const earlier = reusableProbe(stored.probe, size);
  if (earlier) {
    checkLimits(earlier.meta, opts.limits);
    return { ...earlier, reused: true };
  }
  const probed = await probeSource(runner, inputPath, opts);
  await stored.save({ version: STORED_PROBE_VERSION, bytes: size, meta: probed.meta, truncation: probed.truncation }).catch(() => undefined);
  return { ...probed, reused: false };
}
