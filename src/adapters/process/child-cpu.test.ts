import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { ChildCpuMeter, childCpu, statTicks } from './child-cpu.js';
import { capture, runsOk, start } from './process-runner.js';

// Real children (this Node) that burn a known amount of CPU and say how much they used.
const NODE = process.execPath;
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
/**
 * argv: burn ms (of its own CPU, startup included), then exit at this epoch ms (0: at once),
 * then a burn of a grandchild it waits for (0: none). Prints its own CPU ms, then the grandchild's.
 */
const USED = `const used = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };`;
const GRAND = `${USED} while (used() < Number(process.argv[1])); console.log(used());`;
const BURN = `${USED}
const [burn, exitAt, grand] = process.argv.slice(1).map(Number);
const g = grand ? Number(require('node:child_process').execFileSync(process.execPath, ['-e', ${JSON.stringify(GRAND)}, String(grand)])) : 0;
while (used() < burn);
console.log(used() + ' ' + g);
const idle = () => (Date.now() < exitAt ? setTimeout(idle, 5) : process.exit(0));
idle();
`;

interface Burner {
  /** The CPU seconds the runner counted. */
  cpu: Promise<number | null>;
  /** What the child counted of itself (and of its grandchild), in seconds, just before exiting. */
  said: Promise<{ own: number; grand: number }>;
  /** When (epoch ms) the child said it was done burning. */
  burnt: Promise<number>;
}

function burner(burnMs: number, opts: { exitAt?: number; grandMs?: number } = {}): Burner {
  let line = '';
  let burnt!: (at: number) => void;
  const burntAt = new Promise<number>((r) => (burnt = r));
  const proc = start(NODE, ['-e', BURN, String(burnMs), String(opts.exitAt ?? 0), String(opts.grandMs ?? 0)], {
    env,
    onStdoutLine: (l) => {
      line = l;
      burnt(Date.now());
    },
  });
  const exited = proc.exited;
  return {
    burnt: burntAt,
    cpu: exited.then((e) => e.cpuSeconds),
    said: exited.then(() => {
      const [own, grand] = line.split(' ').map((x) => Number(x) / 1000);
      return { own, grand };
    }),
  };
}

/** Within one tick (10 ms) below what the child saw of itself, and what exiting costs above. */
function assertBand(counted: number | null, said: number, label: string) {
  assert.equal(typeof counted, 'number', `${label}: a figure on Linux`);
  assert.ok(counted! >= said - 0.011 && counted! <= said + 0.1, `${label}: counted ${counted} s, the child saw ${said} s of itself`);
}

const reapedSeconds = () => statTicks('self')!.reaped / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('child CPU time (Linux /proc)', { skip: process.platform !== 'linux' && 'Linux only', timeout: 60_000 }, () => {
  it('start: a child that burns 0.3 s of CPU is counted at that, within a tick', async () => {
    const b = burner(300);
    const cpu = await b.cpu;
    const { own } = await b.said;
    assert.ok(own >= 0.3);
    assertBand(cpu, own, 'burner');
  });

  it('two children at once, exiting at different times: each gets its own, and together they are the kernel total', async () => {
    const before = reapedSeconds();
    const [a, b] = [burner(400), burner(150)];
    const [cpuA, cpuB, saidA, saidB] = await Promise.all([a.cpu, b.cpu, a.said, b.said]);
    assertBand(cpuA, saidA.own, 'long child');
    assertBand(cpuB, saidB.own, 'short child');
    assert.ok(Math.abs(cpuA! + cpuB! - (reapedSeconds() - before)) < 0.005, 'the shares add up to what the kernel counted');
  });

  it('two children reaped in the same event-loop turn share the total by what each was seen using', async () => {
    // Both must be done burning (and sampled by the meter) 200 ms before they exit together; on
    // a loaded machine the burn can take longer than the lead, so the lead doubles until it
    // holds (each try's children exit and are counted before the next starts).
    for (let lead = 2000; ; lead *= 2) {
      const turns = childCpu.stats.sharedTurns;
      const before = reapedSeconds();
      const exitAt = Date.now() + lead;
      const [a, b] = [burner(300, { exitAt }), burner(100, { exitAt })];
      const late = Promise.all([a.burnt, b.burnt]).then((at) => Math.max(...at) > exitAt - 400);
      // Hold the loop while both exit: libuv then reaps both in one go, before either exit callback runs.
      await sleep(exitAt - 200 - Date.now());
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, exitAt + 300 - Date.now());
      const [cpuA, cpuB, saidA, saidB] = await Promise.all([a.cpu, b.cpu, a.said, b.said]);
      if ((await late) && lead < 16_000) continue;
      assert.equal(childCpu.stats.sharedTurns, turns + 1, 'both exits were counted in one turn');
      assertBand(cpuA, saidA.own, 'the 0.3 s child');
      assertBand(cpuB, saidB.own, 'the 0.1 s child');
      assert.ok(Math.abs(cpuA! + cpuB! - (reapedSeconds() - before)) < 0.005, 'the shares add up to what the kernel counted');
      return;
    }
  });

  it("counts the grandchildren a child waited for (yt-dlp's ffmpeg)", async () => {
    const b = burner(100, { grandMs: 200 });
    const [cpu, said] = await Promise.all([b.cpu, b.said]);
    assert.ok(said.grand >= 0.2);
    assertBand(cpu, said.own + said.grand, 'child + grandchild');
  });

  it("runsOk's synchronous child is nobody's: it does not land on a child running meanwhile", async () => {
    const b = burner(150, { exitAt: Date.now() + 1500 });
    await sleep(300);
    assert.equal(runsOk(NODE, ['-e', 'const t = Date.now(); while (Date.now() - t < 300);'], { env, timeoutMs: 20_000 }), true);
    const [cpu, said] = await Promise.all([b.cpu, b.said]);
    assertBand(cpu, said.own, 'the child running beside runsOk');
  });

  it('children reaped before a meter counts one of its own are nobody\'s', async () => {
    // A second meter sees the runner's children as foreign, as the runner's meter would see a
    // child some other module reaped.
    const meter = new ChildCpuMeter();
    await burner(100).cpu;
    assert.ok(reapedSeconds() > 0.1);
    const fake = Object.assign(new EventEmitter(), { pid: 2 ** 22 + 1, stdout: null, stderr: null });
    const counted = meter.track(fake);
    fake.emit('exit');
    assert.equal(await counted, 0);
  });

  it('capture: gives the CPU seconds on success and with the error of a failed run; 0 for a program that never started', async () => {
    const script = `${USED} while (used() < 200); console.log(used()); process.exitCode = Number(process.argv[1]);`;
    const ok = await capture(NODE, ['-e', script, '0'], { env });
    assertBand(ok.cpuSeconds, Number(ok.stdout) / 1000, 'capture');
    const err = await capture(NODE, ['-e', script, '3'], { env }).then(() => assert.fail('resolved'), (e) => e);
    assert.equal(err.code, 3);
    assertBand(err.cpuSeconds, Number(err.stdout) / 1000, 'failed capture');
    const missing = await capture('/nonexistent/mediaforge-tool', [], { env }).then(() => assert.fail('resolved'), (e) => e);
    assert.equal(missing.cpuSeconds, 0);
  });
});
