import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { OtelTracer } from '../adapters/otel/otel.tracer.js';
import { DomainError } from '../domain/errors.js';
import type { JobRecord } from '../domain/job.js';
import type { MediaRunner } from '../ports/media-runner.port.js';
import { AttemptRig } from '../../test/helpers/attempt-rig.js';
import { runTraced, tracedRunner } from './attempt-traces.js';
import { settleFailure } from './steps/settle.step.js';

const tracing = () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new OtelTracer({ exporter, serviceName: 'test-worker', serviceVersion: '0' });
  return { tracer, spans: async () => (await tracer.flush(), exporter.getFinishedSpans()) };
};

const runner = (run: MediaRunner['run']): MediaRunner => ({ caps: {} as MediaRunner['caps'], probe: async () => ({}), run });
const job = { id: 'job_a', accountId: 'acc_1', attempts: 1, outputs: [{ spec: { type: 'thumbnail' }, status: 'pending', files: [] }] } as unknown as JobRecord;
const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('the worker\'s spans', () => {
  it('an ffmpeg run: output type, exit code 0 and speed when it succeeds', async () => {
    const { tracer, spans } = tracing();
    const r = tracedRunner(runner(async (_a, o) => (o.onProgress?.({ outTime: 6 } as never), { stderrTail: '' })), 'thumbnail', tracer);
    await r.run(['-i', 'x'], { signal: new AbortController().signal, stallTimeoutMs: 1000 });
    const [s] = await spans();
    assert.equal(s.name, 'ffmpeg.run');
    assert.equal(s.attributes['mediaforge.output.type'], 'thumbnail');
    assert.equal(s.attributes['process.exit.code'], 0);
    assert.equal(s.attributes['mediaforge.ffmpeg.media_seconds'], 6);
    assert.ok(Number(s.attributes['mediaforge.ffmpeg.speed']) > 0);
  });

  it('an ffmpeg run that fails: its exit code, the error status, and the error goes on to the caller', async () => {
    const { tracer, spans } = tracing();
    const r = tracedRunner(runner(async () => Promise.reject(new DomainError('ffmpeg_failed', 'ffmpeg exited with code 187: bad'))), 'frames', tracer);
    await assert.rejects(r.run([], { signal: new AbortController().signal, stallTimeoutMs: 1000 }), /code 187/);
    const [s] = await spans();
    assert.equal(s.attributes['process.exit.code'], 187);
    assert.equal(s.attributes['error.type'], 'ffmpeg_failed');
    assert.equal(s.status.code, 2);
  });

  it('job.run continues its message\'s trace, but not a message sent for another job (the fair claim took a different one)', async () => {
    const { tracer, spans } = tracing();
    await runTraced(tracer, { jobId: 'job_a', route: 'thumbnail', traceparent: TP }, job, async () => undefined);
    await runTraced(tracer, { jobId: 'job_other', route: 'thumbnail', traceparent: TP }, job, async () => undefined);
    const [own, foreign] = await spans();
    assert.equal(own.spanContext().traceId, TP.split('-')[1]);
    assert.equal(own.parentSpanContext?.spanId, TP.split('-')[2]);
    assert.equal(own.attributes['mediaforge.account.id'], 'acc_1');
    assert.notEqual(foreign.spanContext().traceId, TP.split('-')[1]);
    assert.equal(foreign.attributes['mediaforge.queue.message_job_id'], 'job_other');
  });
});

describe('a retry continues the trace', () => {
  it('the retry\'s dispatch in the outbox carries the failed attempt\'s job.run traceparent', async () => {
    const rig = await AttemptRig.open();
    try {
      const { tracer, spans } = tracing();
      const claimed = await rig.claim((await rig.job({ maxAttempts: 3 })).id);
      const attempt = rig.attempt(claimed, { tracer });
      await runTraced(tracer, { jobId: claimed.id, route: 'frames' }, claimed, async () => void (await settleFailure(attempt, new DomainError('ffmpeg_failed', 'ffmpeg exited with code 1'))));
      const [run] = await spans();
      const rows = await rig.db.outbox.forJob(claimed.id);
      const retry = rows.at(-1)!.message;
      assert.equal(retry.kind, 'queue.dispatch');
      assert.equal(retry.kind === 'queue.dispatch' && retry.traceparent, `00-${run.spanContext().traceId}-${run.spanContext().spanId}-01`);
    } finally {
      await rig.close();
    }
  });
});
