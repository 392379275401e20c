import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { DomainError } from '../../src/domain/errors.js';
import { framesOutputSchema, thumbnailOutputSchema } from '../../src/domain/job-spec.js';
import { framesPipeline } from '../../src/pipelines/frames.pipeline.js';
import { thumbnailPipeline } from '../../src/pipelines/thumbnail.pipeline.js';
import { ffprobeJson, meanLuma, media } from '../helpers/media.js';
import { binarySources, pipelineContext } from '../helpers/pipeline.js';
import { tempDir } from '../helpers/temp.js';
import { readZip } from '../helpers/zip.js';

const frames = (spec: object) => framesOutputSchema.parse({ type: 'frames', ...spec });
const thumb = (spec: object) => thumbnailOutputSchema.parse({ type: 'thumbnail', ...spec });
const FRAME = 1 / 30;

async function zipOf(ctx: { store: { get(k: string): Promise<NodeJS.ReadableStream> } }, key: string) {
  const chunks: Buffer[] = [];
  for await (const c of (await ctx.store.get(key)) as AsyncIterable<Buffer>) chunks.push(c);
  return readZip(Buffer.concat(chunks));
}

for (const source of binarySources()) {
  describe(`pipelines with ${source.name}`, () => {
    let runner: FfmpegMediaRunner;
    let t: { dir: string; cleanup: () => Promise<void> };
    let clip: string;
    before(async () => {
      runner = await FfmpegMediaRunner.create(source);
      t = await tempDir();
      clip = await media('clip20.mp4');
    });
    after(async () => t.cleanup());

    it('fps 1 on a 20 s clip: 20 frames in a ZIP, manifest times exact to the frame', async () => {
      const progress: number[] = [];
      const ctx = await pipelineContext(runner, t.dir, clip, { progress });
      const product = await framesPipeline(ctx, frames({ fps: 1 }));
      assert.equal(product.files.length, 1);
      assert.equal(product.files[0].name, 'frames.zip');
      assert.equal(product.result?.frameCount, 20);
      const zip = await zipOf(ctx, product.files[0].key);
      const manifest = JSON.parse(zip.get('manifest.json')!.toString());
      assert.equal(manifest.frames.length, 20);
      assert.equal(zip.size, 21);
      manifest.frames.forEach((f: { file: string; index: number; time: number }, i: number) => {
        assert.equal(f.index, i);
        assert.equal(f.file, `frame-${String(i + 1).padStart(6, '0')}.jpg`);
        assert.ok(Math.abs(f.time - i) < FRAME / 2, `frame ${i} at ${f.time}`);
        assert.ok(zip.get(f.file)!.subarray(0, 2).equals(Buffer.from([0xff, 0xd8])), 'a JPEG');
      });
      assert.equal(manifest.source.width, 320);
      assert.equal(progress[progress.length - 1], 1);
    });

    it('count spreads frames evenly; times picks the first frame at or after each time; width scales', async () => {
      const ctx = await pipelineContext(runner, t.dir, clip);
      const byCount = await framesPipeline(ctx, frames({ count: 4, width: 160, format: 'png' }));
      const zip = await zipOf(ctx, byCount.files[0].key);
      const m = JSON.parse(zip.get('manifest.json')!.toString());
      assert.deepEqual(m.frames.map((f: any) => Math.round(f.time * 10) / 10), [2.5, 7.5, 12.5, 17.5]);
      const pngPath = join(t.dir, 'f.png');
      await writeFile(pngPath, zip.get(m.frames[0].file)!);
      const probe = await ffprobeJson(pngPath);
      assert.equal(probe.streams[0].width, 160);
      assert.equal(probe.streams[0].height, 120);

      const ctx2 = await pipelineContext(runner, t.dir, clip, { outputIndex: 1 });
      const byTimes = await framesPipeline(ctx2, frames({ times: [10, 0.5, 3.21, 3.21] }));
      const m2 = JSON.parse((await zipOf(ctx2, byTimes.files[0].key)).get('manifest.json')!.toString());
      const got = m2.frames.map((f: any) => f.time);
      assert.equal(got.length, 3, 'duplicates collapse');
      [0.5, 3.21, 10].forEach((want, i) => assert.ok(got[i] >= want - 1e-6 && got[i] - want < FRAME + 1e-6, `wanted ${want}, got ${got[i]}`));
    });

    it('fast mode extracts keyframes only and reports their real times', async () => {
      const ctx = await pipelineContext(runner, t.dir, clip);
      const product = await framesPipeline(ctx, frames({ fps: 1, mode: 'fast' }));
      const m = JSON.parse((await zipOf(ctx, product.files[0].key)).get('manifest.json')!.toString());
      // libx264's default GOP is 250 frames: keyframes at 0, 8.33 and 16.67 s.
      const times = m.frames.map((f: any) => Math.round(f.time * 100) / 100);
      assert.deepEqual(times, [0, 8.33, 16.67]);
    });

    it('refuses frame requests beyond the limits before running ffmpeg', async () => {
      const ctx = await pipelineContext(runner, t.dir, clip, { maxFramesPerJob: 10 });
      await assert.rejects(framesPipeline(ctx, frames({ fps: 1 })), (e: unknown) => e instanceof DomainError && e.code === 'limit_exceeded');
      await assert.rejects(framesPipeline(ctx, frames({ times: [25] })), (e: unknown) => e instanceof DomainError && e.code === 'output_unsupported');
    });

    it('frames on an image or audio-only input fail with output_unsupported', async () => {
      for (const name of ['still.png', 'tone5.m4a'] as const) {
        const ctx = await pipelineContext(runner, t.dir, await media(name));
        await assert.rejects(framesPipeline(ctx, frames({ fps: 1 })), (e: unknown) => e instanceof DomainError && e.code === 'output_unsupported');
      }
    });

    it('thumbnail skips a black intro and picks a representative frame', async () => {
      const ctx = await pipelineContext(runner, t.dir, await media('black-intro.mp4'));
      const product = await thumbnailPipeline(ctx, thumb({}));
      assert.equal(product.files[0].contentType, 'image/jpeg');
      const path = join(t.dir, 'thumb.jpg');
      const chunks: Buffer[] = [];
      for await (const c of (await ctx.store.get(product.files[0].key)) as AsyncIterable<Buffer>) chunks.push(c);
      await writeFile(path, Buffer.concat(chunks));
      const luma = await meanLuma(path);
      assert.ok(luma > 40, `mean luma ${luma} looks black`);
      assert.ok((product.result?.time as number) >= 3, `picked t=${product.result?.time} inside the black intro`);
    });

    it('thumbnail at a given time, scaled, and on an image input', async () => {
      const ctx = await pipelineContext(runner, t.dir, clip);
      const atTime = await thumbnailPipeline(ctx, thumb({ time: 5, width: 100, format: 'png' }));
      assert.equal(atTime.files[0].name, 'thumbnail.png');
      assert.equal(atTime.result?.width, 100);
      assert.equal(atTime.result?.height, 76);
      assert.ok(Math.abs((atTime.result?.time as number) - 5) < 0.1);
      const img = await pipelineContext(runner, t.dir, await media('still.png'));
      const fromImage = await thumbnailPipeline(img, thumb({ width: 50 }));
      assert.equal(fromImage.result?.width, 50);
    });
  });
}
