import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { hlsMedia } from '../helpers/hls-media.js';
import { startPlayer } from '../helpers/hls-player.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';

describe('e2e: a real browser plays the HLS package with hls.js', () => {
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

  it('plays at least 3 s from the master URL, on another origin', async () => {
    const up = await p.api('POST', '/v1/uploads?filename=talk.mp4', await readFile(await hlsMedia('hls-20s.mp4')), { 'content-type': 'application/octet-stream' });
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'hls', segmentSeconds: 2, storyboard: false }] });
    const events = await collectEvents(p.base, created.body.id);
    assert.equal(events.at(-1)!.data.status, 'succeeded', JSON.stringify(events.at(-1)!.data));
    const job = (await p.api('GET', `/v1/jobs/${created.body.id}`)).body;
    const master = job.outputs[0].files.find((f: any) => f.name === 'master.m3u8').url;

    const { state, time, diagnostics } = await player.play(master, 3);
    assert.equal(state.supported, true, `MSE available: ${diagnostics}`);
    assert.equal(state.error, null, `no fatal player error: ${diagnostics}`);
    assert.equal(state.levels, 2, diagnostics);
    assert.ok(time >= 3, `played ${time} s: ${diagnostics}`);
  });
});
