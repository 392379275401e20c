import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { clipsOutputSchema, framesOutputSchema, hlsOutputSchema, mp4OutputSchema, outputSpecSchema, thumbnailOutputSchema, type OutputSpec } from '../../src/domain/job-spec.js';
import { parseMediaPlaylist } from '../../src/ffmpeg/hls-master.js';
import { clipsPipeline } from '../../src/pipelines/clips.pipeline.js';
import { framesPipeline } from '../../src/pipelines/frames.pipeline.js';
import { hlsPipeline } from '../../src/pipelines/hls.pipeline.js';
import { withInterlaceScan } from '../../src/pipelines/interlace.scan.js';
import { mp4Pipeline } from '../../src/pipelines/rendition.pipeline.js';
import { thumbnailPipeline } from '../../src/pipelines/thumbnail.pipeline.js';
import { parseMaster } from '../helpers/hls-package.js';
import { combedPixels, idetOf, interlacedShare, interlaceMedia } from '../helpers/interlace-media.js';
import { ffprobeJson } from '../helpers/media.js';
import { binarySources, pipelineContext } from '../helpers/pipeline.js';
import { tempDir } from '../helpers/temp.js';
import { readZip } from '../helpers/zip.js';

const run = promisify(execFile);
type Ctx = Awaited<ReturnType<typeof pipelineContext>>;
const hls = (spec: object = {}) => hlsOutputSchema.parse({ type: 'hls', segmentSeconds: 2, ...spec });
const mp4 = (spec: object = {}) => mp4OutputSchema.parse({ type: 'mp4', preset: 'ultrafast', ...spec });
const specs = (...outputs: object[]): OutputSpec[] => outputs.map((o) => outputSpecSchema.parse(o));

