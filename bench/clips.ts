/**
 * Clips benchmark: the `clips` pipeline (segmentSeconds 60, accurate and fast mode) versus
 * a plain ffmpeg segment-muxer command doing the same work, on a generated 1920×1080
 * 30 fps H.264/AAC source, measured in the same run.
 *
 *   npx tsx bench/clips.ts                          # 600 s source, 60 s clips
 *   npx tsx bench/clips.ts --duration 120           # quick run
 *
 * Options (argv or env): --duration / BENCH_DURATION (s, default 600), --segment (s,
 * default 60), --preset (x264 preset for accurate mode and its baseline, default veryfast),
 * --rounds (default 1; the median is reported), --modes (default fast,accurate).
 *
 * The pipeline runs in this process with the real ffmpeg runner and a local blob store
 * (the same code the worker runs, without HTTP and queue around it), so the ratio is the
 * cost of mediaforge's way of cutting (one ffmpeg run per clip with input seeking, plus a
 * probe of every clip) against ffmpeg's segment muxer in a single run.
 * Baselines:
 *   accurate: ffmpeg -i src -c:v libx264 -preset P -crf 20 -c:a aac -force_key_frames
 *             expr:gte(t,n_forced*S) -f segment -segment_time S -reset_timestamps 1 out%03d.mp4
 *   fast:     ffmpeg -i src -c copy -f segment -segment_time S -reset_timestamps 1 out%03d.mp4
 *
 * `--modes fused` times the issue's job: 9:16 accurate clips of S seconds + an MP4 at 720p +
 * an MP3, (a) as one fused run (what the worker does), (b) as the three handlers one after
 * another (what it did before), against (c) one plain ffmpeg command making the three and
 * (d) three plain ffmpeg commands, one per output.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FfmpegMediaRunner } from '../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { FsBlobStore } from '../src/adapters/fs/fs.blob-store.js';
import { audioOutputSchema } from '../src/domain/outputs/audio.spec.js';
import { clipsOutputSchema } from '../src/domain/outputs/clips.spec.js';
import { mp4OutputSchema } from '../src/domain/outputs/mp4.spec.js';
import { buildProbeArgs, parseProbe } from '../src/ffmpeg/probe.js';
import { clipsPipeline } from '../src/pipelines/clips.pipeline.js';
import { fusedPipeline } from '../src/pipelines/fused.pipeline.js';
import type { PipelineContext } from '../src/pipelines/pipeline.types.js';
import { audioPipeline, mp4Pipeline } from '../src/pipelines/rendition.pipeline.js';
import { FFMPEG, FFPROBE, Options, WORK_DIR, cpuTimes, fmtS, median, run, runMain, table, tempDir } from './lib.js';
import { systemClock } from '../src/adapters/system-clock.js';

const opts = new Options();

async function ensureSource(duration: number): Promise<string> {
  await mkdir(WORK_DIR, { recursive: true });
  const path = join(WORK_DIR, `clip-1920x1080-30fps-${duration}s.mp4`);
  try {
    if ((await stat(path)).size > 0) return path;
  } catch {
    /* generate */
  }
  const tmp = `${path}.${process.pid}.tmp.mp4`;
  console.log(`source: generating ${path} (${duration} s 1080p, libx264 ultrafast, default GOP)…`);
  const r = await run(FFMPEG, [
    '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${duration}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${duration}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-shortest', tmp,
  ]);
  await rename(tmp, path);
  console.log(`source: generated in ${fmtS(r.ms)}`);
  return path;
}

async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; cpu: number }> {
  const cpu0 = await cpuTimes('self');
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const cpu1 = await cpuTimes('self');
  return { ms, cpu: cpu1.children - cpu0.children + (cpu1.self - cpu0.self) };
}

