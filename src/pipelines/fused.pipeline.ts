import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ClipsOutputSpec } from '../domain/outputs/clips.spec.js';
import type { PlannedClip } from '../ffmpeg/clips.plan.js';
import { buildFusedArgs, isFusable, type FusableSpec } from '../ffmpeg/fused.args.js';
import type { FramePlan } from '../ffmpeg/geometry.js';
import type { OutputSpec } from '../domain/job-spec.js';
import { renderEachClip, storeClips } from './clips.pipeline.js';
import { outputHandlers } from './handlers.js';
import type { OutputHandler, OutputProduct, PipelineContext } from './pipeline.types.js';
import { storeAudio, storeMp4 } from './rendition.pipeline.js';

/** Which outputs share one ffmpeg run (pure, src/ffmpeg); the worker plans its runs with it. */
export { planRuns } from '../ffmpeg/fused.args.js';

/** One output of a fused run: the context its own handler would get, and its spec. */
export interface FusedMemberInput {
  ctx: PipelineContext;
  spec: FusableSpec;
}

/**
 * Several outputs of one job from one ffmpeg run (see `planRuns`): the source is read and
 * decoded once, every output encodes its own way into its own scratch folder, and then
 * each is stored exactly as its own handler stores it (same files, keys and `result`).
 * Progress goes to every member; if the run fails, it fails for all of them.
 */
export async function fusedPipeline(members: FusedMemberInput[]): Promise<OutputProduct[]> {
  const lead = members[0].ctx;
  const refused = members.find((m) => !isFusable(m.spec, lead.meta));
  if (refused) throw new TypeError(`a ${refused.spec.type} output cannot join a fused run on this input`);
  const plan = buildFusedArgs(
    members.map((m) => ({ spec: m.spec, dir: m.ctx.workDir })),
    lead.meta,
    lead.runner.caps,
    lead.inputPath,
  );
  await lead.runner.run(plan.args, {
    signal: lead.signal,
    stallTimeoutMs: lead.stallTimeoutMs,
    onProgress: (p) => {
      const fraction = Math.min(0.99, p.outTime / plan.span);
      for (const m of members) m.ctx.onProgress(fraction);
    },
  });
  const products: OutputProduct[] = [];
  for (const [k, out] of plan.outputs.entries()) {
    const { ctx } = members[k];
    if (out.type === 'clips') {
      await remakeAudioTail(ctx, out.spec, out.clips, out.frame);
      products.push(await storeClips(ctx, out.spec, out.clips, out.frame));
    } else if (out.type === 'mp4') products.push(await storeMp4(ctx, out.spec, out.path));
    else products.push(await storeAudio(ctx, out.spec, out.path));
  }
  return products;
}

/**
 * The segment muxer cuts at video keyframes only. When the audio outlasts the video and a
 * cut falls after the last video frame, that clip is not written and the clip before it
 * takes the rest of the audio. Those clips are then made the way the clips handler makes
 * them (one run each), so the series is the same as from its own run: the clip before
 * with its own end, the rest audio only.
 */
async function remakeAudioTail(ctx: PipelineContext, spec: ClipsOutputSpec, clips: PlannedClip[], frame: FramePlan): Promise<void> {
  const missing = clips.findIndex((c) => !existsSync(join(ctx.workDir, c.file)));
  if (missing < 0) return;
  await renderEachClip(ctx, spec, clips.slice(Math.max(0, missing - 1)), frame);
}

/**
 * Produce one run of `planRuns`: a single output through its own handler, several through
 * one fused run. Products come back in the order of `members`.
 */
export async function produceRun(members: Array<{ ctx: PipelineContext; spec: OutputSpec }>): Promise<OutputProduct[]> {
  if (members.length === 1) {
    const [{ ctx, spec }] = members;
    const handler = outputHandlers[spec.type] as OutputHandler<typeof spec>;
    return [await handler(ctx, spec)];
  }
  return fusedPipeline(members as FusedMemberInput[]);
}