async function bytes(ctx: Ctx, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of (await ctx.store.get(key)) as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** The first rung of a stored fMP4 package as one playable file: init section + every segment, in order. */
async function firstRung(ctx: Ctx, product: Awaited<ReturnType<typeof hlsPipeline>>, dir: string) {
  const byName = new Map(product.files.map((f) => [f.name, f]));
  const master = parseMaster((await bytes(ctx, byName.get('master.m3u8')!.key)).toString());
  const playlist = parseMediaPlaylist((await bytes(ctx, byName.get('v0/index.m3u8')!.key)).toString());
  const parts = [playlist.initUri!, ...playlist.segments.map((s) => s.uri)].map((n) => bytes(ctx, byName.get(`v0/${n}`)!.key));
  const path = join(dir, `rung-${Math.random().toString(36).slice(2)}.mp4`);
  await writeFile(path, Buffer.concat(await Promise.all(parts)));
  return { master, playlist, path, byName };
}

const videoStream = async (path: string) => (await ffprobeJson(path)).streams.find((s: any) => s.codec_type === 'video');

for (const source of binarySources()) {
  describe(`interlaced and variable-frame-rate sources with ${source.name}`, () => {
    let runner: FfmpegMediaRunner;
    let t: { dir: string; cleanup: () => Promise<void> };
    before(async () => {
      runner = await FfmpegMediaRunner.create(source);
      t = await tempDir('mf-interlace-');
    });
    after(async () => t.cleanup());

    it('an interlaced (tt) source: HLS rungs and poster deinterlaced, flagged progressive, never stream-copied', async () => {
      const input = await interlaceMedia('interlaced-tt.mp4');
      assert.equal((await videoStream(input)).field_order, 'tt');
      assert.ok(interlacedShare(await idetOf(input)) > 0.9, 'the source is combed');
      const ctx = await pipelineContext(runner, t.dir, input);
      const product = await hlsPipeline(ctx, hls({ storyboard: false }));
      const result = product.result as any;
      assert.deepEqual(result.deinterlace, { applied: true, method: 'bwdif', rate: 'frame', reason: "the source's field order is tt" });
      assert.equal(result.topRungCopy.copied, false);
      const rung = await firstRung(ctx, product, t.dir);
      assert.equal((await videoStream(rung.path)).field_order, 'progressive');
      const counts = await idetOf(rung.path);
      assert.ok(interlacedShare(counts) < 0.05, `idet on the rung: ${JSON.stringify(counts)}`);
      assert.equal(rung.master[0].attrs['FRAME-RATE'], '25.000');
      const posterPath = join(t.dir, `poster-${Math.random().toString(36).slice(2)}.jpg`);
      await writeFile(posterPath, await bytes(ctx, rung.byName.get('poster.jpg')!.key));
      assert.ok((await combedPixels(posterPath)) < 200, 'the poster is not combed');
    });

    it('an interlaced source as MP4: encoded through bwdif instead of remuxed; deinterlace off keeps the remux', async () => {
      const ctx = await pipelineContext(runner, t.dir, await interlaceMedia('interlaced-tt.mp4'));
      const product = await mp4Pipeline(ctx, mp4());
      assert.equal(product.result?.copied, false);
      assert.deepEqual(product.result?.deinterlace, { applied: true, method: 'bwdif', rate: 'frame', reason: "the source's field order is tt" });
      await ctx.store.withLocalFile(product.files[0].key, async (path) => {
        const v = await videoStream(path);
        assert.deepEqual([v.field_order, v.r_frame_rate], ['progressive', '25/1']);
        assert.ok(interlacedShare(await idetOf(path)) < 0.05);
      });
      const field = await mp4Pipeline({ ...ctx, outputIndex: 1 }, mp4({ deinterlaceRate: 'field' }));
      await ctx.store.withLocalFile(field.files[0].key, async (path) => {
        assert.equal((await videoStream(path)).r_frame_rate, '50/1', 'one frame per field');
        assert.ok(interlacedShare(await idetOf(path)) < 0.05);
      });
      const kept = await mp4Pipeline({ ...ctx, outputIndex: 2 }, mp4({ deinterlace: 'off' }));
      assert.deepEqual([kept.result?.copied, (kept.result?.deinterlace as any).applied], [true, false]);
    });

    it('a thumbnail, frames and an accurate clip of an interlaced source are not combed', async () => {
      const ctx = await pipelineContext(runner, t.dir, await interlaceMedia('interlaced-tt.mp4'));
      const combOf = async (spec: object, outputIndex: number) => {
        const product = await thumbnailPipeline({ ...ctx, outputIndex }, thumbnailOutputSchema.parse({ type: 'thumbnail', format: 'png', ...spec }));
        return ctx.store.withLocalFile(product.files[0].key, combedPixels);
      };
      assert.ok((await combOf({ deinterlace: 'off' }, 0)) > 1000, 'the test can see combing');
      assert.ok((await combOf({}, 1)) < 200);
      assert.ok((await combOf({ time: 1.5 }, 2)) < 200);
      const frames = await framesPipeline({ ...ctx, outputIndex: 4 }, framesOutputSchema.parse({ type: 'frames', times: [1, 2.5], format: 'png' }));
      const zip = await readZip(await bytes(ctx, frames.files[0].key));
      assert.deepEqual(JSON.parse(zip.get('manifest.json')!.toString()).frames.map((f: any) => f.time), [1, 2.52], 'the frames the request picks, at their own times');
      for (const name of ['frame-000001.png', 'frame-000002.png']) {
        const path = join(t.dir, `${Math.random().toString(36).slice(2)}-${name}`);
        await writeFile(path, zip.get(name)!);
        assert.ok((await combedPixels(path)) < 200, `${name} is not combed`);
      }
      const clip = await clipsPipeline({ ...ctx, outputIndex: 3 }, clipsOutputSchema.parse({ type: 'clips', start: 1, end: 3, preset: 'ultrafast' }));
      assert.equal((clip.result as any).deinterlace.applied, true);
      await ctx.store.withLocalFile(clip.files[0].key, async (path) => assert.ok(interlacedShare(await idetOf(path)) < 0.05));
    });

    it('unknown field order: one idet scan decides, so interlaced content is deinterlaced and progressive is left alone', async () => {
      const scan = async (name: 'interlaced-unflagged.avi' | 'progressive-unflagged.avi', outputs: OutputSpec[]) => {
        const ctx = await pipelineContext(runner, t.dir, await interlaceMedia(name));
        assert.equal(ctx.meta.fieldOrder, 'unknown');
        return { ctx, meta: await withInterlaceScan({ runner, signal: ctx.signal, stallTimeoutMs: 30_000 }, ctx.inputPath, ctx.meta, outputs) };
      };
      const interlaced = await scan('interlaced-unflagged.avi', specs({ type: 'mp4' }));
      assert.deepEqual([interlaced.meta.interlaceScan?.interlaced, interlaced.meta.interlaceScan?.parity], [true, 'bff']);
      const product = await mp4Pipeline({ ...interlaced.ctx, meta: interlaced.meta }, mp4());
      assert.equal((product.result?.deinterlace as any).reason.startsWith('idet found interlacing'), true);
      await interlaced.ctx.store.withLocalFile(product.files[0].key, async (path) => assert.ok(interlacedShare(await idetOf(path)) < 0.05));

      const progressive = await scan('progressive-unflagged.avi', specs({ type: 'thumbnail' }));
      assert.equal(progressive.meta.interlaceScan?.interlaced, false);
      // Nothing asks for auto: no scan at all.
      const untouched = await scan('interlaced-unflagged.avi', specs({ type: 'mp4', deinterlace: 'off' }));
      assert.equal(untouched.meta.interlaceScan, undefined);
    });

    it('variable frame rate (30 fps then 10 fps): HLS at 30 fps, every frame of the fast part kept, as long as the source', async () => {
      const input = await interlaceMedia('vfr-30-10.mp4');
      const ctx = await pipelineContext(runner, t.dir, input);
      assert.deepEqual([ctx.meta.fps, ctx.meta.peakFps, ctx.meta.duration], [20.339, 30, 6]);
      const product = await hlsPipeline(ctx, hls({ storyboard: false, poster: false }));
      assert.equal((product.result as any).renditions[0].frameRate, 30);
      const rung = await firstRung(ctx, product, t.dir);
      assert.equal(rung.master[0].attrs['FRAME-RATE'], '30.000');
      const total = rung.playlist.segments.reduce((sum, s) => sum + s.duration, 0);
      assert.ok(Math.abs(total - 6) <= 1 / 30 + 1e-6, `the package lasts ${total} s, the source 6 s`);
      assert.equal((await videoStream(rung.path)).r_frame_rate, '30/1');
      // 30 fps over 6 s: the 30 fps part passes one to one, each frame of the 10 fps part is shown three times.
      const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', rung.path]);
      assert.ok(Math.abs(Number(stdout.trim()) - 180) <= 1, `${stdout.trim()} frames in the rung`);
    });
  });
}
