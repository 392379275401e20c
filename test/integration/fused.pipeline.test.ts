import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { audioOutputSchema, clipsOutputSchema, mp4OutputSchema } from '../../src/domain/job-spec.js';
import type { FusableSpec } from '../../src/ffmpeg/fused.args.js';
import { clipsPipeline } from '../../src/pipelines/clips.pipeline.js';
import { fusedPipeline } from '../../src/pipelines/fused.pipeline.js';
import type { OutputProduct } from '../../src/pipelines/pipeline.types.js';
import { audioPipeline, mp4Pipeline } from '../../src/pipelines/rendition.pipeline.js';
import type { MediaRunner, RunOptions } from '../../src/ports/media-runner.port.js';
import { clipSource, counterOf, frameLumas } from '../helpers/clip-sources.js';
import { ffprobeJson } from '../helpers/media.js';
import { binarySources, pipelineContext } from '../helpers/pipeline.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { tempDir } from '../helpers/temp.js';
import { readZip } from '../helpers/zip.js';

const clips = (spec: object) => clipsOutputSchema.parse({ type: 'clips', ...spec });
const mp4 = (spec: object = {}) => mp4OutputSchema.parse({ type: 'mp4', ...spec });
const audio = (spec: object = {}) => audioOutputSchema.parse({ type: 'audio', ...spec });
const FRAME = 1 / 30;
/** An MP3 frame: 1152 samples at 44.1 kHz. */
const AUDIO_FRAME = 1152 / 44_100;

/** The real runner, counting the ffmpeg processes it starts. */
function counting(inner: MediaRunner): MediaRunner & { runs: string[][] } {
  const runs: string[][] = [];
  return {
    runs,
    caps: inner.caps,
    probe: (args, opts) => inner.probe(args, opts),
    run: (args: string[], opts: RunOptions) => {
      runs.push(args);
      return inner.run(args, opts);
    },
  };
}

type Ctx = Awaited<ReturnType<typeof pipelineContext>>;
const local = <T>(ctx: Ctx, key: string, fn: (path: string) => Promise<T>) => ctx.store.withLocalFile(key, fn);

/** Frame count, first and last burned-in counter of every clip file of a product. */
async function clipFrames(ctx: Ctx, product: OutputProduct): Promise<Array<{ frames: number; first: number; last: number }>> {
  const out = [];
  for (const f of product.files.filter((x) => x.name.startsWith('clip-'))) {
    const lumas = await local(ctx, f.key, frameLumas);
    out.push({ frames: lumas.length, first: counterOf(lumas[0]), last: counterOf(lumas[lumas.length - 1]) });
  }
  return out;
}

/** Run the members fused (index 0…) and separately (index 10…), in one job's key space. */
async function both(ctx: Ctx, specs: FusableSpec[]) {
  const runner = counting(ctx.runner);
  const progress = specs.map(() => [] as number[]);
  const members = specs.map((spec, i) => ({
    spec,
    ctx: { ...ctx, runner, outputIndex: i, workDir: `${ctx.workDir}/f${i}`, onProgress: (f: number) => void progress[i].push(f) },
  }));
  const { mkdir } = await import('node:fs/promises');
  for (const m of members) await mkdir(m.ctx.workDir, { recursive: true });
  const fused = await fusedPipeline(members);
  const fusedRuns = runner.runs.length;
  const separate: OutputProduct[] = [];
  for (const [i, spec] of specs.entries()) {
    const own = { ...ctx, outputIndex: 10 + i, workDir: `${ctx.workDir}/s${i}` };
    await mkdir(own.workDir, { recursive: true });
    if (spec.type === 'clips') separate.push(await clipsPipeline(own, spec));
    else if (spec.type === 'mp4') separate.push(await mp4Pipeline(own, spec));
    else separate.push(await audioPipeline(own, spec));
  }
  return { fused, separate, fusedRuns, progress };
}

