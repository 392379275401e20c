import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { hlsMedia } from '../helpers/hls-media.js';
import { startPlayer } from '../helpers/hls-player.js';
import { collectEvents } from '../helpers/platform.js';
import { startS3Platform, type S3Platform } from '../helpers/s3-platform.js';

describe('e2e: a real browser plays the HLS package from S3 storage (playlists from the API, segments redirected to presigned GETs)', () => {
  let p: S3Platform;
  let player: Awaited<ReturnType<typeof startPlayer>>;
  before(async () => {
    p = await startS3Platform({ MEDIAFORGE_ENCODER_PRESET: 'ultrafast' });
    player = await startPlayer();
  });
  after(async () => {
    await player?.close();
    await p?.stop();
  });

  it('plays at least 3 s from the master URL on another origin, with every segment fetched from the storage', async () => {
    const up = await p.call('POST', '/v1/uploads?filename=talk.mp4', await readFile(await hlsMedia('hls-20s.mp4')), { 'content-type': 'application/octet-stream' });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const created = await p.call('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'hls', segmentSeconds: 2, storyboard: false }] });
    const events = await collectEvents(p.base, created.body.id);
    assert.equal(events.at(-1)!.data.status, 'succeeded', JSON.stringify(events.at(-1)!.data));
    const job = (await p.call('GET', `/v1/jobs/${created.body.id}`)).body;
    const master = job.outputs[0].files.find((f: any) => f.name === 'master.m3u8').url as string;
    assert.ok(master.startsWith(`${p.base}/v1/files/`), master);

    const seenBefore = p.gate.requests.length;
    const { state, time, diagnostics } = await player.play(master, 3);
    assert.equal(state.supported, true, `MSE available: ${diagnostics}`);
    assert.equal(state.error, null, `no fatal player error: ${diagnostics}`);
    assert.equal(state.levels, 2, diagnostics);
    assert.ok(time >= 3, `played ${time} s: ${diagnostics}`);

    // What the browser took from the storage: presigned GETs for init sections and segments
    // of this package, all answered, none for playlists (those come from the API).
    const prefix = `/${p.s3.bucket}/acc_admin/jobs/${job.id}/00-hls/`;
    const fromStorage = p.gate.requests.slice(seenBefore).filter((r) => r.presigned && r.method === 'GET');
    const segments = fromStorage.filter((r) => r.path.startsWith(prefix) && r.path.endsWith('.m4s'));
    const inits = fromStorage.filter((r) => r.path.startsWith(prefix) && /\/init_\d+\.mp4$/.test(r.path));
    const summary = JSON.stringify(fromStorage.map((r) => `${r.status} ${r.path.slice(prefix.length)} origin=${r.origin}`));
    assert.ok(segments.length >= 2, `segments from storage: ${summary}`);
    assert.ok(inits.length >= 1, `init sections from storage: ${summary}`);
    assert.equal(fromStorage.filter((r) => r.path.endsWith('.m3u8')).length, 0, summary);
    for (const r of fromStorage) assert.ok(r.status === 200 || r.status === 206, summary);
    // A cross-origin redirect taints the request's origin: the bucket's CORS rule must allow it.
    assert.ok(segments.every((r) => r.origin === 'null'), summary);
  });
});
