import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { statTicks } from '../../src/adapters/process/child-cpu.js';
import { media } from '../helpers/media.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { waitFor } from '../helpers/temp.js';

/** What this process's reaped children used so far, in seconds (the platform runs in this process). */
const reaped = () => statTicks('self')!.reaped / 100;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('e2e: a job records what it used, and GET /v1/jobs/:id shows it with its cost', { skip: process.platform !== 'linux' && 'Linux only', timeout: 180_000 }, () => {
  let p: TestPlatform;
  let uploadId: string;
  before(async () => {
    // 3.6 per CPU hour is 0.001 per CPU second; 1024 per GiB-month is 1 per MiB.
    p = await startTestPlatform({ MEDIAFORGE_COST_PER_CPU_HOUR: '3.6', MEDIAFORGE_COST_PER_GB_MONTH: '1024' });
    const up = await p.api('POST', '/v1/uploads?filename=clip.mp4', await readFile(await media('clip6.mp4')), { 'content-type': 'application/octet-stream' });
    uploadId = up.body.id;
  });
  after(async () => p.stop());

  it('input seconds, output seconds and bytes by type, and CPU seconds that are all the CPU its processes used', async () => {
    const before = reaped();
    const created = await p.api('POST', '/v1/jobs', {
      input: { uploadId },
      outputs: [
        { type: 'mp4', height: 120 },
        { type: 'audio', format: 'mp3' },
        { type: 'thumbnail' },
        { type: 'gif', start: 1, duration: 2, fps: 5, width: 80 },
        { type: 'clips', ranges: [{ start: 0, end: 2 }, { start: 3, end: 4.5 }] },
        { type: 'hls', renditions: [144] },
      ],
    });
    assert.equal(created.status, 202);
    assert.equal(created.body.usage, null, 'nothing measured before the job has run');
    const job = await waitFor(async () => {
      const j = (await p.api('GET', `/v1/jobs/${created.body.id}`)).body;
      if (j.status !== 'succeeded' && j.status !== 'failed') {
        assert.equal(j.usage, null, `no usage while ${j.status}`);
        return null;
      }
      return j;
    }, { timeoutMs: 150_000, what: 'the job to finish' });
    const used = reaped() - before;
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));

    const { usage } = job;
    assert.ok(Math.abs(usage.inputSeconds - 6) < 0.1, `input ${usage.inputSeconds}`);
    // Every process this test process reaped meanwhile was the job's: the job counts them all.
    assert.ok(usage.cpuSeconds > 0.1 && Math.abs(usage.cpuSeconds - used) < 0.02, `job counted ${usage.cpuSeconds} s, the kernel ${used} s`);

    const out = (type: string) => job.outputs.find((o: any) => o.type === type);
    const bytes = (type: string) => sum(out(type).files.map((f: any) => f.size));
    const seconds: Record<string, number> = {
      mp4: out('mp4').result.duration,
      audio: out('audio').result.duration,
      thumbnail: 0,
      gif: out('gif').result.frames / 5,
      clips: sum(out('clips').result.clips.map((c: any) => c.duration)),
      hls: out('hls').result.duration,
    };
    assert.deepEqual(usage.outputs, Object.entries(seconds).map(([type, s]) => ({ type, seconds: Math.round(s * 1000) / 1000, bytes: bytes(type) })));
    assert.ok(Math.abs(seconds.mp4 - 6) < 0.1 && Math.abs(seconds.hls - 6) < 0.1 && Math.abs(seconds.clips - 3.5) < 0.2, JSON.stringify(seconds));
    const storage = sum(job.outputs.flatMap((o: any) => o.files.map((f: any) => f.size)));
    assert.equal(usage.storageBytes, storage);
    assert.deepEqual(usage.cost, {
      cpu: Math.round(usage.cpuSeconds * 0.001 * 1e6) / 1e6,
      storagePerMonth: Math.round((storage / 1024 ** 2) * 1e6) / 1e6,
    });
  });

  it('the OpenAPI document describes the usage', async () => {
    const doc = JSON.stringify(await (await fetch(`${p.base}/v1/openapi.json`)).json());
    for (const word of ['inputSeconds', 'cpuSeconds', 'storageBytes', 'storagePerMonth', 'MEDIAFORGE_COST_PER_CPU_HOUR']) assert.ok(doc.includes(word), word);
  });
});
