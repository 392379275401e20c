import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { hlsMedia } from '../helpers/hls-media.js';
import { startPlayer } from '../helpers/hls-player.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';

/** A chunked HLS package (docs/hls.md#chunking) plays in Chromium with hls.js across its joins, without a hole. */
describe('e2e: hls.js plays a chunked HLS package across the joins', () => {
  let p: TestPlatform;
  let player: Awaited<ReturnType<typeof startPlayer>>;
  before(async () => {
    p = await startTestPlatform();
    player = await startPlayer();
  });
  after(async () => {
    await player?.close();
    await p?.stop();
  });

  it('a bad chunking value is a 400 naming the field', async () => {
    const up = await p.api('POST', '/v1/uploads?filename=talk.mp4', await readFile(await hlsMedia('chunk-14s.mp4')), { 'content-type': 'application/octet-stream' });
    for (const chunking of ['on', { seconds: 1 }, { seconds: 4, overlap: 1 }]) {
      const res = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'hls', chunking }] });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'validation_failed');
      assert.match(JSON.stringify(res.body.error), /outputs\.0\.chunking|outputs\/0\/chunking|chunking/);
    }
  });

  it('plays 9 s, past the joins at 4 s and 8 s, with one buffered range', async () => {
    const up = await p.api('POST', '/v1/uploads?filename=talk.mp4', await readFile(await hlsMedia('hls-20s.mp4')), { 'content-type': 'application/octet-stream' });
    const created = await p.api('POST', '/v1/jobs', {
      input: { uploadId: up.body.id },
      outputs: [{ type: 'hls', segmentSeconds: 2, storyboard: false, chunking: { seconds: 4 } }, { type: 'mp4', crf: 30, chunking: { seconds: 4 } }],
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const events = await collectEvents(p.base, created.body.id);
    assert.equal(events.at(-1)!.data.status, 'succeeded', JSON.stringify(events.at(-1)!.data));
    const job = (await p.api('GET', `/v1/jobs/${created.body.id}`)).body;
    assert.ok(Math.abs(job.outputs[1].result.duration - 20) < 0.05, JSON.stringify(job.outputs[1].result));
    const master = job.outputs[0].files.find((f: any) => f.name === 'master.m3u8').url;

    const { state, time, buffered, frames, diagnostics } = await player.play(master, 9);
    assert.equal(state.supported, true, `MSE available: ${diagnostics}`);
    assert.equal(state.error, null, `no fatal player error: ${diagnostics}`);
    assert.equal(state.levels, 2, diagnostics);
    assert.ok(time >= 9, `played ${time} s: ${diagnostics}`);
    assert.ok(!state.events.some((e: string) => /Stalled|SeekOverHole|Gap/i.test(e)), `no stall or hole: ${diagnostics}`);
    assert.equal(buffered.length, 1, `one buffered range: ${diagnostics}`);
    assert.ok(buffered[0][0] < 0.2 && buffered[0][1] > 9, diagnostics);
    // Every frame up to the position was decoded (or dropped): no hole at a join that the player skipped.
    assert.ok(frames.frames >= Math.floor(frames.time * 30) - 3, `${frames.frames} frames in ${frames.time} s: ${diagnostics}`);
  });
});
