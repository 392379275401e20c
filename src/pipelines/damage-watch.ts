import type { DamageCounts, DamageVerdict } from '../domain/damage.js';
import type { OutputSpec } from '../domain/job-spec.js';
import { DamageTally, worstDamage } from '../ffmpeg/damage.tally.js';
import type { MediaRunner } from '../ports/media-runner.port.js';
import { produceRun } from './fused.pipeline.js';
import type { OutputProduct, PipelineContext } from './pipeline.types.js';

/**
 * A media runner that reads every ffmpeg run's log for damage signs on the way through
 * (a decorator: the pipelines run ffmpeg as before and never see it). One watch serves the
 * outputs of one run of the plan; `counts()` is the worst any of its ffmpeg runs saw.
 */
export class DamageWatch {
  readonly runner: MediaRunner;
  private readonly tallies: DamageTally[] = [];

  constructor(inner: MediaRunner) {
    this.runner = {
      caps: inner.caps,
      probe: (args, opts) => inner.probe(args, opts),
      run: (args, opts) => {
        const tally = new DamageTally();
        this.tallies.push(tally);
        return inner.run(args, {
          ...opts,
          onStderrLine: (line) => {
            tally.push(line);
            opts.onStderrLine?.(line);
          },
        });
      },
    };
  }

  counts(): DamageCounts {
    return worstDamage(this.tallies.map((t) => t.counts()));
  }
}

/**
 * One run of the plan with the damage verdict around it: the members' ffmpeg runs are
 * watched, a failure on a damaged source becomes the input error it is, and the run's
 * damage and coverage go to the verdict, which may fail the job (policy `fail`) after the
 * files were stored: those files are removed again, since the job will not list them.
 */
export async function produceJudged(members: Array<{ ctx: PipelineContext; spec: OutputSpec }>, verdict: DamageVerdict): Promise<OutputProduct[]> {
  const watch = new DamageWatch(members[0].ctx.runner);
  const watched = members.map((m) => ({ spec: m.spec, ctx: { ...m.ctx, runner: watch.runner } }));
  let products: OutputProduct[];
  try {
    products = await produceRun(watched);
  } catch (err) {
    throw verdict.explainFailure(err, watch.counts());
  }
  try {
    verdict.judgeRun(
      watch.counts(),
      members.map((m, k) => ({ index: m.ctx.outputIndex, type: m.spec.type, coverage: products[k].coverage })),
    );
  } catch (err) {
    const { blobs } = members[0].ctx;
    for (const p of products) for (const f of p.files) await blobs.delete(f.key).catch(() => undefined);
    throw err;
  }
  return products;
}
