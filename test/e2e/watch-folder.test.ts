import assert from 'node:assert/strict';
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MediaforgeClient } from '../../src/cli/client.js';
import { startWatch } from '../../src/cli/commands/watch.command.js';
import { STATE_FILE } from '../../src/cli/watch-state.js';
import { media } from '../helpers/media.js';
import { startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';
import { tempDir, waitFor } from '../helpers/temp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `mediaforge watch` against a running API (embedded: SQLite, a worker), on a temp folder. */
describe('e2e: mediaforge watch <dir> --preset', () => {
  let p: TestPlatform;
  let dir: string;
  let cleanup: () => Promise<void>;
  const lines: string[] = [];
  before(async () => {
    p = await startTestPlatform();
    ({ dir, cleanup } = await tempDir('mf-watch-'));
  });
  after(async () => {
    await p.stop();
    await cleanup();
  });
  const jobCount = async () => (await p.api('GET', '/v1/jobs?limit=100')).body.jobs.length;
  const opts = { preset: 'frames-1fps', stableMs: '800' };
  const client = () => new MediaforgeClient(p.base, TEST_KEY);

  it('a file written slowly in chunks is sent once it stops growing: one job, results in the out folder; a restart sends nothing again', async () => {
    const watcher = await startWatch(dir, opts, client(), (l) => lines.push(l));
    await watcher.idle();
    const clip = await readFile(await media('tiny1.mp4'));
    const file = await open(join(dir, 'lesson one.mp4'), 'w');
    const chunk = Math.ceil(clip.length / 4);
    for (let i = 0; i < clip.length; i += chunk) {
      await file.write(clip.subarray(i, i + chunk));
      await file.sync();
      await sleep(300); // slower than a read, faster than --stable-ms: still being written
    }
    await file.close();
    const state = await waitFor(async () => {
      const s = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8').catch(() => '{"files":{}}'));
      const entry = s.files['lesson one.mp4'];
      assert.notEqual(entry?.status, 'failed', JSON.stringify(entry));
      return entry?.status === 'done' && entry;
    }, { what: 'the file to be processed', timeoutMs: 60_000 });
    assert.equal(await jobCount(), 1, 'exactly one job');
    const upload = (await p.api('GET', `/v1/uploads/${state.uploadId}`)).body;
    assert.deepEqual([upload.size, upload.jobId, upload.process], [clip.length, state.jobId, { preset: 'frames-1fps' }], 'the whole file, sent once');
    assert.deepEqual(await readdir(join(dir, 'out', state.jobId)), ['00-frames', 'job.json']);
    assert.ok((await readdir(join(dir, 'out', state.jobId, '00-frames'))).includes('frames.zip'));
    assert.ok(lines.some((l) => l.startsWith('lesson one.mp4: done')), lines.join('\n'));
    await watcher.close();

    const again = await startWatch(dir, opts, client(), (l) => lines.push(l));
    await again.idle();
    await sleep(1500); // past --stable-ms: anything it would send has been sent
    await again.idle();
    await again.close();
    assert.equal(await jobCount(), 1, 'a restart makes no second job');
  });

  it('an unknown preset stops it at the start with the server\'s code', async () => {
    await assert.rejects(startWatch(dir, { preset: 'nope' }, client()), (err: any) => err.code === 'not_found' || err.code === 'preset_not_found');
  });
});
