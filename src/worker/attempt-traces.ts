import type { JobRecord } from '../domain/job.js';
import type { OutputType } from '../domain/job-spec.js';
import { jobRoute } from '../domain/routes.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { MediaRunner } from '../ports/media-runner.port.js';
import type { QueueMessage } from '../ports/queue.port.js';
import { noopTracer, type Span, type Tracer } from '../ports/tracer.port.js';

/**
 * The worker's spans (docs/observability.md#traces): `job.run` around one attempt, continuing
 * the trace its queue message carries, and inside it the input's download, the probe, every
 * ffmpeg/ffprobe run and every store of a file. Without a tracer the ports are left as they are.
 */

/**
 * Runs `fn` (one attempt of `job`) in a `job.run` span. The message's traceparent is the
 * parent when the message was sent for this job: a message is a token for its route and the
 * fair claim may pick another account's job (src/domain/fair-share.ts), whose run then starts
 * its own trace rather than joining a stranger's.
 */
export function runTraced(tracer: Tracer | undefined, message: QueueMessage, job: JobRecord, fn: () => Promise<void>): Promise<void> {
  if (!tracer) return fn();
  const own = message.jobId === job.id;
  return tracer.inSpan(
    'job.run',
    {
      kind: 'consumer',
      parent: own ? (message.traceparent ?? null) : null,
      attributes: {
        'mediaforge.job.id': job.id,
        'mediaforge.account.id': job.accountId,
        'mediaforge.job.attempt': job.attempts,
        'mediaforge.job.route': jobRoute(job.outputs),
        'mediaforge.job.outputs': job.outputs.length,
        'mediaforge.queue.message_job_id': own ? undefined : message.jobId,
        'messaging.operation.type': 'process',
      },
    },
    () => fn(),
  );
}

/** A span the caller may end more than once (every path that can end it does); the first end counts. */
export function endOnce(span: Span): Span & { ended: boolean } {
  let ended = false;
  return {
    setAttributes: (a) => span.setAttributes(a),
    fail: (err) => span.fail(err),
    traceparent: () => span.traceparent(),
    ids: () => span.ids(),
    get ended() {
      return ended;
    },
    end: () => {
      if (ended) return;
      ended = true;
      span.end();
    },
  };
}

/** `ffmpeg exited with code 1: …` → 1 (the runner's DomainError says it in its message). */
function exitCodeOf(err: unknown): number | undefined {
  const m = /exited with code (-?\d+)/.exec((err as Error)?.message ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * `runner`, each ffmpeg run an `ffmpeg.run` span (the output type, the exit code, the speed:
 * media seconds produced per wall second) and each probe an `ffprobe.run` span.
 */
export function tracedRunner(runner: MediaRunner, type: OutputType, tracer: Tracer | undefined): MediaRunner {
  if (!tracer) return runner;
  const attributes = { 'mediaforge.output.type': type };
  return {
    get caps() {
      return runner.caps;
    },
    probe: (args, opts) => tracer.inSpan('ffprobe.run', { attributes }, () => runner.probe(args, opts)),
    run: (args, opts) =>
      tracer.inSpan('ffmpeg.run', { attributes: { ...attributes, 'process.command_args.count': args.length } }, async (span) => {
        let mediaSeconds = 0;
        const started = performance.now();
        try {
          const result = await runner.run(args, {
            ...opts,
            onProgress: (p) => {
              if (p.outTime > mediaSeconds) mediaSeconds = p.outTime;
              opts.onProgress?.(p);
            },
          });
          const wall = (performance.now() - started) / 1000;
          span.setAttributes({ 'process.exit.code': 0, 'mediaforge.ffmpeg.media_seconds': mediaSeconds, 'mediaforge.ffmpeg.speed': wall > 0 ? Math.round((mediaSeconds / wall) * 1000) / 1000 : undefined });
          return result;
        } catch (err) {
          span.setAttributes({ 'process.exit.code': exitCodeOf(err), 'mediaforge.ffmpeg.media_seconds': mediaSeconds });
          throw err;
        }
      }),
  };
}

/** `blobs`, each store (`put`, `putFile`: the local folder or an S3 upload) a `blob.put` span with its size. */
export function tracedBlobs(blobs: BlobStore, tracer: Tracer | undefined): BlobStore {
  if (!tracer) return blobs;
  const traced = Object.create(blobs) as BlobStore;
  const stored = (span: Span, r: { size: number }) => {
    span.setAttributes({ 'mediaforge.blob.bytes': r.size });
    return r;
  };
  traced.put = (key, body, opts) => tracer.inSpan('blob.put', { kind: 'client' }, async (span) => stored(span, await blobs.put(key, body, opts)));
  traced.putFile = (key, path) => tracer.inSpan('blob.put', { kind: 'client' }, async (span) => stored(span, await blobs.putFile(key, path)));
  return traced;
}

export const tracerOf = (t: Tracer | undefined): Tracer => t ?? noopTracer;
