import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { DomainError } from '../../src/domain/errors.js';
import { clipsOutputSchema } from '../../src/domain/job-spec.js';
import { clipsPipeline } from '../../src/pipelines/clips.pipeline.js';
import { bandLuma, clipSource, counterOf, frameLumas, keyframeTimes } from '../helpers/clip-sources.js';
import { ffprobeJson, media } from '../helpers/media.js';
import { pipelineContext } from '../helpers/pipeline.js';
import { tempDir } from '../helpers/temp.js';
import { readZip } from '../helpers/zip.js';

const clips = (spec: object) => clipsOutputSchema.parse({ type: 'clips', ...spec });
const FRAME = 1 / 30;

type Ctx = Awaited<ReturnType<typeof pipelineContext>>;
const local = <T>(ctx: Ctx, key: string, fn: (path: string) => Promise<T>) => ctx.store.withLocalFile(key, fn);
async function bytes(ctx: Ctx, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of (await ctx.store.get(key)) as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}
const videoDuration = async (path: string) => {
  const probe = await ffprobeJson(path);
  return Number(probe.streams.find((s: any) => s.codec_type === 'video').duration);
};

describe('clips pipeline (system ffmpeg)', () => {
  let runner: FfmpegMediaRunner;
  let t: { dir: string; cleanup: () => Promise<void> };
  let counter: string;
  before(async () => {
    runner = await FfmpegMediaRunner.create({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' });
    t = await tempDir();
    counter = await clipSource('counter60.mp4');
  });
  after(async () => t.cleanup());

  it('accurate: 60 s in segments of 10 s gives 6 clips, each cut on the exact frame, adding up to 60 s', async () => {
    const progress: number[] = [];
    const ctx = await pipelineContext(runner, t.dir, counter, { progress });
    const product = await clipsPipeline(ctx, clips({ segmentSeconds: 10, archive: true, preset: 'ultrafast' }));
    const names = product.files.map((f) => f.name);
    assert.deepEqual(names, ['clip-001.mp4', 'clip-002.mp4', 'clip-003.mp4', 'clip-004.mp4', 'clip-005.mp4', 'clip-006.mp4', 'series.json', 'clips.zip']);
    let total = 0;
    for (const [i, file] of product.files.slice(0, 6).entries()) {
      await local(ctx, file.key, async (path) => {
        const probe = await ffprobeJson(path);
        const v = probe.streams.find((s: any) => s.codec_type === 'video');
        const a = probe.streams.find((s: any) => s.codec_type === 'audio');
        assert.equal(v.codec_name, 'h264');
        assert.equal(a.codec_name, 'aac');
        total += Number(v.duration);
        const lumas = await frameLumas(path);
        assert.equal(lumas.length, 300, `clip ${i + 1} has 300 frames`);
        assert.equal(counterOf(lumas[0]), 0, `clip ${i + 1} starts on frame ${i * 300}`);
        assert.equal(counterOf(lumas[lumas.length - 1]), 49, `clip ${i + 1} ends on frame ${i * 300 + 299}`);
      });
      // +faststart: the moov box comes before mdat.
      const head = (await bytes(ctx, file.key)).subarray(0, 4096).toString('latin1');
      assert.ok(head.indexOf('moov') >= 0 && (head.indexOf('mdat') < 0 || head.indexOf('moov') < head.indexOf('mdat')), 'moov first');
    }
    assert.ok(Math.abs(total - 60) <= FRAME, `durations add up to ${total}`);
    const series = JSON.parse((await bytes(ctx, product.files[6].key)).toString());
    assert.equal(series.clips.length, 6);
    series.clips.forEach((c: any, i: number) => {
      assert.equal(c.file, `clip-00${i + 1}.mp4`);
      assert.equal(c.start, i * 10);
      assert.ok(Math.abs(c.duration - 10) < 0.05, `duration ${c.duration}`);
    });
    const zip = await readZip(await bytes(ctx, product.files[7].key));
    assert.deepEqual([...zip.keys()].sort(), [...names.slice(0, 6), 'series.json'].sort());
    assert.equal(product.result?.count, 6);
    assert.equal(progress[progress.length - 1], 1);
  });

  it('accurate trim from "00:00:01.500" to 4.2 starts on frame 45 and ends before frame 126', async () => {
    const ctx = await pipelineContext(runner, t.dir, counter);
    const product = await clipsPipeline(ctx, clips({ start: '00:00:01.500', end: 4.2, preset: 'ultrafast' }));
    await local(ctx, product.files[0].key, async (path) => {
      const lumas = await frameLumas(path);
      assert.equal(lumas.length, 81);
      assert.equal(counterOf(lumas[0]), 45 % 50);
      assert.equal(counterOf(lumas[80]), 125 % 50);
    });
    const [only] = product.result!.clips as any[];
    assert.equal(only.start, 1.5);
    assert.ok(Math.abs(only.end - 4.2) < 0.05);
  });

  it('ranges may overlap and keep their names; a range past the end is refused', async () => {
    const ctx = await pipelineContext(runner, t.dir, counter);
    const product = await clipsPipeline(ctx, clips({ ranges: [{ start: 2, end: 3, name: 'intro' }, { start: 2.5, end: 59.9 + 10 }], preset: 'ultrafast' }));
    const list = product.result!.clips as any[];
    assert.deepEqual(list.map((c) => c.name), ['intro', undefined]);
    assert.ok(Math.abs(list[1].end - 60) < 0.05, 'end clamped to the input');
    await assert.rejects(clipsPipeline(ctx, clips({ ranges: [{ start: 61, end: 62 }] })), (e: DomainError) => e.code === 'output_unsupported' && /past the end/.test(e.message));
  });

  it('fast: clips start on keyframes and report their real times, gap-free', async () => {
    const ctx = await pipelineContext(runner, t.dir, counter);
    const product = await clipsPipeline(ctx, clips({ segmentSeconds: 10, mode: 'fast' }));
    const list = product.result!.clips as any[];
    // Keyframes every 1.5 s: 10 → 9, 20 → 19.5, 30 → 30, 40 → 39, 50 → 49.5.
    assert.deepEqual(list.map((c) => c.start), [0, 9, 19.5, 30, 39, 49.5]);
    for (const [i, c] of list.entries()) {
      const next = list[i + 1]?.start ?? 60;
      assert.ok(Math.abs(c.end - next) <= FRAME + 0.001, `clip ${i + 1} ends at ${c.end}, next starts at ${next}`);
      await local(ctx, product.files[i].key, async (path) => {
        const lumas = await frameLumas(path);
        assert.equal(counterOf(lumas[0]), Math.round(c.start * 30) % 50, 'first frame is the keyframe at the reported start');
        // The first video packet is a keyframe (audio priming may shift it a few ms past 0).
        assert.ok((await keyframeTimes(path))[0] < FRAME, 'starts with a keyframe');
        assert.ok(Math.abs((await videoDuration(path)) - (next - c.start)) <= FRAME, 'video length matches the reported range');
      });
    }
    // A single fast range goes through its own copy run: 10–11.9 s snaps to the keyframes 9 and 10.5.
    const range = await clipsPipeline({ ...ctx, outputIndex: 1 }, clips({ ranges: [{ start: 10, end: 11.9 }], mode: 'fast' }));
    const [only] = range.result!.clips as any[];
    assert.equal(only.start, 9);
    assert.ok(Math.abs(only.end - 10.5) <= FRAME, `ends at ${only.end}`);
  });

  it('9:16 crop of a 1080p 16:9 source is 608×1080 with picture up to both edges; height 1920 upscales', async () => {
    const hd = await clipSource('hd1080-2s.mp4');
    const ctx = await pipelineContext(runner, t.dir, hd);
    const product = await clipsPipeline(ctx, clips({ aspect: '9:16', preset: 'ultrafast' }));
    assert.equal(product.result?.width, 608);
    await local(ctx, product.files[0].key, async (path) => {
      const v = (await ffprobeJson(path)).streams[0];
      assert.deepEqual([v.width, v.height], [608, 1080]);
      assert.ok((await bandLuma(path, 0, 8)) > 40, 'no black bar on the left');
      assert.ok((await bandLuma(path, 600, 8)) > 40, 'no black bar on the right');
    });
    const tall = await clipsPipeline({ ...ctx, outputIndex: 1 }, clips({ aspect: '9:16', height: 1920, end: 0.5, preset: 'ultrafast' }));
    await local(ctx, tall.files[0].key, async (path) => {
      const v = (await ffprobeJson(path)).streams[0];
      assert.deepEqual([v.width, v.height], [1080, 1920]);
    });
  });

  it('pad fits the whole picture: black background shows bars, blur does not; 1:1 with maxHeight', async () => {
    const hd = await clipSource('hd1080-2s.mp4');
    // One output index each: the same job and index would write to the same keys.
    const ctx = await pipelineContext(runner, t.dir, hd);
    const black = await clipsPipeline({ ...ctx, outputIndex: 0 }, clips({ aspect: '9:16', fit: 'pad', background: 'black', maxHeight: 640, end: 0.5, preset: 'ultrafast' }));
    const blur = await clipsPipeline({ ...ctx, outputIndex: 1 }, clips({ aspect: '9:16', fit: 'pad', maxHeight: 640, end: 0.5, preset: 'ultrafast' }));
    const square = await clipsPipeline({ ...ctx, outputIndex: 2 }, clips({ aspect: '1:1', maxHeight: 360, end: 0.5, preset: 'ultrafast' }));
    assert.deepEqual([black.result?.width, black.result?.height], [360, 640]);
    const topBand = async (key: string) => local(ctx, key, async (path) => {
      const { execFile } = await import('node:child_process');
      const out = await new Promise<string>((res, rej) =>
        execFile('ffmpeg', ['-v', 'info', '-i', path, '-frames:v', '1', '-vf', 'crop=iw:40:0:0,signalstats,metadata=print:key=lavfi.signalstats.YAVG', '-f', 'null', '-'], (e, _o, err) => (e ? rej(e) : res(err))),
      );
      return Number(/YAVG=([\d.]+)/.exec(out)![1]);
    });
    assert.ok((await topBand(black.files[0].key)) < 20, 'black padding above the picture');
    assert.ok((await topBand(blur.files[0].key)) > 40, 'blurred picture above the picture');
    await local(ctx, square.files[0].key, async (path) => {
      const v = (await ffprobeJson(path)).streams[0];
      assert.deepEqual([v.width, v.height], [360, 360]);
    });
  });

  it('an audio-only or image input is refused with output_unsupported', async () => {
    for (const name of ['tone5.m4a', 'still.png'] as const) {
      const ctx = await pipelineContext(runner, t.dir, await media(name));
      await assert.rejects(clipsPipeline(ctx, clips({})), (e: DomainError) => e.code === 'output_unsupported' && /need a video input/.test(e.message));
    }
  });
});
