import type { OutputType } from './job-spec.js';
import type { JobUsage, OutputState, OutputUsage } from './job.js';

export type { JobUsage, OutputUsage };

/** What one attempt measured, as its settle step hands it over. */
export interface AttemptMeasure {
  inputSeconds: number | null;
  cpuSeconds: number | null;
  outputs: OutputState[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Seconds of media a succeeded output holds, from the result its pipeline measured (0 for stills and anything else). */
export function outputSeconds(o: OutputState): number {
  if (o.status !== 'succeeded' || !o.result) return 0;
  const r = o.result;
  switch (o.spec.type) {
    case 'mp4':
    case 'audio':
    case 'hls':
      return num(r.duration) ?? 0;
    case 'gif':
    case 'webp': {
      const frames = num(r.frames);
      const fps = num(r.fps);
      return frames !== null && fps ? frames / fps : num(r.duration) ?? 0;
    }
    case 'clips':
      return Array.isArray(r.clips) ? r.clips.reduce<number>((sum, c) => sum + (num((c as { duration?: unknown }).duration) ?? 0), 0) : 0;
    default:
      return 0;
  }
}

/** The outputs' seconds and bytes by type (types with nothing produced are left out). */
export function outputUsage(outputs: OutputState[]): OutputUsage[] {
  const byType = new Map<OutputType, OutputUsage>();
  for (const o of outputs) {
    if (o.status !== 'succeeded') continue;
    const u = byType.get(o.spec.type) ?? { type: o.spec.type, seconds: 0, bytes: 0 };
    u.seconds += outputSeconds(o);
    u.bytes += o.files.reduce((sum, f) => sum + f.size, 0);
    byType.set(o.spec.type, u);
  }
  return [...byType.values()].map((u) => ({ ...u, seconds: round3(u.seconds) }));
}

/**
 * The job's usage after an attempt: CPU adds up over attempts (`prior` is what the job row
 * held); input and outputs are this attempt's.
 */
export function measureUsage(prior: JobUsage | null, attempt: AttemptMeasure): JobUsage {
  const cpuSeconds = prior === null ? attempt.cpuSeconds : prior.cpuSeconds === null || attempt.cpuSeconds === null ? null : round3(prior.cpuSeconds + attempt.cpuSeconds);
  const outputs = outputUsage(attempt.outputs);
  return {
    inputSeconds: attempt.inputSeconds ?? prior?.inputSeconds ?? null,
    cpuSeconds,
    outputs,
    storageBytes: outputs.reduce((sum, o) => sum + o.bytes, 0),
  };
}

/** Prices from configuration; null: not set, no figure shown. */
export interface CostRates {
  perCpuHour: number | null;
  perGbMonth: number | null;
}

export interface Cost {
  /** cpuSeconds / 3600 × MEDIAFORGE_COST_PER_CPU_HOUR. */
  cpu: number | null;
  /** storageBytes / 2^30 × MEDIAFORGE_COST_PER_GB_MONTH: a month of keeping the files. */
  storagePerMonth: number | null;
}

const GIB = 1024 ** 3;
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

export function costOf(u: { cpuSeconds: number | null; storageBytes: number }, rates: CostRates): Cost {
  return {
    cpu: rates.perCpuHour === null || u.cpuSeconds === null ? null : round6((u.cpuSeconds / 3600) * rates.perCpuHour),
    storagePerMonth: rates.perGbMonth === null ? null : round6((u.storageBytes / GIB) * rates.perGbMonth),
  };
}

/** One UTC day of the usage report: the jobs that finished that day, their usage summed. */
export interface UsageDay {
  /** YYYY-MM-DD, UTC. */
  day: string;
  jobs: number;
  inputSeconds: number;
  /** A job whose CPU time is unknown (null) adds nothing. */
  cpuSeconds: number;
  outputs: OutputUsage[];
  storageBytes: number;
}

/** Sums finished jobs' usage by the UTC day they finished, oldest day first; days without jobs are left out. */
export function dailyTotals(rows: Array<{ finishedAt: number; usage: JobUsage }>): UsageDay[] {
  const days = new Map<string, UsageDay & { types: Map<OutputType, OutputUsage> }>();
  for (const { finishedAt, usage } of rows) {
    const day = new Date(finishedAt).toISOString().slice(0, 10);
    let d = days.get(day);
    if (!d) days.set(day, (d = { day, jobs: 0, inputSeconds: 0, cpuSeconds: 0, outputs: [], storageBytes: 0, types: new Map() }));
    d.jobs++;
    d.inputSeconds += usage.inputSeconds ?? 0;
    d.cpuSeconds += usage.cpuSeconds ?? 0;
    d.storageBytes += usage.storageBytes;
    for (const o of usage.outputs) {
      const t = d.types.get(o.type) ?? { type: o.type, seconds: 0, bytes: 0 };
      t.seconds += o.seconds;
      t.bytes += o.bytes;
      d.types.set(o.type, t);
    }
  }
  return [...days.values()]
    .sort((a, b) => a.day.localeCompare(b.day))
    .map(({ types, ...d }) => ({
      ...d,
      inputSeconds: round3(d.inputSeconds),
      cpuSeconds: round3(d.cpuSeconds),
      outputs: [...types.values()].sort((a, b) => a.type.localeCompare(b.type)).map((o) => ({ ...o, seconds: round3(o.seconds) })),
    }));
}
