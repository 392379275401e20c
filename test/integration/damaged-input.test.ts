import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobRecord } from '../../src/domain/job.js';
import { damagedMedia } from '../helpers/damaged-media.js';
import { media } from '../helpers/media.js';
import { binarySources } from '../helpers/pipeline.js';
import { startWorkerHarness, type WorkerHarness } from '../helpers/worker-harness.js';

/**
 * A damaged source never gives a clean success: through the real worker (probe, pipelines,
 * verdict), on both ffmpeg builds. Each test media is a 6 s clip (src: test/helpers/damaged-media.ts).
 */
const OUTPUTS = [{ type: 'hls' }, { type: 'mp4' }, { type: 'frames', fps: 1 }, { type: 'thumbnail' }];

const result = (job: JobRecord, type: string) => job.outputs.find((o) => o.spec.type === type)!.result as Record<string, any>;
const codes = (job: JobRecord) => job.warnings.map((w) => (w.output === undefined ? w.code : `${w.code}:${w.output}`));

for (const bin of binarySources()) {
  describe(`damaged sources through the worker (${bin.name})`, () => {
    let h: WorkerHarness;
    before(async () => {
      h = await startWorkerHarness(bin);
    });
    after(async () => h.stop());

    it('a whole source: a clean success, no warnings, and each result says the real duration', async () => {
      const job = await h.run(await media('clip6-faststart.mp4'), { outputs: OUTPUTS });
      assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
      assert.deepEqual(job.warnings, []);
      assert.ok(Math.abs(result(job, 'hls').duration - 6) < 0.05, String(result(job, 'hls').duration));
      assert.ok(Math.abs(result(job, 'mp4').duration - 6) < 0.05);
      assert.equal(result(job, 'frames').lastFrameTime, 5);
    });

    it('moov at the front, cut at half its bytes: fails at the probe with input_truncated and the seconds that are there', async () => {
      const job = await h.run(await damagedMedia('faststart-cut.mp4'), { outputs: OUTPUTS });
      assert.deepEqual([job.status, job.error?.code, job.attempts], ['failed', 'input_truncated', 1]);
      assert.match(job.error!.message, /^the file ends at 3\.0 s of the 6\.0 s its header declares \([\d,]+ of [\d,]+ bytes are there\): it was probably cut short in transfer; upload it again, or set input\.onDamage to "warn" to process the 3\.0 s that are there$/);
      assert.equal(job.probe, null, 'nothing ran past the probe');
      assert.deepEqual(job.outputs.map((o) => o.status), ['pending', 'pending', 'pending', 'pending']);
    });

    it('the same with onDamage "warn": succeeds with the warning, the real duration in the metadata and every result', async () => {
      const job = await h.run(await damagedMedia('faststart-cut.mp4'), { outputs: OUTPUTS, onDamage: 'warn' });
      assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
      assert.deepEqual(codes(job), ['input_truncated']);
      assert.match(job.warnings[0].message, /^the file ends at 3\.0 s of the 6\.0 s its header declares .*; only those 3\.0 s were processed$/);
      assert.equal(job.probe?.declaredDuration, 6);
      assert.ok(Math.abs(job.probe!.duration! - 3) < 0.1, String(job.probe?.duration));
      for (const type of ['hls', 'mp4']) assert.ok(Math.abs(result(job, type).duration - 3) < 0.1, `${type}: ${result(job, type).duration}`);
      assert.ok([2, 3].includes(result(job, 'frames').lastFrameTime), String(result(job, 'frames').lastFrameTime));
      assert.ok(result(job, 'thumbnail').time < 3.1);
    });

    it('moov at the end, cut at half: input_truncated in either policy, naming the missing index', async () => {
      for (const onDamage of ['fail', 'warn'] as const) {
        const job = await h.run(await damagedMedia('moov-end-cut.mp4'), { outputs: [{ type: 'thumbnail' }], onDamage });
        assert.deepEqual([job.status, job.error?.code, job.attempts], ['failed', 'input_truncated', 1]);
        assert.match(job.error!.message, /^the file ends after [\d,]+ bytes but its container declares [\d,]+ bytes, and the index \(moov\) that says where its frames are is missing: it was probably cut short in transfer .*upload it again$/);
      }
    });

    it('an FLV cut at half (its header declares 6 s; the probe cannot check its data): the outputs come out short, so input_truncated', async () => {
      const flv = await damagedMedia('flv-cut.flv');
      const failed = await h.run(flv, { outputs: [{ type: 'hls' }, { type: 'mp4' }] });
      assert.deepEqual([failed.status, failed.error?.code, failed.attempts], ['failed', 'input_truncated', 1]);
      assert.match(failed.error!.message, /^the input's data ends early: the hls output \(1\) covers 3\.\d s of the 6\.0 s the input declares\. It was probably cut short in transfer/);
      assert.equal(failed.outputs[0].status, 'failed');
      assert.deepEqual(failed.outputs[0].files, [], 'the short package is not listed');
      assert.deepEqual(await h.blobs.list(`acc_admin/jobs/${failed.id}/`), [], "and not left in storage");

      const warned = await h.run(flv, { outputs: [{ type: 'hls' }, { type: 'mp4' }, { type: 'frames', fps: 1 }], onDamage: 'warn' });
      assert.equal(warned.status, 'succeeded', JSON.stringify(warned.error));
      assert.deepEqual(codes(warned), ['input_truncated', 'output_short:0', 'output_short:1', 'output_short:2']);
      assert.match(warned.warnings[1].message, /^the hls output covers 3\.\d s of the 6\.0 s it should$/);
      const real = [result(warned, 'hls').duration, result(warned, 'mp4').duration, result(warned, 'frames').lastFrameTime];
      assert.ok(real[0] < 3.2 && real[1] < 3.2 && real[2] <= 3.1, JSON.stringify(real));
    });

    it('a few corrupt packets in the middle: succeeds, but with an input_damaged warning counting them (either policy)', async () => {
      const few = await damagedMedia('corrupt-few.mp4');
      for (const outputs of [[{ type: 'hls' }], [{ type: 'mp4', height: 120 }], [{ type: 'frames', fps: 1 }], [{ type: 'thumbnail' }]]) {
        const job = await h.run(few, { outputs });
        assert.equal(job.status, 'succeeded', `${outputs[0].type}: ${JSON.stringify(job.error)}`);
        assert.deepEqual(codes(job), ['input_damaged'], outputs[0].type);
        const n = job.warnings[0].details!.decodeErrors as number;
        assert.ok(n >= 1 && n <= 10, `${outputs[0].type}: ${n}`);
        assert.match(job.warnings[0].message, /^ffmpeg could not cleanly decode \d+ frames? or packets of the input/);
      }
    });

    it('many corrupt packets: input_invalid naming the count; with onDamage "warn" a success that says so', async () => {
      const many = await damagedMedia('corrupt-many.mp4');
      for (const outputs of [[{ type: 'hls' }], [{ type: 'frames', fps: 1 }], [{ type: 'thumbnail' }]]) {
        const job = await h.run(many, { outputs });
        assert.deepEqual([job.status, job.error?.code, job.attempts], ['failed', 'input_invalid', 1], outputs[0].type);
        assert.match(job.error!.message, /^ffmpeg could not cleanly decode \d+ frames or packets of the input \(more than the 10 accepted for its length\)/);
      }
      const job = await h.run(many, { outputs: OUTPUTS, onDamage: 'warn' });
      assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
      assert.deepEqual(codes(job), ['input_damaged']);
      assert.ok((job.warnings[0].details!.decodeErrors as number) > 10);
    });
  });
}