for (const bin of binarySources()) {
  describe(`fused clips + mp4 + audio (${bin.name})`, () => {
    let runner: FfmpegMediaRunner;
    let t: { dir: string; cleanup: () => Promise<void> };
    let counter: string;
    before(async () => {
      runner = await FfmpegMediaRunner.create(bin);
      t = await tempDir();
      counter = await clipSource('counter60.mp4');
    });
    after(async () => t.cleanup());

    it('one ffmpeg run makes 6 exact 10 s clips, the MP4 and the MP3, equal to the separate runs', async () => {
      const ctx = await pipelineContext(runner, t.dir, counter);
      // veryfast (not ultrafast) for the clips: x264 then uses B-frames, whose delay must not shift a clip's start.
      const specs = [clips({ segmentSeconds: 10, archive: true, preset: 'veryfast' }), mp4({ height: 60, preset: 'ultrafast' }), audio({ format: 'mp3' })];
      const { fused, separate, fusedRuns, progress } = await both(ctx, specs);
      assert.equal(fusedRuns, 1, 'one ffmpeg process for the three outputs');

      const [fc, fv, fa] = fused;
      const [sc, sv, sa] = separate;
      assert.deepEqual(fc.files.map((f) => f.name), ['clip-001.mp4', 'clip-002.mp4', 'clip-003.mp4', 'clip-004.mp4', 'clip-005.mp4', 'clip-006.mp4', 'series.json', 'clips.zip']);
      assert.deepEqual(fc.files.map((f) => f.name), sc.files.map((f) => f.name));
      const frames = await clipFrames(ctx, fc);
      assert.deepEqual(frames, Array(6).fill({ frames: 300, first: 0, last: 49 }), 'every clip: 300 frames, from the requested frame to the one before the next cut');
      assert.deepEqual(frames, await clipFrames(ctx, sc));
      const [fl, sl] = [fc.result!.clips as any[], sc.result!.clips as any[]];
      assert.deepEqual(fl.map((c) => c.start), sl.map((c) => c.start));
      // The picture is cut exactly (above); a clip's audio may run up to two AAC frames past it.
      fl.forEach((c, i) => assert.ok(Math.abs(c.duration - 10) < 0.05 && Math.abs(c.duration - sl[i].duration) < 0.05, `clip ${i + 1}: ${c.duration} vs ${sl[i].duration}`));
      assert.deepEqual([fc.result?.width, fc.result?.height, fc.result?.count], [sc.result?.width, sc.result?.height, 6]);
      for (const f of fc.files.slice(0, 6)) {
        const v = (await local(ctx, f.key, ffprobeJson)).streams;
        assert.deepEqual(v.map((s: any) => s.codec_name).sort(), ['aac', 'h264']);
        const video = v.find((s: any) => s.codec_type === 'video');
        assert.equal(Number(video.start_time), 0, `${f.name}: the picture starts at 0, as in a clip's own run (got ${video.start_time})`);
      }
      const zip = await ctx.store.withLocalFile(fc.files[7].key, async (p) => readZip(await readFile(p)));
      assert.equal(zip.size, 7);

      assert.equal(fv.files[0].name, 'video.mp4');
      assert.equal(fv.result?.copied, false);
      assert.deepEqual([fv.result?.width, fv.result?.height, fv.result?.videoCodec, fv.result?.audioCodec], [sv.result?.width, sv.result?.height, 'h264', 'aac']);
      assert.deepEqual([fv.result?.width, fv.result?.height], [80, 60]);
      assert.ok(Math.abs((fv.result?.duration as number) - (sv.result?.duration as number)) <= FRAME, `mp4 ${fv.result?.duration} vs ${sv.result?.duration}`);

      assert.deepEqual([fa.files[0].name, fa.files[0].contentType, fa.result?.codec], ['audio.mp3', 'audio/mpeg', 'mp3']);
      assert.ok(Math.abs((fa.result?.duration as number) - (sa.result?.duration as number)) <= AUDIO_FRAME, `audio ${fa.result?.duration} vs ${sa.result?.duration}`);

      for (const p of progress) {
        assert.ok(p.some((f) => f > 0 && f < 1), `progress during the run: ${p.slice(0, 5).join(', ')}…`);
        assert.equal(p[p.length - 1], 1);
      }
    });

    it('a trimmed 9:16 series next to a stream-copied MP4 and an m4a copy: exact first frames, copied flags kept', async () => {
      const ctx = await pipelineContext(runner, t.dir, counter);
      const specs = [clips({ start: '00:00:01.500', end: 4.2, segmentSeconds: 1, aspect: '9:16', preset: 'ultrafast' }), mp4(), audio({ format: 'm4a' })];
      const { fused, separate, fusedRuns } = await both(ctx, specs);
      assert.equal(fusedRuns, 1);
      const frames = await clipFrames(ctx, fused[0]);
      // 1.5 s = frame 45; cuts at 2.5, 3.5 s; the last clip ends before frame 126 (4.2 s).
      assert.deepEqual(frames, [
        { frames: 30, first: 45 % 50, last: 74 % 50 },
        { frames: 30, first: 75 % 50, last: 104 % 50 },
        { frames: 21, first: 105 % 50, last: 125 % 50 },
      ]);
      assert.deepEqual(frames, await clipFrames(ctx, separate[0]));
      assert.deepEqual((fused[0].result!.clips as any[]).map((c) => c.start), [1.5, 2.5, 3.5]);
      assert.deepEqual([fused[0].result?.width, fused[0].result?.height], [68, 120]);
      assert.equal(fused[1].result?.copied, true);
      assert.deepEqual([fused[1].result?.width, fused[1].result?.duration], [separate[1].result?.width, separate[1].result?.duration]);
      assert.deepEqual([fused[2].result?.codec, fused[2].result?.duration], [separate[2].result?.codec, separate[2].result?.duration], 'AAC copied as in its own run');
    });

    it('audio that outlasts the video: the clips past the last frame are made as in their own run', async () => {
      const src = `${t.dir}/long-audio.mp4`;
      await promisify(execFile)('ffmpeg', [
        '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2.3',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', src,
      ]);
      const ctx = await pipelineContext(runner, t.dir, src);
      const { fused, separate, fusedRuns } = await both(ctx, [clips({ segmentSeconds: 1, preset: 'ultrafast' }), mp4()]);
      assert.equal(fusedRuns, 1 + 2, 'the shared run, then clip 2 (which took the rest of the audio) and clip 3 on their own');
      const [fl, sl] = [fused[0].result!.clips as any[], separate[0].result!.clips as any[]];
      assert.deepEqual(fl.map((c) => [c.start, c.width]), [[0, 320], [1, 320], [2, null]], 'the last clip is audio only, as in its own run');
      const times = (l: any[]) => l.map((c) => [c.start, c.end, c.duration, c.width, c.height]);
      assert.deepEqual(times(fl).slice(1), times(sl).slice(1));
      assert.ok(Math.abs(fl[0].duration - 1) < 0.05);
    });

    it('two MP4 renditions of different heights and a padded single clip of a 1080p source share one run', async () => {
      const ctx = await pipelineContext(runner, t.dir, await clipSource('hd1080-2s.mp4'));
      const specs = [mp4({ height: 360, preset: 'ultrafast' }), mp4({ height: 180, preset: 'ultrafast' }), clips({ aspect: '9:16', fit: 'pad', maxHeight: 640, end: 1, preset: 'ultrafast' })];
      const { fused, separate, fusedRuns } = await both(ctx, specs);
      assert.equal(fusedRuns, 1);
      assert.deepEqual(fused.map((p) => [p.result?.width, p.result?.height]), [[640, 360], [320, 180], [360, 640]]);
      assert.deepEqual(fused.map((p) => [p.result?.width, p.result?.height]), separate.map((p) => [p.result?.width, p.result?.height]));
      assert.ok(Math.abs((fused[2].result!.clips as any[])[0].duration - 1) <= FRAME);
    });
  });
}

