import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { DomainError } from '../../src/domain/errors.js';
import { gifOutputSchema, imageOutputSchema, webpOutputSchema } from '../../src/domain/job-spec.js';
import { gifPipeline, webpPipeline } from '../../src/pipelines/animated.pipeline.js';
import { imagePipeline } from '../../src/pipelines/image.pipeline.js';
import { clipsPipeline } from '../../src/pipelines/clips.pipeline.js';
import { clipsOutputSchema } from '../../src/domain/job-spec.js';
import { ffprobeJson, media } from '../helpers/media.js';
import { pipelineContext } from '../helpers/pipeline.js';
import { tempDir } from '../helpers/temp.js';

describe('animated previews and image variants (system ffmpeg)', () => {
  let runner: FfmpegMediaRunner;
  let t: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    runner = await FfmpegMediaRunner.create({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' });
    t = await tempDir();
  });
  after(async () => t.cleanup());

  it('gif and webp previews: the asked frame count and width', async () => {
    const clip = await media('clip20.mp4');
    const ctx = await pipelineContext(runner, t.dir, clip);
    const gif = await gifPipeline(ctx, gifOutputSchema.parse({ type: 'gif', start: 5, duration: 2, width: 160, fps: 10 }));
    assert.deepEqual([gif.result?.width, gif.result?.height, gif.result?.frames], [160, 120, 20]);
    assert.equal(gif.files[0].contentType, 'image/gif');
    await ctx.store.withLocalFile(gif.files[0].key, async (path) => {
      const v = (await ffprobeJson(path)).streams[0];
      assert.deepEqual([v.codec_name, v.width], ['gif', 160]);
    });
    const webp = await webpPipeline({ ...ctx, outputIndex: 1 }, webpOutputSchema.parse({ type: 'webp', duration: 1, width: 200, fps: 5 }));
    assert.deepEqual([webp.result?.width, webp.result?.height, webp.result?.frames], [200, 150, 5]);
    assert.equal(webp.files[0].contentType, 'image/webp');
  });

  it('image variants of a PNG in every format; the probe decides, not the file name', async () => {
    // A PNG under a video's name: the probe's kind picks the strategy.
    const png = join(t.dir, 'looks-like-a-video.mp4');
    await copyFile(await media('still.png'), png); // 200×100
    for (const [i, format] of (['jpg', 'png', 'webp', 'avif'] as const).entries()) {
      const ctx = await pipelineContext(runner, t.dir, png, { outputIndex: i });
      const product = await imagePipeline(ctx, imageOutputSchema.parse({ type: 'image', width: 100, format }));
      assert.equal(product.files[0].name, `image.${format}`);
      assert.deepEqual([product.result?.width, product.result?.height], [100, 50]);
      await ctx.store.withLocalFile(product.files[0].key, async (path) => {
        const v = (await ffprobeJson(path)).streams[0];
        assert.equal(v.codec_name, { jpg: 'mjpeg', png: 'png', webp: 'webp', avif: 'av1' }[format]);
        assert.deepEqual([v.width, v.height], [100, 50]);
      });
    }
  });

  it('video-only outputs on an image, and image variants of a video, are output_unsupported', async () => {
    const ctx = await pipelineContext(runner, t.dir, await media('still.png'));
    assert.equal(ctx.meta.kind, 'image');
    await assert.rejects(gifPipeline(ctx, gifOutputSchema.parse({ type: 'gif' })), (e: DomainError) => e.code === 'output_unsupported' && /an image/.test(e.message));
    await assert.rejects(clipsPipeline(ctx, clipsOutputSchema.parse({ type: 'clips' })), (e: DomainError) => e.code === 'output_unsupported');
    const video = await pipelineContext(runner, t.dir, await media('clip20.mp4'));
    await assert.rejects(imagePipeline(video, imageOutputSchema.parse({ type: 'image' })), (e: DomainError) => e.code === 'output_unsupported' && /use thumbnail or frames/.test(e.message));
  });
});
