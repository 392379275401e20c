/**
 * HLS benchmark: a 60 s 1920×1080 30 fps clip, ladder 1080/720/480/360, measured in one run:
 *   (a) our job's wall time ÷ the same ladder as one ffmpeg process per rendition, one after another
 *   (b) our job's wall time ÷ the single ffmpeg command our job runs, run alone (orchestration overhead)
 *   (c) time to the first playable master ÷ total job time
 * plus the CPU seconds of each, and the same job on a source whose keyframes do not allow
 * the top-rung stream copy.
 *
 *   npx tsx bench/hls.ts                  # 60 s clip
 *   npx tsx bench/hls.ts --duration 20    # quick run
 *
 * The job is the worker's HLS output handler run in this process against the local blob
 * store (the queue and database add milliseconds, not seconds). Options: --duration /
 * BENCH_DURATION (s, default 60), --preset / BENCH_PRESET (default veryfast), --rounds /
 * BENCH_ROUNDS (default 1; each figure is the median over rounds, the runs interleaved).
 */
import { mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FsBlobStore } from '../src/adapters/fs/fs.blob-store.js';
import { FfmpegMediaRunner } from '../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { hlsOutputSchema } from '../src/domain/job-spec.js';
import type { MediaMetadata } from '../src/domain/media.js';
import { buildHlsArgs, variantNames, type HlsPlan } from '../src/ffmpeg/hls.args.js';
import { buildProbeArgs, parseProbe } from '../src/ffmpeg/probe.js';
import { hlsPipeline } from '../src/pipelines/hls.pipeline.js';
import { prepareHls } from '../src/pipelines/hls.plan.js';
import { FFMPEG, FFPROBE, Options, WORK_DIR, cpuTimes, fmtS, median, run, runMain, table, tempDir } from './lib.js';
import { systemClock } from '../src/adapters/system-clock.js';

const LADDER = [1080, 720, 480, 360];

