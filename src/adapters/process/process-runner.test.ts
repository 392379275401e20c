import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { capture, minimalEnv, runsOk, start, type CaptureError } from './process-runner.js';

// Real child processes: this Node itself, running small scripts.
const NODE = process.execPath;
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

function lines(script: string, opts: { group?: boolean } = {}) {
  const out: string[] = [];
  const proc = start(NODE, ['-e', script], { env, group: opts.group, onStdoutLine: (l) => out.push(l) });
  return { proc, out };
}

/** Gone, or a zombie nobody has reaped yet: either way it runs no more. */
function dead(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z');
  } catch {
    return true;
  }
}

describe('process runner', () => {
  it('start: stdin is closed (/dev/null), so a program that reads it gets end-of-file', async () => {
    const { proc, out } = lines(`const fs = require('node:fs'); console.log(fs.fstatSync(0).isCharacterDevice() ? 'devnull' : 'other'); process.stdin.on('end', () => console.log('eof')).resume(); setTimeout(() => { console.log('no eof'); process.exit(1); }, 20000).unref();`);
    const { code, signal } = await proc.exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
    assert.deepEqual(out, ['devnull', 'eof']);
  });

  it('capture: stdin is ended at once, so a program that reads it gets end-of-file', async () => {
    // The timeout only turns a hang (stdin left open) into a failure.
    const { stdout } = await capture(NODE, ['-e', `process.stdin.on('end', () => console.log('eof')).resume();`], { env, timeoutMs: 20_000 });
    assert.equal(stdout, 'eof\n');
  });

  it('the child sees only the environment it was given', async () => {
    process.env.MEDIAFORGE_RUNNER_TEST_SECRET = 'do-not-leak';
    try {
      const script = `console.log(JSON.stringify(process.env))`;
      const seen = JSON.parse((await capture(NODE, ['-e', script], { env: { ...env, ONLY: 'this' } })).stdout);
      assert.equal(seen.ONLY, 'this');
      assert.equal(seen.MEDIAFORGE_RUNNER_TEST_SECRET, undefined);
      const out: string[] = [];
      await start(NODE, ['-e', script], { env, onStdoutLine: (l) => out.push(l) }).exited;
      assert.equal(JSON.parse(out[0]).MEDIAFORGE_RUNNER_TEST_SECRET, undefined);
    } finally {
      delete process.env.MEDIAFORGE_RUNNER_TEST_SECRET;
    }
  });

  it('minimalEnv keeps PATH and the locale, not the rest of ours', () => {
    process.env.MEDIAFORGE_RUNNER_TEST_SECRET = 'do-not-leak';
    try {
      const e = minimalEnv();
      assert.equal(e.PATH, process.env.PATH);
      assert.equal(e.MEDIAFORGE_RUNNER_TEST_SECRET, undefined);
      for (const k of Object.keys(e)) assert.ok(['PATH', 'LANG', 'LC_ALL', 'TMPDIR', 'LD_LIBRARY_PATH'].includes(k), k);
    } finally {
      delete process.env.MEDIAFORGE_RUNNER_TEST_SECRET;
    }
  });

  it('arguments reach the program as they are: no shell expands them', async () => {
    const arg = '$(echo hi); echo pwned `id` *';
    const { stdout } = await capture(NODE, ['-e', 'console.log(process.argv[1])', arg], { env });
    assert.equal(stdout, `${arg}\n`);
  });

  it('capture: a failing program rejects with its exit code and its stderr', async () => {
    const err: CaptureError = await capture(NODE, ['-e', `console.error('bad input'); process.exit(3)`], { env }).then(
      () => assert.fail('resolved'),
      (e) => e,
    );
    assert.equal(err.code, 3);
    assert.match(err.stderr ?? '', /bad input/);
  });

  it('a program that does not exist rejects with ENOENT, from both doors', async () => {
    await assert.rejects(capture('/nonexistent/mediaforge-tool', [], { env }), (e: CaptureError) => e.code === 'ENOENT');
    const proc = start('/nonexistent/mediaforge-tool', [], { env });
    await assert.rejects(proc.exited, (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    proc.kill(); // nothing to kill: no throw
  });

  it('kill() stops the program with SIGKILL; once it has exited, kill() does nothing', async () => {
    const { proc, out } = lines(`console.log('up'); setInterval(() => {}, 1000);`);
    while (out.length === 0) await new Promise((r) => setImmediate(r));
    proc.kill();
    const { code, signal, cpuSeconds } = await proc.exited;
    assert.deepEqual({ code, signal }, { code: null, signal: 'SIGKILL' });
    if (process.platform === 'linux') assert.ok(typeof cpuSeconds === 'number' && cpuSeconds > 0, `a killed child's CPU counts too: ${cpuSeconds}`);
    proc.kill();
  });

  it('with `group`, kill() stops the program and everything it started', async () => {
    const script = `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000);`;
    const { proc, out } = lines(script, { group: true });
    while (out.length === 0) await new Promise((r) => setImmediate(r));
    const grandchild = Number(out[0]);
    try {
      proc.kill();
      await proc.exited;
      // SIGKILL is immediate; the polls only wait for the kernel to have done it.
      for (let i = 0; i < 500 && !dead(grandchild); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(dead(grandchild), 'the grandchild still runs');
    } finally {
      if (!dead(grandchild)) process.kill(grandchild, 'SIGKILL');
    }
  });

  it('runsOk: true for a program that exits 0, false otherwise', () => {
    assert.equal(runsOk(NODE, ['-e', ''], { env, timeoutMs: 20_000 }), true);
    assert.equal(runsOk(NODE, ['-e', 'process.exit(1)'], { env, timeoutMs: 20_000 }), false);
    assert.equal(runsOk('/nonexistent/mediaforge-tool', [], { env, timeoutMs: 20_000 }), false);
  });
});
