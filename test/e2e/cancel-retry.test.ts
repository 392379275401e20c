import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { media } from '../helpers/media.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { tempDir, waitFor } from '../helpers/temp.js';
import { ADMIN } from '../helpers/principals.js';

function ffmpegProcessesReading(uploadId: string): number {
  try {
    return execFileSync('pgrep', ['-f', `uploads/${uploadId}/source`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

describe('e2e: cancel and retry', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform();
  });
  after(async () => p.stop());

  it('cancel kills the running ffmpeg within a second and leaves no temp files or outputs; retry runs it again', async () => {
    const up = await p.api('POST', '/v1/uploads?filename=long.mp4', await readFile(await media('long120.mp4')), { 'content-type': 'application/octet-stream' });
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'frames', fps: 30, format: 'png' }] });
    const id = created.body.id;
    await waitFor(async () => (await p.api('GET', `/v1/jobs/${id}`)).body.progress > 3, { what: 'job running', timeoutMs: 60_000 });
    assert.equal(ffmpegProcessesReading(up.body.id), 1, 'ffmpeg is running');

    const t0 = Date.now();
    const canceled = await p.api('POST', `/v1/jobs/${id}/cancel`);
    assert.equal(canceled.status, 200);
    assert.equal(canceled.body.status, 'canceled');
    await waitFor(async () => ffmpegProcessesReading(up.body.id) === 0, { what: 'ffmpeg gone', timeoutMs: 1000, intervalMs: 20 });
    assert.ok(Date.now() - t0 <= 1000, `ffmpeg stopped after ${Date.now() - t0} ms`);

    const scratch = join(p.dataDir, 'tmp');
    await waitFor(async () => {
      const workers = await readdir(scratch);
      const inside = await Promise.all(workers.map((w) => readdir(join(scratch, w))));
      return inside.flat().length === 0;
    }, { what: 'scratch empty', timeoutMs: 3000 });
    await waitFor(async () => (await readdir(join(p.dataDir, 'storage', 'acc_admin', 'jobs')).catch(() => [])).every((d) => d !== id), { what: 'partial outputs removed', timeoutMs: 3000 });
    const after = (await p.api('GET', `/v1/jobs/${id}`)).body;
    assert.equal(after.status, 'canceled', 'a late write from the killed attempt does not resurrect it');

    const retried = await p.api('POST', `/v1/jobs/${id}/retry`);
    assert.equal(retried.status, 202);
    assert.equal(retried.body.status, 'queued');
    assert.equal(retried.body.attempts, 0);
    await waitFor(async () => (await p.api('GET', `/v1/jobs/${id}`)).body.progress > 3, { what: 'retried job running', timeoutMs: 60_000 });
    const again = await p.api('POST', `/v1/jobs/${id}/cancel`);
    assert.equal(again.body.status, 'canceled');
    await waitFor(async () => ffmpegProcessesReading(up.body.id) === 0, { what: 'ffmpeg gone again', timeoutMs: 1000, intervalMs: 20 });
  });

  it('cancels a queued job before it starts', async () => {
    const up = await p.api('POST', '/v1/uploads?filename=long.mp4', await readFile(await media('long120.mp4')), { 'content-type': 'application/octet-stream' });
    // Concurrency is 1: the first job occupies the worker, the second waits in the queue.
    const busy = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'frames', fps: 30, format: 'png' }] });
    const waiting = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail' }] });
    const c = await p.api('POST', `/v1/jobs/${waiting.body.id}/cancel`);
    assert.equal(c.body.status, 'canceled');
    await p.api('POST', `/v1/jobs/${busy.body.id}/cancel`);
    await new Promise((r) => setTimeout(r, 500));
    const later = (await p.api('GET', `/v1/jobs/${waiting.body.id}`)).body;
    assert.equal(later.status, 'canceled');
    assert.equal(later.attempts, 0, 'it never ran');
  });
});

describe('e2e: retries with backoff on transient ffmpeg failures', () => {
  let p: TestPlatform;
  let t: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    t = await tempDir();
    // A real ffmpeg behind a wrapper that fails the first two processing runs.
    const counter = join(t.dir, 'runs');
    const wrapper = join(t.dir, 'flaky-ffmpeg');
    await writeFile(
      wrapper,
      `#!/bin/sh\ncase "$*" in *-progress*) n=$(cat '${counter}' 2>/dev/null || echo 0); echo $((n+1)) > '${counter}'; if [ "$n" -lt 2 ]; then echo "injected transient failure" >&2; exit 1; fi;; esac\nexec ffmpeg "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    p = await startTestPlatform({ FFMPEG_PATH: wrapper, FFPROBE_PATH: 'ffprobe', MEDIAFORGE_RETRY_BASE_SECONDS: '0.3' });
  });
  after(async () => {
    await p.stop();
    await t.cleanup();
  });

  it('fails twice, waits 0.3 s then 0.6 s, and succeeds on the third attempt', async () => {
    // The waits are read from what the job itself recorded, not from wall time that ffmpeg
    // fills: each requeue's stored due time (runAfter) against the time of the failure it
    // decided (its event's `at`), and each next attempt's start against that due time.
    const { db, events: bus } = p.platform.jobs;
    const seen: Array<{ jobId: string; status: string; stage: string | null; at: number }> = [];
    const requeues: Array<Promise<{ jobId: string; failedAt: number; runAfter: number; status: string }>> = [];
    const unsubscribe = bus.subscribe('*', (e) => {
      if (e.type !== 'status') return;
      seen.push(e);
      // Read the row at once: the job waits in the queue until runAfter, 0.3 s at least.
      if (e.status === 'queued' && e.stage === 'waiting to retry') {
        requeues.push(db.jobs.get(ADMIN, e.jobId).then((j) => ({ jobId: e.jobId, failedAt: e.at, runAfter: j!.runAfter, status: j!.status })));
      }
    });
    try {
      const up = await p.api('POST', '/v1/uploads?filename=c.mp4', await readFile(await media('clip20.mp4')), { 'content-type': 'application/octet-stream' });
      const created = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail' }] });
      const id = created.body.id;
      const events = await collectEvents(p.base, id);
      const final = events[events.length - 1].data;
      assert.equal(final.status, 'succeeded', JSON.stringify(final.error));
      assert.equal(final.attempts, 3);

      const waits = (await Promise.all(requeues)).filter((r) => r.jobId === id);
      assert.deepEqual(waits.map((r) => r.status), ['queued', 'queued'], 'each row was read while it waited');
      assert.deepEqual(waits.map((r) => r.runAfter - r.failedAt), [300, 600], 'backoff: base, then twice the base');
      const starts = seen.filter((e) => e.jobId === id && e.status === 'running').map((e) => e.at);
      assert.equal(starts.length, 3);
      assert.ok(starts[1] >= waits[0].runAfter && starts[2] >= waits[1].runAfter, `no attempt started before its due time (${JSON.stringify({ starts, waits })})`);
    } finally {
      unsubscribe();
    }
  });

  it('gives up after maxAttempts with the last error', async () => {
    await writeFile(join(t.dir, 'runs'), '0');
    const up = await p.api('POST', '/v1/uploads?filename=c.mp4', await readFile(await media('clip20.mp4')), { 'content-type': 'application/octet-stream' });
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail' }], maxAttempts: 2 });
    const events = await collectEvents(p.base, created.body.id);
    const final = events[events.length - 1].data;
    assert.equal(final.status, 'failed');
    assert.equal(final.attempts, 2);
    assert.equal(final.error.code, 'ffmpeg_failed');
    assert.match(final.error.message, /injected transient failure/);
  });
});
