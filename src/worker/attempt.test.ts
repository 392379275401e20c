import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { AbortedError, DomainError } from '../domain/errors.js';
import { STAGES } from '../domain/job-lifecycle.js';
import type { JobRecord } from '../domain/job.js';
import type { UrlFetcher } from '../ports/url-fetcher.port.js';
import { AttemptRig, SETTINGS } from '../../test/helpers/attempt-rig.js';
import type { Attempt } from './attempt.js';
import { ADMIN } from '../../test/helpers/principals.js';
import { waitFor } from '../../test/helpers/temp.js';

/** A URL fetcher that starts answering, then hangs until aborted. */
const hangingFetcher = (started: () => void): UrlFetcher => ({
  open: (_url, signal) =>
    new Promise((_, reject) => {
      signal.addEventListener('abort', () => reject(new AbortedError()), { once: true });
      started();
    }),
});

describe('an attempt, step by step', { timeout: 30_000 }, () => {
  let rig: AttemptRig;
  before(async () => {
    rig = await AttemptRig.open();
  });
  after(async () => rig.close());

  const stored = async (id: string) => (await rig.db.jobs.get(ADMIN, id))!;
  const blobsOf = async (id: string) => [...(await rig.blobs.list(`acc_admin/jobs/${id}/`)), ...(await rig.blobs.list(`acc_admin/imports/${id}/`))];

  it('writes a job.progress event with a progress write at most every 10 s of the clock, the first 10 s after the start', async () => {
    // The admin account subscribes to job.progress: without such an endpoint no event row is written.
    await rig.db.webhooks.createEndpoint(ADMIN, {
      id: 'whk_progress', accountId: ADMIN.accountId, url: 'https://hooks.example.com/in', events: ['job.progress'], description: null, secret: 'sealed',
      previousSecret: null, previousSecretUntil: null, pausedUntil: null, createdAt: 1, updatedAt: 1, disabledAt: null, disabledReason: null,
    });
    const job = await rig.claim((await rig.job()).id);
    const attempt = rig.attempt(job);
    const progressEvents = async () => {
      const rows = await rig.db.outbox.claimDue({ owner: 'peek', now: rig.clock.now(), leaseMs: 1, kinds: ['webhook.event'], limit: 100, freshAfterMs: 0 });
      await rig.db.outbox.release(rows.map((r) => r.id), 'peek', null);
      return rows.map((r) => r.message).filter((m) => m.kind === 'webhook.event' && m.type === 'job.progress' && m.id === job.id).map((m) => (m as { at: number }).at);
    };
    const start = rig.clock.now();
    const report = async (advanceMs: number, progress: number) => {
      rig.clock.advance(advanceMs);
      attempt.reporter.report(progress, `stage ${progress}`);
      await waitFor(async () => (await stored(job.id)).progress === progress, { what: `progress ${progress} written` });
    };
    await report(9_999, 10);
    assert.deepEqual(await progressEvents(), [], 'not in the first 10 s');
    await report(1, 20);
    await report(9_999, 30);
    await report(1, 40);
    assert.deepEqual(await progressEvents(), [start + 10_000, start + 20_000]);
    attempt.reporter.stop();
  });

  it('runs fetch, probe, each output and settles success with both outputs stored', async () => {
    rig.runner.script = () => 'ok';
    const job = await rig.claim((await rig.job({ outputs: 2 })).id);
    const attempt = rig.attempt(job);
    await attempt.run();
    const done = await stored(job.id);
    assert.deepEqual([done.status, done.progress, done.stage], ['succeeded', 100, STAGES.done]);
    assert.deepEqual(done.outputs.map((o) => [o.status, o.files.map((f) => f.key)]), [
      ['succeeded', [`acc_admin/jobs/${job.id}/00-thumbnail/thumbnail.jpg`]],
      ['succeeded', [`acc_admin/jobs/${job.id}/01-thumbnail/thumbnail.jpg`]],
    ]);
    assert.equal(done.probe?.width, 320, 'the probe step wrote input.metadata');
    assert.equal(existsSync(attempt.workDir), false, 'scratch removed');
  });

  it('probes an upload once: a second job on it reuses the stored probe, and the limits still apply to it', async () => {
    rig.runner.script = () => 'ok';
    const probes = () => rig.runner.calls.filter((c) => c.kind === 'probe' && c.args.includes('-show_streams')).length;
    const first = await rig.claim((await rig.job()).id);
    const before = probes();
    await rig.attempt(first).run();
    assert.equal(probes() - before, 1, 'the first job on the upload runs ffprobe');
    const second = await rig.claim((await rig.job({ sameUploadAs: first })).id);
    await rig.attempt(second).run();
    assert.equal(probes() - before, 1, 'the second job reuses the probe');
    assert.deepEqual([(await stored(second.id)).status, (await stored(second.id)).probe?.width], ['succeeded', 320]);
    const third = await rig.claim((await rig.job({ sameUploadAs: first })).id);
    await rig.attempt(third, {}, { limits: { ...SETTINGS.limits, maxPixels: 1000 } }).run();
    assert.equal((await stored(third.id)).error?.code, 'limit_exceeded', 'a reused probe is checked against the limits of this job');
  });

  /**
   * Cancel while `step` waits: the attempt removes what it stored and writes nothing else
   * but its usage: the row stays as the cancel wrote it, no message, no event after the cancel's own.
   */
  async function cancelDuring(job: JobRecord, attempt: Attempt, reached: Promise<void>, opts: { announce?: boolean } = {}) {
    rig.sent.length = 0;
    const running = attempt.run();
    await reached;
    const canceled = await rig.cancel(job.id, opts.announce ?? true);
    const from = rig.published.length;
    if (opts.announce === false) await attempt.heartbeat(); // no event reached this worker: the heartbeat finds the cancel
    await running;
    assert.equal(attempt.signal.reason, 'canceled');
    const after = await stored(job.id);
    assert.deepEqual({ ...after, usage: null }, canceled, "nothing written after the cancel but the attempt's usage");
    assert.deepEqual([after.usage?.outputs, after.usage?.storageBytes], [[], 0], 'what it stored is gone');
    assert.deepEqual(await blobsOf(job.id), [], 'partial outputs removed');
    assert.deepEqual(rig.sent, [], 'no queue message');
    assert.deepEqual(rig.published.slice(from), [], 'no event');
    assert.equal(existsSync(attempt.workDir), false, 'scratch removed');
  }

  it('cancel during the fetch (URL import)', async () => {
    const job = await rig.claim((await rig.job({ inputUrl: 'https://media.example.com/a.mp4' })).id);
    let started!: () => void;
    const reached = new Promise<void>((r) => (started = r));
    const calls = rig.runner.calls.length;
    await cancelDuring(job, rig.attempt(job, { fetcher: hangingFetcher(started) }), reached);
    assert.equal(rig.runner.calls.length, calls, 'nothing probed or run');
  });

  it('cancel during the probe', async () => {
    rig.runner.script = (c) => (c.kind === 'probe' ? 'hang' : 'ok');
    const job = await rig.claim((await rig.job()).id);
    await cancelDuring(job, rig.attempt(job), rig.runner.hanging('probe'));
  });

  it('cancel during a run, after an earlier output was stored', async () => {
    rig.runner.script = (c) => (c.kind === 'run' && c.args.at(-1)!.includes('/1/') ? 'hang' : 'ok');
    const job = await rig.claim((await rig.job({ outputs: 2 })).id);
    const reached = rig.runner.hanging('run').then(async () => {
      assert.deepEqual(await blobsOf(job.id), [`acc_admin/jobs/${job.id}/00-thumbnail/thumbnail.jpg`], 'the first output is stored before the cancel');
    });
    await cancelDuring(job, rig.attempt(job), reached);
  });

  it('cancel found by the heartbeat when no event arrives', async () => {
    rig.runner.script = (c) => (c.kind === 'run' ? 'hang' : 'ok');
    const job = await rig.claim((await rig.job()).id);
    await cancelDuring(job, rig.attempt(job), rig.runner.hanging('run'), { announce: false });
  });

  it('lease lost during a run: the heartbeat stops the attempt, which writes nothing over the new attempt', async () => {
    rig.runner.script = (c) => (c.kind === 'run' ? 'hang' : 'ok');
    const job = await rig.claim((await rig.job()).id);
    const attempt = rig.attempt(job);
    rig.sent.length = 0;
    const running = attempt.run();
    await rig.runner.hanging('run');
    rig.clock.advance(SETTINGS.leaseMs + 1);
    const current = await rig.claim(job.id, 'w2');
    const from = rig.published.length;
    await attempt.heartbeat();
    await running;
    assert.equal(attempt.signal.reason, 'lost');
    assert.deepEqual(await stored(job.id), current);
    assert.deepEqual([rig.sent, rig.published.slice(from)], [[], []]);
  });

  for (const outputs of [1, 0]) it(`lease lost during the probe (${outputs} outputs): the probe's fenced write finds it, and no output runs`, async () => {
    const job = await rig.claim((await rig.job({ outputs })).id);
    let current!: JobRecord;
    rig.runner.script = (c) =>
      c.kind === 'probe'
        ? { then: async () => {
          rig.clock.advance(SETTINGS.leaseMs + 1);
          current = await rig.claim(job.id, 'w2');
        } }
        : 'ok';
    const runs = rig.runner.calls.filter((c) => c.kind === 'run').length;
    rig.sent.length = 0;
    const attempt = rig.attempt(job);
    await attempt.run();
    assert.equal(attempt.signal.reason, 'lost');
    assert.deepEqual(await stored(job.id), current);
    assert.equal(rig.runner.calls.filter((c) => c.kind === 'run').length, runs, 'no ffmpeg run for a job this attempt lost');
    assert.deepEqual(rig.sent, []);
  });

  it('a failing run marks its output failed and the job retries; the earlier output is kept in the outputs', async () => {
    rig.runner.script = (c) => (c.kind === 'run' && c.args.at(-1)!.includes('/1/') ? { fail: new DomainError('ffmpeg_failed', 'ffmpeg exited with code 1') } : 'ok');
    const job = await rig.claim((await rig.job({ outputs: 2, maxAttempts: 1 })).id);
    await rig.attempt(job).run();
    const failed = await stored(job.id);
    assert.deepEqual([failed.status, failed.error?.code], ['failed', 'ffmpeg_failed']);
    assert.deepEqual(failed.outputs.map((o) => o.status), ['succeeded', 'failed']);
  });

  it('a URL job without a fetcher fails at once with input_unsupported', async () => {
    const job = await rig.claim((await rig.job({ inputUrl: 'https://media.example.com/a.mp4' })).id);
    await rig.attempt(job).run();
    assert.deepEqual([(await stored(job.id)).status, (await stored(job.id)).error?.code], ['failed', 'input_unsupported']);
  });

  it('an imported source is removed after the attempt', async () => {
    rig.runner.script = () => 'ok';
    const body = new PassThrough();
    body.end(Buffer.alloc(2048));
    const fetcher: UrlFetcher = { open: async (url) => ({ body, finalUrl: url, status: 200, contentType: 'video/mp4', contentLength: 2048 }) };
    const job = await rig.claim((await rig.job({ inputUrl: 'https://media.example.com/a.mp4' })).id);
    await rig.attempt(job, { fetcher }).run();
    assert.equal((await stored(job.id)).status, 'succeeded');
    assert.deepEqual(await rig.blobs.list(`imports/${job.id}/`), []);
  });
});