async function clip(duration: number, gop: number): Promise<string> {
  const path = join(WORK_DIR, `hls-1920x1080-30fps-${duration}s-gop${gop}.mp4`);
  if ((await stat(path).catch(() => null))?.size) return path;
  await mkdir(WORK_DIR, { recursive: true });
  console.log(`generating ${path} …`);
  const tmp = `${path}.tmp.mp4`;
  await run(FFMPEG, [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${duration}`, '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${duration}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-b:v', '4500k', '-maxrate', '5000k', '-bufsize', '9000k',
    '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-c:a', 'aac', '-shortest', tmp,
  ]);
  await rename(tmp, path);
  return path;
}

/** Wall and CPU seconds (this process and its reaped children) of `fn`. */
async function measure<T>(fn: () => Promise<T>): Promise<{ ms: number; cpu: number; value: T }> {
  const before = await cpuTimes('self');
  const started = performance.now();
  const value = await fn();
  const ms = performance.now() - started;
  const after = await cpuTimes('self');
  return { ms, cpu: after.self + after.children - before.self - before.children, value };
}

runMain(async () => {
  const opts = new Options();
  const duration = opts.number('duration', 60, 4);
  const rounds = Math.max(1, Math.floor(opts.number('rounds', 1, 1)));
  const preset = opts.raw('preset') ?? 'veryfast';
  const encoding = { preset, threads: 0, maxFps: 60 };
  const runner = await FfmpegMediaRunner.create({ ffmpeg: FFMPEG, ffprobe: FFPROBE });
  const aligned = await clip(duration, 120); // keyframes every 4 s: the top rung is stream-copied
  const unaligned = await clip(duration, 150); // every 5 s: every rung is encoded
  const root = await tempDir('hls');
  const spec = hlsOutputSchema.parse({ type: 'hls', renditions: LADDER, poster: false, storyboard: false });
  const signal = new AbortController().signal;
  const probe = async (path: string) => parseProbe(await runner.probe(buildProbeArgs(path), { signal, timeoutMs: 60_000 }));

  let n = 0;
  const job = async (input: string, meta: MediaMetadata, s = spec) => {
    const workDir = join(root, `job-${++n}`);
    await mkdir(workDir, { recursive: true });
    const blobs = new FsBlobStore(join(root, `store-${n}`));
    return measure(() =>
      hlsPipeline({ accountId: 'acc_bench', jobId: `bench_${n}_${Date.now()}`, outputIndex: 0, inputPath: input, meta, runner, blobs, workDir, signal, stallTimeoutMs: 120_000, clock: systemClock, limits: { maxFramesPerJob: 10_000 }, encoding, onProgress: () => {} }, s),
    );
  };
  const direct = async (args: string[]) => measure(() => run(FFMPEG, args));
  const prepared = async (input: string, meta: MediaMetadata) => {
    const outDir = join(root, `direct-${++n}`);
    const prep = await prepareHls(spec, { meta, inputPath: input, outDir, runner, signal, encoding });
    for (const v of variantNames(prep.plan)) await mkdir(join(outDir, v), { recursive: true });
    return prep;
  };

  const results: string[][] = [['run', 'wall', 'CPU']];
  const jobs: Array<{ ms: number; cpu: number }> = [];
  const row = (label: string, m: { ms: number; cpu: number }) => results.push([label, fmtS(m.ms), `${m.cpu.toFixed(1)} s`]);

  for (const [label, input] of [['copy-eligible source (keyframes every 4 s)', aligned], ['source with keyframes every 5 s (no copy)', unaligned]] as const) {
    const meta = await probe(input);
    console.log(`\n== ${label}`);
    type M = { ms: number; cpu: number };
    const oursRuns: M[] = [];
    const singleRuns: M[] = [];
    const perRuns: M[] = [];
    const playable: number[] = [];
    const firstSeg: number[] = [];
    let copied = false;
    for (let round = 0; round < rounds; round++) {
      const o = await job(input, meta);
      const res = o.value.result as any;
      oursRuns.push(o);
      playable.push(res.playableSeconds / res.totalSeconds);
      firstSeg.push(res.firstSegmentSeconds);
      copied = res.topRungCopy.copied;
      const prep = await prepared(input, meta);
      singleRuns.push(await direct(prep.args));
      // PeerTube's shape: one process per rendition (each decodes the source), one after another.
      const per = { ms: 0, cpu: 0 };
      for (const rung of prep.plan.ladder.rungs) {
        const outDir = join(root, `per-${++n}`);
        await mkdir(join(outDir, 'v0'), { recursive: true });
        const plan: HlsPlan = { ...prep.plan, ladder: { ...prep.plan.ladder, rungs: [rung] }, copyTop: false, storyboard: null };
        const m = await direct(buildHlsArgs(plan, runner.caps, encoding, { inputPath: input, outDir, spritePath: join(outDir, 'unused.jpg') }));
        per.ms += m.ms;
        per.cpu += m.cpu;
      }
      perRuns.push(per);
    }
    const med = (runs: M[]) => ({ ms: median(runs.map((x) => x.ms)), cpu: median(runs.map((x) => x.cpu)) });
    const ours = med(oursRuns);
    const single = med(singleRuns);
    const perRendition = med(perRuns);
    row(`${label}: our job (top rung ${copied ? 'copied' : 'encoded'})`, ours);
    jobs.push(ours);
    row(`${label}: the job's single ffmpeg command alone`, single);
    row(`${label}: one ffmpeg per rendition, sequential`, perRendition);
    console.log(table([
      ['ratio', 'value'],
      ['(a) job wall ÷ one process per rendition', (ours.ms / perRendition.ms).toFixed(2)],
      ['    job CPU ÷ one process per rendition', (ours.cpu / perRendition.cpu).toFixed(2)],
      ['(b) job wall ÷ its single ffmpeg command', (ours.ms / single.ms).toFixed(2)],
      ['    job CPU ÷ its single ffmpeg command', (ours.cpu / single.cpu).toFixed(2)],
      ['(c) first playable ÷ total job time', median(playable).toFixed(3)],
      ['    first segment stored after', `${median(firstSeg)} s`],
    ]));
  }
  console.log(`\n${duration} s 1920×1080 30 fps, ladder ${LADDER.join('/')}, preset ${preset}, ${rounds} round(s), ffmpeg ${runner.caps.version}\n`);
  console.log(table(results));
  console.log(`\ntop-rung copy: job with copy ÷ job without, wall ${(jobs[0].ms / jobs[1].ms).toFixed(2)}, CPU ${(jobs[0].cpu / jobs[1].cpu).toFixed(2)}`);
  console.log('wall-clock ratios are only meaningful on an otherwise idle machine; the CPU ratios hold under load.');
});
