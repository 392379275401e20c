/**
 * Where a frames job's time goes, seen from outside the server: when the server's
 * ffprobe and ffmpeg children start and end relative to `POST /v1/jobs`, when the final
 * SSE status arrives, and how much CPU the server process itself uses (idle and during
 * the job) next to its children. Complements bench/frames.ts when the job ÷ baseline
 * ratio needs explaining.
 *
 *   npx tsx bench/job-timeline.ts                              # 600 s clip (from bench/frames.ts)
 *   npx tsx bench/job-timeline.ts --duration 60 --runs 3 --mode fast
 *   npx tsx bench/job-timeline.ts --profile /tmp/prof          # also write a V8 CPU profile of the server
 *
 * Options (argv or env): --duration / BENCH_DURATION (s, default 600; the clip must be in
 * bench/.work/, run bench/frames.ts with the same duration first), --runs (default 2),
 * --mode accurate|fast (default accurate), --fps (default 1), --profile DIR (start the
 * server with `node --cpu-prof --cpu-prof-dir=DIR`; the profile is written when it stops),
 * --root DIR (run the build in DIR, a checkout with its own dist/, for an A/B against this one).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Api, Options, WORK_DIR, cpuTimes, fmtS, runMain, sleep, startServer, table } from './lib.js';

/** Direct children of a process (all its threads), with their executable name. */
async function children(pid: number): Promise<{ pid: number; cmd: string }[]> {
  const out: { pid: number; cmd: string }[] = [];
  for (const task of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const list = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
    for (const p of list.trim().split(/\s+/).filter(Boolean)) {
      const exe = (await readFile(`/proc/${p}/comm`, 'utf8').catch(() => '?')).trim();
      out.push({ pid: Number(p), cmd: exe });
    }
  }
  return out;
}

async function main() {
  const opts = new Options();
  if (opts.help) {
    console.log('usage: npx tsx bench/job-timeline.ts [--duration 600] [--runs 2] [--mode accurate|fast] [--fps 1] [--profile DIR] [--root DIR]');
    return;
  }
  const duration = opts.number('duration', 600, 1);
  const runs = Math.round(opts.number('runs', 2, 1));
  const mode = opts.raw('mode') ?? 'accurate';
  if (mode !== 'accurate' && mode !== 'fast') throw new Error('--mode must be accurate or fast');
  const fps = opts.number('fps', 1, 0.001);
  const profileDir = opts.raw('profile');
  // --root DIR: run another build (a checkout with its own dist/, e.g. the previous commit) for an A/B.
  const root = opts.raw('root');

  const clip = join(WORK_DIR, `clip-1280x720-30fps-${duration}s.mp4`);
  await stat(clip).catch(() => {
    throw new Error(`${clip} is missing: run \`npx tsx bench/frames.ts --duration ${duration}\` first`);
  });
  const server = await startServer(
    { MEDIAFORGE_WORKER_CONCURRENCY: '1' },
    { ...(profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}), ...(root ? { root } : {}) },
  );
  const api = new Api(server);
  const upload = await api.uploadRaw(clip, 'bench.mp4');

  await sleep(1000);
  const idle0 = await cpuTimes(server.pid);
  await sleep(10_000);
  const idle1 = await cpuTimes(server.pid);
  console.log(`idle server: ${(((idle1.self - idle0.self) / 10) * 100).toFixed(1)} % of one core (10 s, no jobs)`);

  const serverCpu: number[] = [];
  const rows: string[][] = [['run', 'ffprobe', 'ffmpeg start', 'ffmpeg end', 'succeeded', 'after ffmpeg', 'server CPU', 'children CPU']];
  for (let r = 0; r < runs; r++) {
    await sleep(1000);
    const seen = new Map<number, { cmd: string; start: number; end?: number }>();
    let watching = true;
    const t0 = performance.now();
    const watcher = (async () => {
      while (watching) {
        const now = performance.now();
        const kids = await children(server.pid);
        for (const k of kids) {
          const known = seen.get(k.pid);
          if (!known) seen.set(k.pid, { cmd: k.cmd, start: now });
          else known.cmd = k.cmd; // the name changes from node to ffmpeg at exec
        }
        for (const [pid, v] of seen) if (v.end === undefined && !kids.some((k) => k.pid === pid)) v.end = now;
        await sleep(10);
      }
    })();
    const c0 = await cpuTimes(server.pid);
    const created = await api.json('POST', '/v1/jobs', { input: { uploadId: upload.id }, outputs: [{ type: 'frames', fps, mode }] });
    const job = await api.waitFinal(created.id);
    const total = performance.now() - t0;
    watching = false;
    await watcher;
    const c1 = await cpuTimes(server.pid);
    if (job.status !== 'succeeded') throw new Error(`job ended ${job.status}: ${JSON.stringify(job.error)}`);
    serverCpu.push(c1.self - c0.self);
    const kids = [...seen.values()];
    const probe = kids.find((k) => k.cmd.startsWith('ffprobe'));
    const ff = kids.find((k) => k.cmd === 'ffmpeg');
    const at = (ms: number | undefined) => (ms === undefined ? '?' : `${((ms - t0) / 1000).toFixed(3)} s`);
    rows.push([
      `#${r + 1} ${mode}`,
      probe ? `${at(probe.start)}–${at(probe.end)}` : '?',
      at(ff?.start),
      at(ff?.end),
      `${(total / 1000).toFixed(3)} s`,
      ff?.end !== undefined ? `${((t0 + total - ff.end) / 1000).toFixed(3)} s` : '?',
      `${(c1.self - c0.self).toFixed(2)} s`,
      `${(c1.children - c0.children).toFixed(2)} s`,
    ]);
    console.log(`run ${r + 1}/${runs}: ${fmtS(total)}`);
  }
  console.log(`\n== frames fps=${fps} ${mode} on the ${duration} s clip: times from POST /v1/jobs (child start/end seen every ~10 ms) ==`);
  console.log(table(rows));
  const sorted = [...serverCpu].sort((a, b) => a - b);
  console.log(`server CPU per job${root ? ` (${root})` : ''}: median ${sorted[Math.floor(sorted.length / 2)].toFixed(3)} s, min ${sorted[0].toFixed(3)} s`);
  await server.stop();
  if (profileDir) console.log(`\nCPU profile of the server: ${profileDir}/*.cpuprofile (open in Chrome DevTools → Performance)`);
}

runMain(main);