async function main() {
  if (opts.help) {
    console.log('usage: npx tsx bench/clips.ts [--duration 600] [--segment 60] [--preset veryfast] [--rounds 1] [--modes fast,accurate,fused]');
    return;
  }
  const duration = opts.number('duration', 600, 2);
  const segment = opts.number('segment', 60, 1);
  const preset = opts.raw('preset') ?? 'veryfast';
  const rounds = opts.number('rounds', 1, 1);
  const modes = (opts.raw('modes') ?? 'fast,accurate').split(',').map((m) => m.trim());
  if (!modes.length || modes.some((m) => !['fast', 'accurate', 'fused'].includes(m))) throw new Error('--modes takes a list of fast, accurate and fused');
  const source = await ensureSource(duration);
  const dir = await tempDir('clips');
  const runner = await FfmpegMediaRunner.create({ ffmpeg: FFMPEG, ffprobe: FFPROBE });
  const meta = parseProbe(await runner.probe(buildProbeArgs(source), { signal: new AbortController().signal, timeoutMs: 60_000 }));
  console.log(`ffmpeg ${runner.caps.version}; source ${meta.width}×${meta.height}, ${meta.duration} s; clips of ${segment} s; preset ${preset}; ${rounds} round(s)`);

  const pipeline = (mode: 'accurate' | 'fast', round: number) => async () => {
    const work = join(dir, `${mode}-${round}`);
    await mkdir(join(work, 'tmp'), { recursive: true });
    const product = await clipsPipeline(
      {
        accountId: 'acc_bench', jobId: `bench${round}xxxx`, outputIndex: 0, inputPath: source, meta, runner,
        blobs: new FsBlobStore(join(work, 'store')), workDir: join(work, 'tmp'),
        signal: new AbortController().signal, stallTimeoutMs: 120_000, clock: systemClock, limits: { maxFramesPerJob: 1 }, onProgress: () => undefined,
      },
      clipsOutputSchema.parse({ type: 'clips', segmentSeconds: segment, mode, preset }),
    );
    await rm(work, { recursive: true, force: true });
    return product;
  };
  const baseline = (mode: 'accurate' | 'fast', round: number) => async () => {
    const work = join(dir, `base-${mode}-${round}`);
    await mkdir(work, { recursive: true });
    const codec = mode === 'fast'
      ? ['-c', 'copy']
      : ['-c:v', 'libx264', '-preset', preset, '-crf', '20', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-force_key_frames', `expr:gte(t,n_forced*${segment})`];
    await run(FFMPEG, [
      '-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-i', source, '-map', '0:v:0', '-map', '0:a:0', ...codec,
      '-f', 'segment', '-segment_time', String(segment), '-reset_timestamps', '1', '-segment_format_options', 'movflags=+faststart',
      join(work, 'out%03d.mp4'),
    ]);
    const count = (await readdir(work)).length;
    await rm(work, { recursive: true, force: true });
    return count;
  };

  // The issue's job: vertical clips + an MP4 rendition + the audio track.
  const jobSpecs = [
    clipsOutputSchema.parse({ type: 'clips', segmentSeconds: segment, aspect: '9:16', preset }),
    mp4OutputSchema.parse({ type: 'mp4', height: 720, preset }),
    audioOutputSchema.parse({ type: 'audio', format: 'mp3' }),
  ] as const;
  const jobContexts = async (work: string): Promise<PipelineContext[]> => {
    const blobs = new FsBlobStore(join(work, 'store'));
    const out: PipelineContext[] = [];
    for (let i = 0; i < jobSpecs.length; i++) {
      await mkdir(join(work, `tmp${i}`), { recursive: true });
      out.push({
        accountId: 'acc_bench', jobId: 'benchfused', outputIndex: i, inputPath: source, meta, runner, blobs, workDir: join(work, `tmp${i}`),
        signal: new AbortController().signal, stallTimeoutMs: 120_000, clock: systemClock, limits: { maxFramesPerJob: 1 }, onProgress: () => undefined,
      });
    }
    return out;
  };
  const job = (how: 'fused' | 'separate', round: number) => async () => {
    const work = join(dir, `job-${how}-${round}`);
    const [c, v, a] = await jobContexts(work);
    if (how === 'fused') await fusedPipeline([{ ctx: c, spec: jobSpecs[0] }, { ctx: v, spec: jobSpecs[1] }, { ctx: a, spec: jobSpecs[2] }]);
    else {
      await clipsPipeline(c, jobSpecs[0]);
      await mp4Pipeline(v, jobSpecs[1]);
      await audioPipeline(a, jobSpecs[2]);
    }
    await rm(work, { recursive: true, force: true });
  };
  const plainJob = (how: 'one' | 'three', round: number) => async () => {
    const work = join(dir, `plain-${how}-${round}`);
    await mkdir(work, { recursive: true });
    const x264 = (crf: number) => ['-c:v', 'libx264', '-preset', preset, '-crf', String(crf), '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k'];
    const outputs = [
      ['-map', '0:v:0', '-map', '0:a:0', '-vf', 'crop=ih*9/16:ih', ...x264(20), '-force_key_frames', `expr:gte(t,n_forced*${segment})`,
        '-f', 'segment', '-segment_time', String(segment), '-reset_timestamps', '1', '-segment_format_options', 'movflags=+faststart', join(work, 'clip%03d.mp4')],
      ['-map', '0:v:0', '-map', '0:a:0', '-vf', 'scale=-2:720', ...x264(23), '-movflags', '+faststart', join(work, 'video.mp4')],
      ['-map', '0:a:0', '-c:a', 'libmp3lame', '-b:a', '192k', join(work, 'audio.mp3')],
    ];
    const head = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-i', source];
    if (how === 'one') await run(FFMPEG, [...head, ...outputs.flat()]);
    else for (const o of outputs) await run(FFMPEG, [...head, ...o]);
    await rm(work, { recursive: true, force: true });
  };

  const results: Record<string, Array<{ ms: number; cpu: number }>> = {};
  const add = (k: string, v: { ms: number; cpu: number }) => (results[k] ??= []).push(v);
  for (let r = 0; r < rounds; r++) {
    if (modes.includes('fused')) {
      for (const [k, fn] of [['plain one', plainJob('one', r)], ['plain three', plainJob('three', r)], ['job fused', job('fused', r)], ['job separate', job('separate', r)]] as const) {
        add(k, await timed(fn));
      }
      const w = (k: string) => fmtS(results[k][r].ms);
      console.log(`round ${r + 1}: fused job: plain one ${w('plain one')}, plain three ${w('plain three')}, fused ${w('job fused')}, separate ${w('job separate')}`);
    }
    for (const mode of modes.filter((m) => m !== 'fused') as Array<'fast' | 'accurate'>) {
      add(`baseline ${mode}`, await timed(baseline(mode, r)));
      add(`clips ${mode}`, await timed(pipeline(mode, r)));
      console.log(`round ${r + 1}: ${mode}: baseline ${fmtS(results[`baseline ${mode}`][r].ms)}, clips ${fmtS(results[`clips ${mode}`][r].ms)}`);
    }
  }
  const med = (k: string, f: 'ms' | 'cpu') => median(results[k].map((x) => x[f]));
  if (modes.includes('fused')) {
    const rows = [['clips + mp4 + audio', 'wall', 'CPU']];
    for (const k of ['plain one', 'plain three', 'job fused', 'job separate']) rows.push([k, fmtS(med(k, 'ms')), `${med(k, 'cpu').toFixed(1)} s`]);
    const ratio = (a: string, b: string) => [`${a} ÷ ${b}`, (med(a, 'ms') / med(b, 'ms')).toFixed(2), (med(a, 'cpu') / med(b, 'cpu')).toFixed(2)];
    rows.push(ratio('job fused', 'job separate'), ratio('job fused', 'plain one'), ratio('job separate', 'plain three'), ratio('plain one', 'plain three'));
    console.log(`\n${table(rows)}\n`);
  }
  const rows = [['mode', 'baseline wall', 'clips wall', 'wall ratio', 'baseline CPU', 'clips CPU', 'CPU ratio']];
  for (const mode of modes.filter((m) => m !== 'fused')) {
    const [bw, cw, bc, cc] = [med(`baseline ${mode}`, 'ms'), med(`clips ${mode}`, 'ms'), med(`baseline ${mode}`, 'cpu'), med(`clips ${mode}`, 'cpu')];
    rows.push([mode, fmtS(bw), fmtS(cw), (cw / bw).toFixed(2), `${bc.toFixed(1)} s`, `${cc.toFixed(1)} s`, (cc / bc).toFixed(2)]);
  }
  if (rows.length > 1) console.log(`\n${table(rows)}\n\nratio = clips pipeline ÷ plain ffmpeg segment muxer (same run; lower is better)`);
}

runMain(main);
