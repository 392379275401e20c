/**
 * Frames benchmark: mediaforge `frames` jobs (fps=1, accurate and fast) versus the plain
 * `ffmpeg -i in.mp4 -vf fps=1 outdir/out%06d.jpg`, on a generated 1280×720 30 fps H.264
 * clip, measured in the same run and repeated in rounds (median reported).
 *
 *   npx tsx bench/frames.ts                    # 600 s clip, 3 rounds
 *   npx tsx bench/frames.ts --duration 60      # quick run
 *
 * Options (argv or env): --duration / BENCH_DURATION (s, default 600), --rounds /
 * BENCH_ROUNDS (default 3), --fps / BENCH_FPS (default 1), --direct / --no-direct
 * (also time the accurate job's exact ffmpeg argv run alone, default on).
 * See bench/README.md.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import yauzl from 'yauzl';
import { detectCapabilities } from '../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import type { MediaMetadata } from '../src/domain/media.js';
import { buildFramesArgs } from '../src/ffmpeg/frames.args.js';
import {
  Api,
  FFMPEG,
  FFPROBE,
  Options,
  WORK_DIR,
  cpuTimes,
  firstLine,
  fmtS,
  mean,
  median,
  run,
  runMain,
  sleep,
  startServer,
  table,
  tempDir,
} from './lib.js';

type Kind = 'baseline' | 'accurate' | 'fast' | 'direct';

const LABEL: Record<Kind, string> = {
  baseline: 'baseline: ffmpeg -vf fps=N',
  accurate: 'job frames accurate',
  fast: 'job frames fast',
  direct: 'job argv run directly',
};

interface ManifestFrame {
  file: string;
  index: number;
  time: number;
}

async function ensureClip(duration: number): Promise<string> {
  await mkdir(WORK_DIR, { recursive: true });
  const path = join(WORK_DIR, `clip-1280x720-30fps-${duration}s.mp4`);
  try {
    if ((await stat(path)).size > 0) {
      console.log(`clip: ${path} (cached)`);
      return path;
    }
  } catch {
    /* generate it */
  }
  const tmp = `${path}.${process.pid}.tmp.mp4`;
  console.log(`clip: generating ${path} (${duration} s, libx264 veryfast, default GOP)…`);
  try {
    const r = await run(FFMPEG, [
      '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
      '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30:duration=${duration}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${duration}`,
      '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '128k',
      '-movflags', '+faststart', '-shortest',
      tmp,
    ]);
    await rename(tmp, path);
    console.log(`clip: generated in ${fmtS(r.ms)}`);
  } finally {
    await rm(tmp, { force: true });
  }
  return path;
}

