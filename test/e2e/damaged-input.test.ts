import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { statusFor } from '../../src/http/error-mapping.js';
import { damagedMedia } from '../helpers/damaged-media.js';
import { ffprobeJson } from '../helpers/media.js';
import { collectEvents, startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';
import { runCli } from '../helpers/process.js';

/**
 * Over HTTP: a 6 s MP4 cut at half its bytes fails with input_truncated by default, and
 * with `input.onDamage: "warn"` succeeds with `warnings` and the real durations.
 */
describe('e2e: a source cut short in transfer', () => {
  let p: TestPlatform;
  let uploadId = '';
  before(async () => {
    p = await startTestPlatform();
    const bytes = await readFile(await damagedMedia('faststart-cut.mp4'));
    const up = await p.api('POST', '/v1/uploads?filename=cut.mp4', bytes, { 'content-type': 'video/mp4' });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    uploadId = up.body.id;
  });
  after(async () => p.stop());

  async function runJob(input: Record<string, unknown>, outputs: unknown[]) {
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId, ...input }, outputs });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await collectEvents(p.base, created.body.id);
    return (await p.api('GET', `/v1/jobs/${created.body.id}`)).body;
  }

  it('fails by default with input_truncated (a 422 code), on the first attempt, saying what is there', async () => {
    const job = await runJob({}, [{ type: 'hls' }, { type: 'thumbnail' }]);
    assert.equal(job.status, 'failed');
    assert.equal(job.error.code, 'input_truncated');
    assert.equal(statusFor('input_truncated'), 422);
    assert.equal(job.attempts, 1);
    assert.match(job.error.message, /the file ends at 3\.0 s of the 6\.0 s its header declares/);
    assert.equal(job.input.onDamage, 'fail');
    assert.deepEqual(job.warnings, []);
  });

  it('with onDamage "warn": succeeded, with the warning and the real durations in the metadata and the results', async () => {
    const job = await runJob({ onDamage: 'warn' }, [{ type: 'hls' }, { type: 'mp4' }]);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    assert.equal(job.input.onDamage, 'warn');
    assert.deepEqual(job.warnings.map((w: any) => w.code), ['input_truncated']);
    assert.match(job.warnings[0].message, /only those 3\.0 s were processed/);
    assert.equal(job.input.metadata.declaredDuration, 6);
    assert.ok(Math.abs(job.input.metadata.duration - 3) < 0.1);
    const [hls, mp4] = job.outputs;
    assert.ok(Math.abs(hls.result.duration - 3) < 0.1, String(hls.result.duration));
    assert.ok(Math.abs(mp4.result.duration - 3) < 0.1, String(mp4.result.duration));
    // What is stored is what the result says.
    const file = await fetch(mp4.files[0].url);
    const path = `${p.dataDir}/check.mp4`;
    await writeFile(path, Buffer.from(await file.arrayBuffer()));
    assert.ok(Math.abs(Number((await ffprobeJson(path)).format.duration) - mp4.result.duration) < 0.01);
  });

  it('refuses an unknown policy with its path, and documents the option and the code', async () => {
    const bad = await p.api('POST', '/v1/jobs', { input: { uploadId, onDamage: 'ignore' }, outputs: [{ type: 'thumbnail' }] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details.problems[0].path, 'input.onDamage');
    const doc = await (await fetch(`${p.base}/v1/openapi.json`)).json();
    const text = JSON.stringify(doc);
    assert.ok(text.includes('"onDamage"') && text.includes('input_truncated') && text.includes('"warnings"'));
  });

  it('the CLI: --on-damage warn prints the warnings of a success; the default fails with the code', async () => {
    const cut = await damagedMedia('faststart-cut.mp4');
    const out = `${p.dataDir}/cli-results`;
    const warned = await runCli(['submit', cut, '--mp4', '--on-damage', 'warn', '--out', out, '--url', p.base, '--key', TEST_KEY]);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /warning: \[input_truncated\] the file ends at 3\.0 s of the 6\.0 s/);
    const failed = await runCli(['submit', cut, '--mp4', '--out', out, '--url', p.base, '--key', TEST_KEY]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /failed: \[input_truncated\]/);
  });
});
