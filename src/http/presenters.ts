import { isFinal, type JobRecord, type JobUsage, type UploadRecord } from '../domain/job.js';
import { costOf, type CostRates } from '../domain/usage.js';
import { scopeOf, type LinkSigner } from '../services/links.js';
import { outputsExpiry } from '../domain/retention.js';
import type { PresetView } from '../services/presets.service.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface PresentContext {
  baseUrl: string;
  signer: LinkSigner;
  now: number;
  /** MEDIAFORGE_COST_PER_CPU_HOUR and MEDIAFORGE_COST_PER_GB_MONTH. */
  costs: CostRates;
}

/** What the job used, with its cost; null until it has settled (a job waiting to retry shows none yet). */
export function presentUsage(job: { status: JobRecord['status']; usage: JobUsage | null }, costs: CostRates) {
  if (!job.usage || !isFinal(job.status)) return null;
  const { inputSeconds, cpuSeconds, outputs, storageBytes } = job.usage;
  return { inputSeconds, cpuSeconds, outputs, storageBytes, cost: costOf(job.usage, costs) };
}

export function presentUpload(u: UploadRecord) {
  return {
    id: u.id,
    filename: u.filename,
    size: u.size,
    contentType: u.contentType,
    sha256: u.sha256 || null,
    status: u.status ?? 'ready',
    createdAt: iso(u.createdAt),
    retention: u.retention ?? {},
    sourceExpiresAt: iso(u.sourceExpiresAt ?? null),
    removedAt: iso(u.removedAt ?? null),
    process: u.process ?? null,
    jobId: u.jobId ?? null,
    processError: u.processError ?? null,
  };
}

export function presentPreset(v: PresetView) {
  const { preset } = v;
  return { name: preset.name, description: preset.description, outputs: preset.outputs, builtIn: v.builtIn, createdAt: v.builtIn ? null : iso(preset.createdAt), updatedAt: v.builtIn ? null : iso(preset.updatedAt) };
}

/** Seconds left, extrapolated from the progress rate so far. */
export function etaSeconds(job: JobRecord, now: number): number | null {
  if (job.status !== 'running' || !job.startedAt || job.progress <= 2 || job.progress >= 100) return null;
  const elapsed = (now - job.startedAt) / 1000;
  return Math.max(0, Math.round((elapsed * (100 - job.progress)) / job.progress));
}

export function presentJob(job: JobRecord, ctx: PresentContext) {
  // One token per output folder (src/services/links.ts scopeOf): a link opens that output only.
  const tokens = new Map<string, string>();
  const linkFor = (key: string) => {
    const scope = scopeOf(key) ?? key;
    let token = tokens.get(scope);
    if (!token) tokens.set(scope, (token = ctx.signer.token(scope, ctx.now)));
    return `${ctx.baseUrl}/v1/files/${token}/${key}`;
  };
  return {
    id: job.id,
    status: job.status,
    progress: job.progress,
    stage: job.stage,
    etaSeconds: etaSeconds(job, ctx.now),
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    input: { ...(job.inputUrl ? { url: job.inputUrl } : { uploadId: job.uploadId }), onDamage: job.onDamage, metadata: job.probe },
    outputs: job.outputs.map((o) => ({
      ...o.spec,
      status: o.status,
      // A removed output keeps its file list, without links (a link signed before answers 410).
      files: o.files.map((f) => ({
        name: f.name,
        url: o.status === 'expired' || o.status === 'deleted' ? null : linkFor(f.key),
        size: f.size,
        contentType: f.contentType,
      })),
      ...(o.result ? { result: o.result } : {}),
      ...(o.error ? { error: o.error } : {}),
    })),
    metadata: job.userMetadata,
    error: job.error,
    warnings: job.warnings,
    createdAt: iso(job.createdAt),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    usage: presentUsage(job, ctx.costs),
    retention: job.retention,
    outputsExpireAt: iso(outputsExpiry(job)),
    outputsRemovedAt: iso(job.outputsRemovedAt),
    deletedAt: iso(job.deletedAt),
    ...(job.notifyEmail ? { notify: { email: job.notifyEmail } } : {}),
  };
}

export type JobView = ReturnType<typeof presentJob>;