async function keyframeTimes(path: string): Promise<number[]> {
  const r = await run(FFPROBE, ['-v', 'error', '-select_streams', 'v:0', '-skip_frame', 'nokey', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', path], { keep: true });
  return r.stdout.split('\n').map((l) => parseFloat(l)).filter((n) => Number.isFinite(n));
}

function readZip(buf: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open zip'));
      const files = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(files));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('cannot read zip entry'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            files.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

function accuracy(frames: ManifestFrame[], fps: number, requested: number) {
  const vsIndex = frames.map((f) => Math.abs(f.time - f.index / fps));
  // For every requested time k/fps: how far is the nearest frame the ZIP actually holds?
  const times = frames.map((f) => f.time).sort((a, b) => a - b);
  const nearest: number[] = [];
  let j = 0;
  for (let k = 0; k < requested; k++) {
    const t = k / fps;
    while (j + 1 < times.length && times[j + 1] <= t) j++;
    const cands = [times[j], times[j + 1]].filter((x) => x !== undefined);
    nearest.push(Math.min(...cands.map((x) => Math.abs(x - t))));
  }
  return {
    count: frames.length,
    meanVsIndex: mean(vsIndex),
    maxVsIndex: vsIndex.length ? Math.max(...vsIndex) : NaN,
    meanNearest: mean(nearest),
    maxNearest: nearest.length ? Math.max(...nearest) : NaN,
  };
}

async function main() {
  const opts = new Options();
  if (opts.help) {
    console.log('usage: npx tsx bench/frames.ts [--duration 600] [--rounds 3] [--fps 1] [--no-direct]');
    return;
  }
  const duration = opts.number('duration', 600, 1);
  const rounds = Math.round(opts.number('rounds', 3, 1));
  const fps = opts.number('fps', 1, 0.001);
  const withDirect = opts.bool('direct', true);

  const ffmpegVersion = await firstLine(FFMPEG, ['-version']);
  console.log(`${ffmpegVersion}`);
  const os = await import('node:os');
  const loadStart = os.loadavg()[0];
  console.log(`node ${process.version}, ${os.availableParallelism()} CPUs, load average ${loadStart.toFixed(2)}, ${new Date().toISOString()}`);

  const clip = await ensureClip(duration);
  const keyframes = await keyframeTimes(clip);
  console.log(`clip: ${keyframes.length} keyframes (${keyframes.slice(0, 4).map((t) => t.toFixed(3)).join(', ')}, …)`);

  const server = await startServer({ MEDIAFORGE_WORKER_CONCURRENCY: '1' });
  const api = new Api(server);
  console.log(`server: ${server.url} (pid ${server.pid}, data ${server.dataDir})`);
  const upload = await api.uploadRaw(clip, 'bench.mp4');
  console.log(`upload: ${upload.id}, ${(upload.size / 1024 ** 2).toFixed(1)} MiB in ${fmtS(upload.ms)} (not timed)`);

  const scratch = await tempDir('frames');
  const caps = await detectCapabilities({ ffmpeg: FFMPEG, ffprobe: FFPROBE });
  let meta = null as MediaMetadata | null;
  let directArgs = null as string[] | null;

  const kinds: Kind[] = ['baseline', 'accurate', 'fast', ...(withDirect ? (['direct'] as Kind[]) : [])];
  const times: Record<Kind, number[]> = { baseline: [], accurate: [], fast: [], direct: [] };
  // CPU seconds (ffmpeg for baseline/direct; server process + its ffprobe/ffmpeg children for jobs).
  const cpu: Record<Kind, number[]> = { baseline: [], accurate: [], fast: [], direct: [] };
  const cpuOf = async (pid: number | 'self') => {
    const c = await cpuTimes(pid);
    return pid === 'self' ? c.children : c.self + c.children;
  };
  const serverRun: Record<'accurate' | 'fast', number[]> = { accurate: [], fast: [] };
  // A job's CPU split: the server process itself, and its children (ffprobe, ffmpeg).
  const jobSelf: Record<'accurate' | 'fast', number[]> = { accurate: [], fast: [] };
  const lastJob: Partial<Record<'accurate' | 'fast', any>> = {};
  const frameCounts: Partial<Record<Kind, number>> = {};

  const measure = async (kind: Kind, round: number): Promise<void> => {
    const outDir = join(scratch, `${kind}-${round}`);
    await mkdir(outDir, { recursive: true });
    try {
      if (kind === 'baseline') {
        // Exactly the plain command (stdin from /dev/null, output discarded).
        const c0 = await cpuOf('self');
        const r = await run(FFMPEG, ['-i', clip, '-vf', `fps=${fps}`, join(outDir, 'out%06d.jpg')]);
        cpu.baseline.push((await cpuOf('self')) - c0);
        times.baseline.push(r.ms);
        frameCounts.baseline = (await readdir(outDir)).length;
      } else if (kind === 'direct') {
        if (!meta) throw new Error('direct run needs the probe metadata of an accurate job first');
        directArgs ??= buildFramesArgs({ type: 'frames', fps, format: 'jpg', mode: 'accurate', deinterlace: 'auto' }, meta, caps, {
          inputPath: clip,
          outputPattern: '<OUT>',
        });
        const args = directArgs.map((a) => (a === '<OUT>' ? join(outDir, 'frame-%06d.jpg') : a));
        // stdout (-progress) and stderr (showinfo) are piped and drained, as the server does.
        const c0 = await cpuOf('self');
        const r = await run(caps.ffmpegPath, args);
        cpu.direct.push((await cpuOf('self')) - c0);
        times.direct.push(r.ms);
        frameCounts.direct = (await readdir(outDir)).length;
      } else {
        const c0 = await cpuTimes(server.pid);
        const t0 = performance.now();
        const created = await api.json('POST', '/v1/jobs', { input: { uploadId: upload.id }, outputs: [{ type: 'frames', fps, mode: kind }] });
        const job = await api.waitFinal(created.id);
        const ms = performance.now() - t0;
        const c1 = await cpuTimes(server.pid);
        cpu[kind].push(c1.self + c1.children - (c0.self + c0.children));
        jobSelf[kind].push(c1.self - c0.self);
        if (job.status !== 'succeeded') throw new Error(`job ${job.id} (${kind}) ended ${job.status}: ${JSON.stringify(job.error)}\n${server.logTail()}`);
        times[kind].push(ms);
        if (job.startedAt && job.finishedAt) serverRun[kind].push(Date.parse(job.finishedAt) - Date.parse(job.startedAt));
        lastJob[kind] = job;
        frameCounts[kind] = job.outputs[0].result?.frameCount;
        meta ??= job.input.metadata as MediaMetadata;
      }
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  };

  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no kind always runs first (cold caches) or last.
    let order = kinds.map((_, i) => kinds[(i + round) % kinds.length]);
    // `direct` needs the probe metadata from an accurate job.
    if (!meta && order.includes('direct')) order = [...order.filter((k) => k !== 'direct'), 'direct'];
    for (const kind of order) {
      await sleep(500);
      await measure(kind, round);
      const t = times[kind][times[kind].length - 1];
      const c = cpu[kind][cpu[kind].length - 1];
      console.log(`round ${round + 1}/${rounds}  ${LABEL[kind].padEnd(28)} ${fmtS(t).padStart(9)}  cpu ${c.toFixed(2).padStart(6)} s  (${frameCounts[kind]} frames)`);
    }
  }

  // Accuracy: download both ZIPs of the last round and compare their manifests.
  const requested = Math.max(1, Math.ceil((meta?.duration ?? duration) * fps - 1e-9));
  const acc: Partial<Record<'accurate' | 'fast', ReturnType<typeof accuracy>>> = {};
  for (const kind of ['accurate', 'fast'] as const) {
    const job = lastJob[kind];
    const zip = await readZip(await api.download(job.outputs[0].files[0].url));
    const manifest = JSON.parse(zip.get('manifest.json')!.toString('utf8')) as { frames: ManifestFrame[] };
    const images = [...zip.keys()].filter((n) => n !== 'manifest.json');
    if (images.length !== manifest.frames.length) throw new Error(`${kind}: ZIP has ${images.length} images but ${manifest.frames.length} manifest entries`);
    acc[kind] = accuracy(manifest.frames, fps, requested);
  }

  // ---- Summary
  const base = median(times.baseline);
  const baseCpu = median(cpu.baseline);
  // Paired: each run divided by the baseline of the same round (cancels load drift between rounds).
  const paired = (kind: Kind) => median(times[kind].map((t, i) => t / times.baseline[i]));
  const rows: string[][] = [
    ['run', ...Array.from({ length: rounds }, (_, i) => `#${i + 1}`), 'median', 'min', '÷ base (median)', '÷ base (paired)', '÷ base (min)', 'CPU s', 'CPU ÷ base', 'frames'],
  ];
  for (const kind of kinds) {
    const m = median(times[kind]);
    const c = median(cpu[kind]);
    rows.push([
      LABEL[kind].replace('=N', `=${fps}`),
      ...times[kind].map(fmtS),
      fmtS(m),
      fmtS(Math.min(...times[kind])),
      (m / base).toFixed(2),
      paired(kind).toFixed(2),
      (Math.min(...times[kind]) / Math.min(...times.baseline)).toFixed(2),
      c.toFixed(2),
      (c / baseCpu).toFixed(2),
      String(frameCounts[kind] ?? ''),
    ]);
  }
  const accRatio = median(times.accurate) / base;
  const fastRatio = median(times.fast) / base;
  console.log(
    `\n== frames fps=${fps} on a ${duration} s 1280x720 30 fps H.264 clip (${keyframes.length} keyframes), ${rounds} rounds, wall time ` +
      `(1-min load average ${loadStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end, ${os.availableParallelism()} CPUs) ==`,
  );
  console.log(table(rows));
  console.log(`\nserver-side run time (startedAt→finishedAt), median: accurate ${fmtS(median(serverRun.accurate))}, fast ${fmtS(median(serverRun.fast))}`);
  console.log(
    `server process's own CPU per job (children excluded), median: accurate ${median(jobSelf.accurate).toFixed(2)} s, fast ${median(jobSelf.fast).toFixed(2)} s`,
  );
  if (withDirect) {
    const direct = median(times.direct);
    console.log(
      `split: ffmpeg argv alone ÷ baseline = ${(direct / base).toFixed(2)} (CPU ${(median(cpu.direct) / baseCpu).toFixed(2)}); ` +
        `job ÷ argv alone (orchestration) = ${(median(times.accurate) / direct).toFixed(2)} (CPU ${(median(cpu.accurate) / median(cpu.direct)).toFixed(2)}, ` +
        `+${(median(cpu.accurate) - median(cpu.direct)).toFixed(2)} CPU s)`,
    );
    // The same difference per round (job and argv of one round ran minutes apart at most), which load drift disturbs less.
    const perRound = cpu.accurate.map((c, i) => c - cpu.direct[i]);
    const fixed = median(cpu.accurate) - median(cpu.direct);
    const fixedPaired = median(perRound);
    const verdict = (v: number) => `${v.toFixed(2)} s ${v <= 0.25 ? 'met' : 'NOT met'}`;
    console.log(
      `fixed cost per job (job CPU − argv CPU), target ≤ 0.25 s: of the medians ${verdict(fixed)}; paired (median of per-round differences ` +
        `${perRound.map((d) => d.toFixed(2)).join(', ')}) ${verdict(fixedPaired)}`,
    );
  }

  const arows: string[][] = [['mode', 'frames', `mean |t−i/fps|`, `max |t−i/fps|`, 'mean gap to request', 'max gap to request']];
  for (const kind of ['accurate', 'fast'] as const) {
    const a = acc[kind]!;
    arows.push([kind, `${a.count}/${requested}`, `${a.meanVsIndex.toFixed(3)} s`, `${a.maxVsIndex.toFixed(3)} s`, `${a.meanNearest.toFixed(3)} s`, `${a.maxNearest.toFixed(3)} s`]);
  }
  console.log(`\n== accuracy (manifest time t of frame index i; gap = |nearest returned frame − k/fps| for each requested k) ==`);
  console.log(table(arows));

  const minRatio = (kind: Kind) => Math.min(...times[kind]) / Math.min(...times.baseline);
  const cpuRatio = (kind: Kind) => median(cpu[kind]) / baseCpu;
  const verdict = (r: number) => `${r.toFixed(2)} ${r <= 1.1 ? 'met' : 'NOT met'}`;
  console.log(
    `\naccurate ÷ baseline, target ≤ 1.10: median ${verdict(accRatio)}; paired ${verdict(paired('accurate'))}; ` +
      `min ${verdict(minRatio('accurate'))}; CPU ${verdict(cpuRatio('accurate'))}`,
  );
  console.log(`fast ÷ baseline: median ${fastRatio.toFixed(2)}, paired ${paired('fast').toFixed(2)}, min ${minRatio('fast').toFixed(2)}, CPU ${cpuRatio('fast').toFixed(2)}`);
  const spread = Math.max(...times.baseline) / Math.min(...times.baseline) - 1;
  if (spread > 0.1) {
    console.log(
      `noise: the baseline's own runs spread ${(spread * 100).toFixed(0)} % (${fmtS(Math.min(...times.baseline))}–${fmtS(Math.max(...times.baseline))}): ` +
        `other work competed for the CPU, so wall-time medians are unreliable; trust the min and CPU ratios, or re-run on a quiet machine`,
    );
  }
  if (directArgs) console.log(`\naccurate job's ffmpeg argv: ${caps.ffmpegPath} ${directArgs.map((a) => (/[\s'()*,+]/.test(a) ? `"${a}"` : a)).join(' ')}`);
  const warnings = server.logTail().split('\n').filter((l) => l.startsWith('{'));
  if (warnings.length) console.log(`\nserver log (warn and above):\n${warnings.slice(-20).join('\n')}`);
}

runMain(main);
