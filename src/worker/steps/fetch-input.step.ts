import { keys } from '../../domain/keys.js';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError } from '../../domain/errors.js';
import { downloadingStage, STAGES } from '../../domain/job-lifecycle.js';
import { importFromUrl } from '../../pipelines/url-import.js';
import type { AttemptContext } from '../attempt-context.js';

export interface FetchedInput {
  /** The blob the outputs read. */
  key: string;
  /** Removes what the step stored for this attempt alone (an imported URL); an upload stays. */
  release(): Promise<void>;
  /** An upload's stored probe and how to store one (an imported URL is probed every time: it is new each attempt). */
  probe?: { stored: unknown; save(probe: unknown): Promise<void> };
}

/** Step 1: the stored input: the job's upload, or its URL downloaded once for all its outputs. */
export async function fetchInput(a: AttemptContext): Promise<FetchedInput> {
  if (a.job.inputUrl) return importInput(a, a.job.inputUrl);
  const input = await a.deps.db.uploads.getInput(a.job.uploadId);
  if (!input) throw new DomainError('input_invalid', `the upload ${a.job.uploadId} no longer exists`);
  const { upload } = input;
  // Removed while the job was being submitted (the sweeper and the API raced): say so, do not retry.
  if (upload.status === 'expired') throw new DomainError('upload_expired', `the source of upload ${upload.id} expired under its retention and was removed; upload the file again`);
  if (upload.status === 'deleted') throw new DomainError('upload_deleted', `upload ${upload.id} was deleted; upload the file again`);
  const { db } = a.deps;
  return { key: upload.key, release: async () => undefined, probe: { stored: input.storedProbe, save: (p) => db.uploads.saveProbe(upload.id, p) } };
}

async function importInput(a: AttemptContext, url: string): Promise<FetchedInput> {
  const { fetcher, blobs, pageImporter } = a.deps;
  const limits = a.settings.urlImport;
  if (!fetcher || !limits) throw new DomainError('input_unsupported', 'this worker is not set up to import URLs; upload the file instead');
  a.reporter.report(0, STAGES.downloading);
  const key = keys.importSource(a.job.accountId, a.job.id);
  // yt-dlp (for pages and streams) downloads here first; the stored copy is what the outputs use.
  const workDir = join(a.workDir, 'import');
  try {
    // importFromUrl removes what it wrote when it fails or is aborted.
    await importFromUrl({ fetcher, blobs, pageImporter: pageImporter ?? null }, url, key, limits, a.signal, {
      workDir,
      onProgress: (f) => a.reporter.report(0, downloadingStage(f)),
    });
  } finally {
    await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  }
  return { key, release: () => blobs.delete(key).catch(() => undefined) };
}
