import { isShort, type Coverage } from './coverage.js';
import { DomainError, isDomainError } from './errors.js';
import type { OutputType } from './job-spec.js';
import type { MediaMetadata } from './media.js';

/**
 * What a job does with a damaged source (data that ends early, frames ffmpeg cannot decode):
 * `fail` (the default) fails the job with `input_truncated` / `input_invalid`; `warn` makes
 * what can be made and says what happened in the job's `warnings`. Either way a damaged
 * source never gives a clean, silent success.
 */
export { DAMAGE_POLICIES, type DamagePolicy } from './damage-policy.js';
import type { DamagePolicy } from './damage-policy.js';

export const WARNING_CODES = ['input_truncated', 'input_damaged', 'output_short'] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface JobWarning {
  code: WarningCode;
  message: string;
  /** The output (index into `outputs`) the warning is about; absent for the source. */
  output?: number;
  details?: Record<string, unknown>;
}

/** What the container's structure says about a file cut short (src/ffmpeg/source-integrity.ts). */
export interface TruncationFacts {
  container: 'mp4' | 'matroska';
  fileBytes: number;
  declaredBytes: number;
  /** The index (`moov`) that tells where the samples are is not in the file at all. */
  indexMissing: boolean;
  /** Per track, from the index: the declared seconds and samples, and those wholly in the file. */
  tracks: Array<{ kind: 'video' | 'audio'; seconds: number; completeSeconds: number; samples: number; completeSamples: number }>;
}

/** Damage signs in one ffmpeg run's log (src/ffmpeg/damage.tally.ts). */
export interface DamageCounts {
  /** Lines where a demuxer found the data ending before the container said it would. */
  truncation: number;
  /** Frames or packets ffmpeg could not decode cleanly (concealed, dropped or flagged corrupt). */
  decodeErrors: number;
  /** The first line of each kind, without paths or addresses, to quote in messages. */
  firstTruncation: string | null;
  firstDecodeError: string | null;
}

/** Decode errors accepted before a source counts as damaged: 1 % of its frames (or packets), at least 10. */
export function decodeErrorLimit(meta: MediaMetadata): number {
  const units = meta.frameCount ?? (meta.duration ?? 0) * (meta.fps ?? 50);
  return Math.max(10, Math.ceil(units / 100));
}

const s1 = (x: number) => `${x.toFixed(1)} s`;
const count = (n: number) => n.toLocaleString('en-US');
const bytes = (n: number) => `${count(n)} bytes`;
const WARN_HINT = 'or set input.onDamage to "warn" to keep what is there';

/**
 * The one place that decides, for one attempt, what damage does to the job: which errors
 * it raises and which warnings it records. Pure; the worker feeds it the probe's findings,
 * each run's damage counts and each output's coverage.
 */
export class DamageVerdict {
  private readonly found = new Map<string, JobWarning>();

  constructor(readonly policy: DamagePolicy, private meta: MediaMetadata | null = null) {}

  /** The source's warnings first, then each output's in output order. */
  get warnings(): JobWarning[] {
    return [...this.found.values()].sort((a, b) => (a.output ?? -1) - (b.output ?? -1));
  }

  /** A file whose structure says it was cut short, found before ffprobe could read it (or when it could not). */
  static unreadable(t: TruncationFacts): DomainError {
    const missing = t.indexMissing
      ? `, and the index (moov) that says where its frames are is missing`
      : '';
    return new DomainError(
      'input_truncated',
      `the file ends after ${bytes(t.fileBytes)} but its container declares ${bytes(t.declaredBytes)}${missing}: it was probably cut short in transfer (or its recording never finished); upload it again`,
      { fileBytes: t.fileBytes, declaredBytes: t.declaredBytes },
    );
  }

