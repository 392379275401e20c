import { STAGES } from '../../domain/job-lifecycle.js';
import type { MediaMetadata } from '../../domain/media.js';
import { withInterlaceScan } from '../../pipelines/interlace.scan.js';
import { probeUpload } from '../../pipelines/probe-reuse.js';
import { probeSource } from '../../pipelines/source-probe.js';
import type { AttemptContext } from '../attempt-context.js';
import type { FetchedInput } from './fetch-input.step.js';

/**
 * Step 2: the one probe of the input (sniff, structure, ffprobe, limits; for an upload, once
 * per upload), the damage
 * verdict's admission of the source, the interlace scan when an output needs it, and the
 * metadata every output decides from (the first run's write records it as `input.metadata`,
 * so the attempt pays one write for both).
 */
export async function probe(a: AttemptContext, inputPath: string, input: Pick<FetchedInput, 'probe'> = {}): Promise<MediaMetadata> {
  const { runner } = a.deps;
  const { signal } = a;
  // A stored probe is reused at once: no stage to show for it.
  if (!input.probe?.stored) a.reporter.report(0, STAGES.probing);
  const opts = { signal, timeoutMs: a.settings.probeTimeoutMs, limits: a.settings.limits };
  // An upload is probed by its first job only; later jobs reuse what it found (limits checked again).
  const probed = input.probe ? await probeUpload(runner, inputPath, opts, { probe: input.probe.stored, save: input.probe.save }) : await probeSource(runner, inputPath, opts);
  // Policy `fail` stops a source cut short here; `warn` goes on with what is really there.
  const admitted = a.verdict.admitSource(probed.meta, probed.truncation);
  const specs = a.outputs.map((o) => o.spec);
  a.inputSeconds = admitted.kind === 'image' ? null : admitted.duration;
  return withInterlaceScan({ runner, signal, stallTimeoutMs: a.settings.stallTimeoutMs }, inputPath, admitted, specs);
}

/** Records `input.metadata` (and the probe's 2 %) alone: when no run follows to carry it (see runOutputs). */
export async function writeProbe(a: AttemptContext, meta: MediaMetadata): Promise<void> {
  if (!(await a.deps.db.jobs.updateProgress(a.fence, { at: a.deps.clock.now(), probe: meta, progress: 2, stage: STAGES.probed }))) throw await a.stale();
}