describe('a job with clips + mp4 + audio through the worker', () => {
  let p: TestPlatform;
  let runs: string[][];
  let breakFused = false;
  before(async () => {
    p = await startTestPlatform();
    // Wrap the worker's real runner to count (and, for one test, break) its ffmpeg runs.
    const runner = (p.platform.worker as unknown as { deps: { runner: MediaRunner } }).deps.runner;
    const run = runner.run.bind(runner);
    runs = [];
    runner.run = (args, opts) => {
      runs.push(args);
      const fusedRun = args.filter((a) => a === '-map_metadata').length > 1;
      // A real ffmpeg failure: an encoder this build does not have.
      return run(breakFused && fusedRun ? args.map((a) => (a === 'libmp3lame' ? 'no_such_encoder' : a)) : args, opts);
    };
  });
  after(async () => p.stop());

  async function submit(outputs: object[], maxAttempts = 3) {
    const up = await p.api('POST', '/v1/uploads?filename=counter.mp4', await readFile(await clipSource('counter60.mp4')), { 'content-type': 'application/octet-stream' });
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs, maxAttempts });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const events = await collectEvents(p.base, created.body.id);
    return { events, job: (await p.api('GET', `/v1/jobs/${created.body.id}`)).body };
  }

  it('runs one ffmpeg process for the three, reports rising progress for them, and stores every output', async () => {
    runs.length = 0;
    const { events, job } = await submit([
      { type: 'clips', segmentSeconds: 10, aspect: '9:16', archive: true, preset: 'ultrafast' },
      { type: 'mp4', height: 60, preset: 'ultrafast' },
      { type: 'audio', format: 'mp3' },
    ]);
    assert.equal(events[events.length - 1].data.status, 'succeeded', JSON.stringify(events[events.length - 1].data));
    assert.equal(runs.length, 1, `ffmpeg runs: ${runs.length}`);
    const during = events.filter((e) => e.event === 'progress' && e.data.stage === 'clips + mp4 + audio (1, 2, 3/3)').map((e) => e.data.progress);
    assert.ok(during.length >= 2, `progress events during the fused run: ${during.join(', ')}`);
    assert.ok(during.every((v, i) => i === 0 || v >= during[i - 1]), `never goes back: ${during.join(', ')}`);
    assert.ok(during[during.length - 1] > during[0] && during.some((v) => v > 2 && v < 100), `rises: ${during.join(', ')}`);
    assert.deepEqual(job.outputs.map((o: any) => o.status), ['succeeded', 'succeeded', 'succeeded']);
    const [c, v, a] = job.outputs;
    assert.equal(c.files.length, 8);
    assert.deepEqual(c.result.clips.map((x: any) => x.start), [0, 10, 20, 30, 40, 50]);
    assert.deepEqual([c.result.width, c.result.height], [68, 120]);
    assert.deepEqual([v.result.width, v.result.height, v.result.copied], [80, 60, false]);
    assert.equal(a.result.codec, 'mp3');
  });

  it('a failed fused run fails every output of the group; outputs before it keep their result', async () => {
    runs.length = 0;
    breakFused = true;
    try {
      const { job } = await submit(
        [
          { type: 'frames', times: [1] },
          { type: 'clips', end: 2, preset: 'ultrafast' },
          { type: 'mp4', height: 60, preset: 'ultrafast' },
          { type: 'audio', format: 'mp3' },
        ],
        1,
      );
      assert.equal(job.status, 'failed');
      assert.equal(job.error.code, 'ffmpeg_failed');
      assert.deepEqual(job.outputs.map((o: any) => o.status), ['succeeded', 'failed', 'failed', 'failed']);
      for (const o of job.outputs.slice(1)) {
        assert.equal(o.error.code, 'ffmpeg_failed');
        assert.deepEqual(o.files, []);
      }
      assert.equal(runs.length, 2, 'frames on its own run, the other three in one');
    } finally {
      breakFused = false;
    }
  });
});
