import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import type { PageMediaImporter } from '../ports/page-media-importer.port.js';
import type { UrlFetcher } from '../ports/url-fetcher.port.js';
import { AttemptRig, SETTINGS } from '../../test/helpers/attempt-rig.js';
import { ADMIN } from '../../test/helpers/principals.js';

/**
 * The usage an attempt writes with its settle: the CPU its processes reported (the scripted
 * runner reports `cpuPerCall` for each call), added up over attempts; the input's probed
 * duration (VIDEO_PROBE: 4 s); what the outputs hold.
 */
describe("an attempt's usage", { timeout: 30_000 }, () => {
  let rig: AttemptRig;
  before(async () => {
    rig = await AttemptRig.open();
    rig.runner.cpuPerCall = 0.25;
  });
  after(async () => rig.close());

  const stored = async (id: string) => (await rig.db.jobs.get(ADMIN, id))!;
  /** Calls made from here on. */
  const counter = () => {
    const from = rig.runner.calls.length;
    return () => rig.runner.calls.length - from;
  };

  it('a success: CPU of every probe and run, the input seconds, and the outputs by type with their stored bytes', async () => {
    rig.runner.script = () => 'ok';
    const calls = counter();
    const job = await rig.claim((await rig.job({ outputs: 2 })).id);
    await rig.attempt(job).run();
    const done = await stored(job.id);
    assert.equal(done.status, 'succeeded');
    assert.ok(calls() >= 3, `probe and two runs: ${calls()}`);
    const bytes = done.outputs.flatMap((o) => o.files).reduce((sum, f) => sum + f.size, 0);
    assert.ok(bytes > 0);
    assert.deepEqual(done.usage, { inputSeconds: 4, cpuSeconds: 0.25 * calls(), outputs: [{ type: 'thumbnail', seconds: 0, bytes }], storageBytes: bytes });
  });

  it('a retry: the failed attempt\'s CPU is carried by the requeue and added to the next attempt\'s', async () => {
    let fail = true;
    rig.runner.script = (c) => (c.kind === 'run' && fail ? { fail: new DomainError('ffmpeg_failed', 'ffmpeg exited with code 1') } : 'ok');
    const first = counter();
    const job = await rig.claim((await rig.job({ maxAttempts: 2 })).id);
    await rig.attempt(job).run();
    const requeued = await stored(job.id);
    assert.equal(requeued.status, 'queued');
    assert.equal(requeued.usage?.cpuSeconds, 0.25 * first());
    const firstCalls = first();
    fail = false;
    rig.clock.advance(SETTINGS.retryBaseMs);
    const second = counter();
    await rig.attempt(await rig.claim(job.id)).run();
    const done = await stored(job.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.usage?.cpuSeconds, 0.25 * (firstCalls + second()), 'both attempts');
    assert.equal(done.usage?.inputSeconds, 4);
  });

  it('unknown CPU (not Linux) is null, not 0', async () => {
    rig.runner.cpuPerCall = null;
    try {
      rig.runner.script = () => 'ok';
      const job = await rig.claim((await rig.job()).id);
      await rig.attempt(job).run();
      assert.equal((await stored(job.id)).usage?.cpuSeconds, null);
    } finally {
      rig.runner.cpuPerCall = 0.25;
    }
  });

  it('a hand-back at shutdown and a cancel keep the CPU the stopped attempt used', async () => {
    rig.runner.script = (c) => (c.kind === 'run' ? 'hang' : 'ok');
    const calls = counter();
    const job = await rig.claim((await rig.job()).id);
    const attempt = rig.attempt(job);
    const running = attempt.run();
    await rig.runner.hanging('run');
    attempt.abort('shutdown');
    await running;
    const handedBack = await stored(job.id);
    assert.deepEqual([handedBack.status, handedBack.usage?.cpuSeconds], ['queued', 0.25 * calls()]);

    const second = rig.attempt(await rig.claim(job.id));
    const run2 = second.run();
    await rig.runner.hanging('run');
    await rig.cancel(job.id);
    await run2;
    const canceled = await stored(job.id);
    assert.equal(canceled.status, 'canceled');
    assert.deepEqual(canceled.usage, { inputSeconds: 4, cpuSeconds: 0.25 * calls(), outputs: [], storageBytes: 0 }, 'both attempts; nothing stays stored');
  });

  it("yt-dlp's CPU counts too: the page importer is metered like the runner", async () => {
    rig.runner.script = () => 'ok';
    const page = new PassThrough();
    page.end('<html></html>');
    const fetcher: UrlFetcher = { open: async (url) => ({ body: page, finalUrl: url, status: 200, contentType: 'text/html', contentLength: null }) };
    const pageImporter: PageMediaImporter = {
      description: 'fake yt-dlp',
      download: async (_url, opts) => {
        await mkdir(opts.dir, { recursive: true });
        const path = join(opts.dir, 'source.mp4');
        await writeFile(path, Buffer.alloc(2048));
        opts.onCpuSeconds?.(1.5);
        return { path, size: 2048 };
      },
    };
    const calls = counter();
    const job = await rig.claim((await rig.job({ inputUrl: 'https://media.example.com/watch' })).id);
    await rig.attempt(job, { fetcher, pageImporter }).run();
    const done = await stored(job.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.usage?.cpuSeconds, 1.5 + 0.25 * calls());
  });
});
