import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { media } from '../helpers/media.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/process.js';
import { tempDir, waitFor } from '../helpers/temp.js';

const KEY = 'mf_process_test_key_0123456789';
const auth = { authorization: `Bearer ${KEY}` };

async function api(base: string, method: string, path: string, body?: unknown, raw?: Buffer) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...auth, ...(raw ? { 'content-type': 'application/octet-stream' } : body ? { 'content-type': 'application/json' } : {}) },
    body: raw ? new Uint8Array(raw) : body ? JSON.stringify(body) : undefined,
  });
  return res.json() as Promise<any>;
}

function pids(pattern: string): number {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

describe('e2e: separate processes (crash, shutdown, doctor)', () => {
  let t: { dir: string; cleanup: () => Promise<void> };
  let env: Record<string, string>;
  const servers: ServerProcess[] = [];
  const start = async (extra: Record<string, string> = {}) => {
    const s = await startServerProcess({ ...env, ...extra });
    servers.push(s);
    return s;
  };
  before(async () => {
    t = await tempDir('mf-proc-');
    env = {
      MEDIAFORGE_DATA_DIR: t.dir,
      MEDIAFORGE_API_KEY: KEY,
      MEDIAFORGE_LEASE_SECONDS: '2',
      MEDIAFORGE_HEARTBEAT_SECONDS: '0.5',
      MEDIAFORGE_SHUTDOWN_GRACE_SECONDS: '0.5',
      MEDIAFORGE_WORKER_CONCURRENCY: '1',
      MEDIAFORGE_URL_ALLOWLIST: '127.0.0.1',
    };
  });
  after(async () => {
    for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await t.cleanup();
  });

  it('a worker killed with SIGKILL mid-job loses its lease; the job finishes once on the next worker', async () => {
    const a = await start();
    const up = await api(a.url, 'POST', '/v1/uploads?filename=long.mp4', undefined, await readFile(await media('long120.mp4')));
    const job = await api(a.url, 'POST', '/v1/jobs', { input: { uploadId: up.id }, outputs: [{ type: 'frames', fps: 2 }] });
    // Mid-run: the run's stage is written the moment it starts (progress itself reaches the row
    // only every few seconds), and its ffmpeg is reading the source.
    await waitFor(async () => String((await api(a.url, 'GET', `/v1/jobs/${job.id}`)).stage).startsWith('frames') && pids(`uploads/${up.id}/source`) > 0, {
      what: 'ffmpeg running on A',
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    a.child.kill('SIGKILL');
    await a.exited;
    // The orphaned ffmpeg dies on its next progress write into the closed pipe.
    await waitFor(async () => pids(`uploads/${up.id}/source`) === 0, { what: 'orphan ffmpeg gone', timeoutMs: 15_000 });

    const b = await start();
    const done = await waitFor(
      async () => {
        const j = await api(b.url, 'GET', `/v1/jobs/${job.id}`);
        return j.status === 'succeeded' || j.status === 'failed' ? j : null;
      },
      { what: 'job finished on B', timeoutMs: 90_000, intervalMs: 250 },
    );
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.attempts, 2, 'the crashed attempt counted, the second one finished');
    assert.equal(done.outputs[0].result.frameCount, 240);
    const stored = await readdir(join(t.dir, 'storage', 'acc_admin', 'jobs', job.id), { recursive: true });
    assert.deepEqual(stored.filter((f) => String(f).endsWith('.zip')), ['00-frames/frames.zip'], 'one result, no duplicates');
    const scratch = await readdir(join(t.dir, 'tmp'));
    assert.ok(scratch.every((d) => !d.startsWith(`w-${a.child.pid}-`)), 'the dead worker’s scratch folder was removed');

    // SIGTERM: stop claiming, hand the running job back, exit cleanly.
    // PNG at 30 fps keeps the job busy well past the 0.5 s grace period.
    const job2 = await api(b.url, 'POST', '/v1/jobs', { input: { uploadId: up.id }, outputs: [{ type: 'frames', fps: 30, format: 'png' }] });
    await waitFor(async () => (await api(b.url, 'GET', `/v1/jobs/${job2.id}`)).progress > 3, { what: 'running on B', timeoutMs: 60_000 });
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0, b.output());
    assert.equal(pids(`uploads/${up.id}/source`), 0, 'no ffmpeg left running');

    const c = await start();
    const handedBack = await api(c.url, 'GET', `/v1/jobs/${job2.id}`);
    assert.ok(['queued', 'running'].includes(handedBack.status), handedBack.status);
    assert.match(b.output(), /handed back at shutdown/);
    const done2 = await waitFor(
      async () => {
        const j = await api(c.url, 'GET', `/v1/jobs/${job2.id}`);
        return j.status === 'succeeded' || j.status === 'failed' ? j : null;
      },
      { what: 'handed-back job finished on C', timeoutMs: 90_000, intervalMs: 250 },
    );
    assert.equal(done2.status, 'succeeded');
    assert.equal(done2.attempts, 1, 'a hand-back at shutdown does not use up an attempt');
  });

  it('doctor reports ffmpeg and says all good', async () => {
    const res = await runCli(['doctor'], { MEDIAFORGE_DATA_DIR: t.dir });
    assert.equal(res.code, 0, res.stdout);
    assert.match(res.stdout, /ffmpeg \S+ .*from system/);
    assert.match(res.stdout, /All good/);
  });
});

describe('e2e: first start and bad configuration', () => {
  let t: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    t = await tempDir('mf-first-');
  });
  after(async () => t.cleanup());

  it('creates the admin key once, prints it once, stores it with mode 0600', async () => {
    const first = await startServerProcess({ MEDIAFORGE_DATA_DIR: t.dir, MEDIAFORGE_API_KEY: '' });
    const key = /Admin API key \(shown once.*\n\s+(mf_\S+)/.exec(first.output())?.[1];
    assert.ok(key, first.output());
    const file = join(t.dir, 'admin.key');
    assert.equal((await readFile(file, 'utf8')).trim(), key);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const ok = await fetch(`${first.url}/v1/jobs`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(ok.status, 200);
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);

    const second = await startServerProcess({ MEDIAFORGE_DATA_DIR: t.dir, MEDIAFORGE_API_KEY: '' });
    assert.ok(!second.output().includes(key!), 'not printed again');
    assert.match(second.output(), /Admin API key: in /);
    second.child.kill('SIGTERM');
    await second.exited;
  });

  it('a second start on the same data folder stops with one line naming the running one', async () => {
    const first = await startServerProcess({ MEDIAFORGE_DATA_DIR: t.dir, MEDIAFORGE_API_KEY: '' });
    try {
      const res = await runCli(['start'], { MEDIAFORGE_DATA_DIR: t.dir, PORT: '0' });
      assert.equal(res.code, 2, res.stderr);
      const lines = res.stderr.trim().split('\n');
      assert.equal(lines.length, 1, res.stderr);
      assert.match(lines[0], new RegExp(`mediaforge: The database .*mediaforge\\.db is in use by process ${first.child.pid} on .*give this one its own MEDIAFORGE_DATA_DIR`));
      // The first one is unharmed.
      assert.equal((await fetch(`${first.url}/healthz`)).status, 200);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });

  it('stops with one line naming the key, the value and what is allowed', async () => {
    const res = await runCli(['start'], { MEDIAFORGE_DATA_DIR: t.dir, PORT: 'eighty' });
    assert.equal(res.code, 2);
    const lines = res.stderr.trim().split('\n');
    assert.equal(lines.length, 1, res.stderr);
    assert.match(lines[0], /PORT="eighty" is not allowed; expected a whole number from 0 to 65535/);
    const limit = await runCli(['start'], { MEDIAFORGE_DATA_DIR: t.dir, MEDIAFORGE_MAX_UPLOAD_BYTES: 'huge' });
    assert.equal(limit.code, 2);
    assert.match(limit.stderr, /MEDIAFORGE_MAX_UPLOAD_BYTES="huge"/);
  });
});