  /** The probed source: fails (policy `fail`), or returns the metadata of what is really there (policy `warn`). */
  admitSource(meta: MediaMetadata, t: TruncationFacts | null): MediaMetadata {
    this.meta = meta;
    if (!t) return meta;
    if (t.indexMissing) throw DamageVerdict.unreadable(t);
    const declared = meta.duration ?? Math.max(0, ...t.tracks.map((k) => k.seconds));
    const video = t.tracks.find((k) => k.kind === 'video');
    const audio = t.tracks.find((k) => k.kind === 'audio');
    const available = t.tracks.length ? Math.max(...t.tracks.map((k) => k.completeSeconds)) : null;
    const details = { fileBytes: t.fileBytes, declaredBytes: t.declaredBytes, declaredDuration: declared, availableDuration: available };
    const sizes = `(${count(t.fileBytes)} of ${bytes(t.declaredBytes)} are there)`;
    const where = available === null ? `the file ends early ${sizes}` : `the file ends at ${s1(available)} of the ${s1(declared)} its header declares ${sizes}`;
    if (available === 0) throw new DomainError('input_truncated', `${where}: not one frame is complete; it was probably cut short in transfer; upload it again`, details);
    if (this.policy === 'fail') {
      const keep = available === null ? WARN_HINT : `or set input.onDamage to "warn" to process the ${s1(available)} that are there`;
      throw new DomainError('input_truncated', `${where}: it was probably cut short in transfer; upload it again, ${keep}`, details);
    }
    this.add({ code: 'input_truncated', message: `${where}; ${available === null ? 'what is there was processed' : `only those ${s1(available)} were processed`}`, details });
    if (available === null) return meta;
    const adjusted: MediaMetadata = { ...meta, duration: available, declaredDuration: declared };
    if (video) adjusted.videoDuration = video.completeSeconds;
    if (video) adjusted.frameCount = video.completeSamples;
    if (audio) adjusted.audioDuration = audio.completeSeconds;
    this.meta = adjusted;
    return adjusted;
  }

  /** After one ffmpeg run (one output, or several sharing the run): its damage counts and each output's coverage. */
  judgeRun(counts: DamageCounts, members: Array<{ index: number; type: OutputType; coverage?: Coverage | null }>): void {
    const shorts = members.filter((m) => m.coverage && isShort(m.coverage));
    const truncated = counts.truncation > 0;
    if ((truncated || shorts.length) && !this.found.has('input_truncated')) {
      const parts = [
        ...(truncated ? [`ffmpeg reports the data ending early (${counts.firstTruncation ?? 'partial file'})`] : []),
        ...shorts.map((m) => `the ${m.type} output (${m.index + 1}) covers ${s1(m.coverage!.produced)} of the ${s1(m.coverage!.expected)} the input declares`),
      ];
      const message = `the input's data ends early: ${parts.join('; ')}`;
      if (this.policy === 'fail') throw new DomainError('input_truncated', `${message}. It was probably cut short in transfer; upload it again, ${WARN_HINT}`);
      this.add({ code: 'input_truncated', message });
    }
    if (this.policy === 'warn') {
      for (const m of shorts) {
        const c = m.coverage!;
        this.add({ code: 'output_short', output: m.index, message: `the ${m.type} output covers ${s1(c.produced)} of the ${s1(c.expected)} it should`, details: { producedSeconds: c.produced, expectedSeconds: c.expected } });
      }
    }
    // A cut's last packet is a decode error too; the truncation already says it.
    if (truncated || this.found.has('input_truncated') || counts.decodeErrors === 0) return;
    const n = counts.decodeErrors;
    const limit = this.meta ? decodeErrorLimit(this.meta) : 10;
    const what = `ffmpeg could not cleanly decode ${n} frame${n === 1 ? '' : 's'} or packets of the input`;
    if (n > limit && this.policy === 'fail') {
      throw new DomainError('input_invalid', `${what} (more than the ${limit} accepted for its length): the file is damaged; upload an intact copy, ${WARN_HINT}`, { decodeErrors: n, limit });
    }
    const earlier = this.found.get('input_damaged');
    if (earlier && Number(earlier.details?.decodeErrors) >= n) return;
    const example = counts.firstDecodeError ? ` (e.g. "${counts.firstDecodeError}")` : '';
    this.add({ code: 'input_damaged', message: `${what}${example}; those frames may show artefacts or be missing`, details: { decodeErrors: n, limit } });
  }

  /**
   * A run that failed on a source that showed damage failed because of it: a permanent
   * input error instead of a retried `ffmpeg_failed`.
   */
  explainFailure(err: unknown, counts: DamageCounts): unknown {
    if (!isDomainError(err) || err.code !== 'ffmpeg_failed') return err;
    if (counts.truncation > 0) {
      return new DomainError('input_truncated', `the input's data ends early (${counts.firstTruncation ?? 'partial file'}) and ffmpeg could not finish: ${err.message}`);
    }
    if (counts.decodeErrors > 0) {
      return new DomainError('input_invalid', `ffmpeg could not finish after ${counts.decodeErrors} decode errors in the input: ${err.message}`, { decodeErrors: counts.decodeErrors });
    }
    return err;
  }

  private add(w: JobWarning): void {
    this.found.set(`${w.code}${w.output ?? ''}`, w);
  }
}
