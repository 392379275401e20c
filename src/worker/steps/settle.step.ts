import { AbortedError, errorSummary } from '../../domain/errors.js';
import { decideFailure, decideHandBack, decideStop, decideSuccess, type StopReason } from '../../domain/job-lifecycle.js';
import { keys } from '../../domain/keys.js';
import { measureUsage, type JobUsage } from '../../domain/usage.js';
import type { AttemptOutcome } from '../../ports/metrics.port.js';
import type { AttemptContext } from '../attempt-context.js';
import { dispatchMessage } from '../../domain/outbox.js';
import type { JobWrite } from '../../domain/job-lifecycle.js';

/**
 * The job's usage with this attempt's: CPU over every attempt that got here, the input's
 * duration and what the outputs hold (`stored: false` when the outputs were removed).
 */
function usage(a: AttemptContext, stored = true): JobUsage {
  return measureUsage(a.job.usage, { inputSeconds: a.inputSeconds, cpuSeconds: a.cpu.seconds, outputs: stored ? a.outputs : [] });
}

/**
 * A write that puts the job back on the queue (retry, hand-back) with its dispatch carrying
 * this attempt's `job.run` trace: the next attempt's run continues the same trace.
 */
function continuingTrace<W extends JobWrite>(a: AttemptContext, write: W): W {
  const traceparent = a.deps.tracer?.activeTraceparent();
  if (!traceparent || !write.messages) return write;
  return { ...write, messages: write.messages.map((m) => (m.kind === 'queue.dispatch' ? dispatchMessage(m.jobId, traceparent) : m)) };
}

/**
 * Step 4: the attempt's one write, each fenced by `a.fence` (a stale attempt's write changes
 * nothing, and then it sends and publishes nothing either). Jobs written back to `queued`
 * get their message in the write's own transaction (the outbox); `a.deps.messages` sends it
 * right after the commit.
 */
export async function settleSuccess(a: AttemptContext): Promise<AttemptOutcome> {
  const { warnings } = a.verdict;
  const decision = decideSuccess(a.job, { outputs: a.outputs, warnings, usage: usage(a) }, a.deps.clock.now());
  if (!(await a.deps.db.jobs.settle(a.fence, decision.write))) return discarded(a, 'result discarded: this attempt is no longer current');
  a.log.info(warnings.length ? { warnings: warnings.map((w) => w.code) } : {}, 'job succeeded');
  await a.emit(decision.events);
  return 'succeeded';
}

/** The attempt threw: stopped on purpose (cancel, shutdown, lease lost), or failed (retry with backoff, or fail). */
/** What the attempt came to (the metrics' outcome); `lost` as well when its write found it stale. */
export async function settleFailure(a: AttemptContext, err: unknown): Promise<AttemptOutcome> {
  if (a.signal.aborted || err instanceof AbortedError) return settleStop(a, (a.signal.reason as StopReason | undefined) ?? 'lost');
  const error = errorSummary(err);
  const now = a.deps.clock.now();
  const decision = decideFailure(a.job, error, { outputs: a.outputs, warnings: a.verdict.warnings, usage: usage(a) }, now, { baseMs: a.settings.retryBaseMs });
  if (!(await a.deps.db.jobs.settle(a.fence, continuingTrace(a, decision.write)))) return discarded(a, 'failure discarded: this attempt is no longer current', error);
  if (decision.kind === 'requeue') {
    await a.deps.messages.send(a.job);
    a.log.warn({ err: error, delayMs: decision.delayMs }, 'attempt failed; will retry');
  } else a.log.warn({ err: error }, 'job failed');
  await a.emit(decision.events);
  return decision.kind === 'requeue' ? 'retrying' : 'failed';
}

function discarded(a: AttemptContext, message: string, err?: unknown): AttemptOutcome {
  a.log.warn(err === undefined ? {} : { err }, message);
  return 'lost';
}

async function settleStop(a: AttemptContext, reason: StopReason): Promise<AttemptOutcome> {
  const step = decideStop(reason);
  if (step === 'remove-partial-outputs') {
    // The cancel was already written and announced; what this attempt stored goes.
    a.log.info('attempt stopped: job canceled');
    await a.deps.blobs.deletePrefix(keys.jobPrefix(a.job.accountId, a.job.id)).catch(() => undefined);
    // The processes ran all the same: their CPU counts; nothing stays stored.
    await a.deps.db.jobs.recordCanceledUsage(a.fence, usage(a, false)).catch(() => undefined);
    return 'canceled';
  } else if (step === 'hand-back') {
    const now = a.deps.clock.now();
    const decision = decideHandBack(a.job, now, { usage: usage(a) });
    if (!(await a.deps.db.jobs.settle(a.fence, continuingTrace(a, decision.write)))) return 'lost';
    await a.deps.messages.send(a.job);
    await a.emit(decision.events);
    a.log.warn('handed back at shutdown');
    return 'handed_back';
  }
  a.log.warn('attempt stopped: lease lost to another worker');
  return 'lost';
}
