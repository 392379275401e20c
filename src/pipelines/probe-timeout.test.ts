import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MediaRunner } from '../ports/media-runner.port.js';
import { probeWritten } from './clips.pipeline.js';
import { DEFAULT_PROBE_TIMEOUT_MS, type PipelineContext } from './pipeline.types.js';

/** A runner that records the time limit of each probe and answers with one video stream. */
function recordingContext(probeTimeoutMs?: number): { ctx: PipelineContext; limits: number[] } {
  const limits: number[] = [];
  const runner = {
    caps: {},
    probe: async (_args: string[], opts: { timeoutMs: number }) => {
      limits.push(opts.timeoutMs);
      return { format: { duration: '1.0', format_name: 'mp4' }, streams: [{ codec_type: 'video', codec_name: 'h264', width: 64, height: 64 }] };
    },
    run: async () => ({ stderrTail: '' }),
  } as unknown as MediaRunner;
  const ctx = { runner, signal: new AbortController().signal, probeTimeoutMs } as unknown as PipelineContext;
  return { ctx, limits };
}

describe('probes a handler runs use the configured time limit', () => {
  it('MEDIAFORGE_PROBE_TIMEOUT_SECONDS, as the worker passes it', async () => {
    const { ctx, limits } = recordingContext(7_000);
    await probeWritten(ctx, '/tmp/clip-001.mp4', 'clip 1');
    assert.deepEqual(limits, [7_000]);
  });

  it("the configuration's default when the context has none", async () => {
    const { ctx, limits } = recordingContext();
    await probeWritten(ctx, '/tmp/clip-001.mp4', 'clip 1');
    assert.deepEqual(limits, [DEFAULT_PROBE_TIMEOUT_MS]);
    assert.equal(DEFAULT_PROBE_TIMEOUT_MS, 60_000);
  });
});
