import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutputState } from './job.js';
import type { OutputSpec } from './job-spec.js';
import { costOf, dailyTotals, measureUsage, outputSeconds, outputUsage, type JobUsage } from './usage.js';

const file = (size: number) => ({ name: 'f', key: 'k', size, contentType: 'application/octet-stream' });
const done = (type: OutputSpec['type'], result: Record<string, unknown>, sizes: number[] = [100]): OutputState => ({
  spec: { type } as OutputSpec,
  status: 'succeeded',
  files: sizes.map(file),
  result,
});

describe('usage', () => {
  it('reads the media seconds each output type holds from what its pipeline measured', () => {
    assert.equal(outputSeconds(done('mp4', { duration: 6.02 })), 6.02);
    assert.equal(outputSeconds(done('audio', { duration: 5 })), 5);
    assert.equal(outputSeconds(done('hls', { duration: 5.96 })), 5.96);
    assert.equal(outputSeconds(done('gif', { frames: 30, fps: 10, duration: 4 })), 3, 'the frames written, not the window asked for');
    assert.equal(outputSeconds(done('webp', { duration: 2 })), 2);
    assert.equal(outputSeconds(done('clips', { clips: [{ duration: 2.5 }, { duration: 1.5 }] })), 4);
    for (const still of ['thumbnail', 'frames', 'image'] as const) assert.equal(outputSeconds(done(still, { duration: 9 })), 0, still);
    assert.equal(outputSeconds({ ...done('mp4', { duration: 6 }), status: 'failed' }), 0);
    assert.equal(outputSeconds(done('mp4', { duration: 'x' })), 0);
  });

  it('sums outputs by type, in the order of the outputs, counting only what succeeded', () => {
    const outputs = [
      done('mp4', { duration: 6 }, [1000]),
      done('thumbnail', {}, [10]),
      done('mp4', { duration: 3 }, [400, 100]),
      { spec: { type: 'hls' } as OutputSpec, status: 'failed' as const, files: [], error: { code: 'ffmpeg_failed' as const, message: 'x' } },
    ];
    assert.deepEqual(outputUsage(outputs), [
      { type: 'mp4', seconds: 9, bytes: 1500 },
      { type: 'thumbnail', seconds: 0, bytes: 10 },
    ]);
  });

  it('adds CPU over attempts; unknown on either side stays unknown; input and outputs are the last attempt\'s', () => {
    const first = measureUsage(null, { inputSeconds: null, cpuSeconds: 1.25, outputs: [] });
    assert.deepEqual(first, { inputSeconds: null, cpuSeconds: 1.25, outputs: [], storageBytes: 0 });
    const second = measureUsage(first, { inputSeconds: 6, cpuSeconds: 2.5, outputs: [done('mp4', { duration: 6 }, [700])] });
    assert.deepEqual(second, { inputSeconds: 6, cpuSeconds: 3.75, outputs: [{ type: 'mp4', seconds: 6, bytes: 700 }], storageBytes: 700 });
    assert.equal(measureUsage(second, { inputSeconds: null, cpuSeconds: null, outputs: [] }).cpuSeconds, null);
    assert.equal(measureUsage({ ...second, cpuSeconds: null }, { inputSeconds: 6, cpuSeconds: 1, outputs: [] }).cpuSeconds, null);
    assert.equal(measureUsage(second, { inputSeconds: null, cpuSeconds: 0, outputs: [] }).inputSeconds, 6, 'a later attempt that never probed keeps the known duration');
  });

  it('prices CPU by the hour and storage by the GiB-month; an unset rate gives no figure', () => {
    const u = { cpuSeconds: 1800, storageBytes: 3 * 1024 ** 3 };
    assert.deepEqual(costOf(u, { perCpuHour: 0.08, perGbMonth: 0.02 }), { cpu: 0.04, storagePerMonth: 0.06 });
    assert.deepEqual(costOf(u, { perCpuHour: 0, perGbMonth: null }), { cpu: 0, storagePerMonth: null });
    assert.deepEqual(costOf({ cpuSeconds: null, storageBytes: 0 }, { perCpuHour: 1, perGbMonth: 1 }), { cpu: null, storagePerMonth: 0 });
  });

  it('totals finished jobs by their UTC day, oldest first', () => {
    const u = (cpu: number | null, outputs: JobUsage['outputs'], input: number | null = 10): JobUsage => ({
      inputSeconds: input, cpuSeconds: cpu, outputs, storageBytes: outputs.reduce((s, o) => s + o.bytes, 0),
    });
    const day2 = Date.UTC(2025, 0, 2);
    const days = dailyTotals([
      { finishedAt: day2 + 5, usage: u(2, [{ type: 'mp4', seconds: 10, bytes: 50 }]) },
      { finishedAt: day2 - 1, usage: u(1, [{ type: 'thumbnail', seconds: 0, bytes: 5 }]) },
      { finishedAt: day2 + 86_400_000 - 1, usage: u(null, [{ type: 'mp4', seconds: 4, bytes: 20 }, { type: 'hls', seconds: 4, bytes: 30 }], null) },
    ]);
    assert.deepEqual(days, [
      { day: '2025-01-01', jobs: 1, inputSeconds: 10, cpuSeconds: 1, outputs: [{ type: 'thumbnail', seconds: 0, bytes: 5 }], storageBytes: 5 },
      { day: '2025-01-02', jobs: 2, inputSeconds: 10, cpuSeconds: 2, outputs: [{ type: 'hls', seconds: 4, bytes: 30 }, { type: 'mp4', seconds: 14, bytes: 70 }], storageBytes: 100 },
    ]);
  });
});
