import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import type { DomainError } from '../../src/domain/errors.js';
import { framesOutputSchema, gifOutputSchema, imageOutputSchema, mp4OutputSchema, thumbnailOutputSchema } from '../../src/domain/job-spec.js';
import { buildFrameOrientationProbeArgs, buildProbeArgs, parseFrameOrientation, parseProbe } from '../../src/ffmpeg/probe.js';
import { gifPipeline } from '../../src/pipelines/animated.pipeline.js';
import { framesPipeline } from '../../src/pipelines/frames.pipeline.js';
import { imagePipeline } from '../../src/pipelines/image.pipeline.js';
import { mp4Pipeline } from '../../src/pipelines/rendition.pipeline.js';
import { thumbnailPipeline } from '../../src/pipelines/thumbnail.pipeline.js';
import { probeInput } from '../../src/pipelines/input.probe.js';
import { quadrantJpeg, readLayout, rotatedQuadrantMp4, STORED_LAYOUT, UPRIGHT_LAYOUT, writeOrientedJpeg } from '../helpers/oriented-media.js';
import { binarySources, pipelineContext } from '../helpers/pipeline.js';
import { tempDir } from '../helpers/temp.js';
import { readZip } from '../helpers/zip.js';

const run = promisify(execFile);

/** EXIF orientation → what the probe must publish (rotate clockwise, then mirror). */
const PROBED: Record<number, { rotation: number; mirrored: boolean }> = {
  1: { rotation: 0, mirrored: false }, 2: { rotation: 0, mirrored: true },
  3: { rotation: 180, mirrored: false }, 4: { rotation: 180, mirrored: true },
  5: { rotation: 90, mirrored: true }, 6: { rotation: 90, mirrored: false },
  7: { rotation: 270, mirrored: true }, 8: { rotation: 270, mirrored: false },
};

/** A written file carries no orientation of its own (stream or EXIF): a viewer must not turn it again. */
async function assertNoOrientation(path: string): Promise<void> {
  const stream = parseProbe(JSON.parse((await run('ffprobe', buildProbeArgs(path))).stdout));
  assert.deepEqual([stream.rotation, stream.mirrored], [0, false], `${path}: the stream says it is turned`);
  const frame = parseFrameOrientation(JSON.parse((await run('ffprobe', buildFrameOrientationProbeArgs(path))).stdout));
  assert.ok(frame === null || (frame.rotation === 0 && !frame.mirrored), `${path}: the picture says it is turned`);
}

// Stored 320×240 (4:3 landscape); EXIF 5–8 make it a 240×320 portrait.
for (const source of binarySources()) {
  describe(`orientation with ${source.name}`, () => {
    let runner: FfmpegMediaRunner;
    let t: { dir: string; cleanup: () => Promise<void> };
    let base: string;
    before(async () => {
      runner = await FfmpegMediaRunner.create(source);
      t = await tempDir();
      base = await quadrantJpeg(t.dir, 320, 240);
    });
    after(async () => t.cleanup());

    it('the test picture itself reads back as stored', async () => {
      assert.deepEqual(await readLayout(base), { width: 320, height: 240, layout: STORED_LAYOUT });
    });

    for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8]) {
      it(`EXIF orientation ${orientation}: probe, image and thumbnail are upright, undistorted, and report the upright size`, async () => {
        const input = await writeOrientedJpeg(base, orientation, t.dir);
        const portrait = orientation >= 5;
        const upright = UPRIGHT_LAYOUT[orientation];

        const ctx = await pipelineContext(runner, t.dir, input);
        assert.deepEqual([ctx.meta.kind, ctx.meta.width, ctx.meta.height], ['image', 320, 240], 'the stored size');
        assert.deepEqual({ rotation: ctx.meta.rotation, mirrored: ctx.meta.mirrored }, PROBED[orientation]);

        // The 200×200 box holds the upright picture: 200×150 or 150×200, never 200×150 squeezed.
        const image = await imagePipeline(ctx, imageOutputSchema.parse({ type: 'image', width: 200, height: 200, format: 'jpg' }));
        const imageSize = portrait ? { width: 150, height: 200 } : { width: 200, height: 150 };
        assert.deepEqual({ width: image.result?.width, height: image.result?.height }, imageSize, 'image result');
        await ctx.store.withLocalFile(image.files[0].key, async (path) => {
          assert.deepEqual(await readLayout(path), { ...imageSize, layout: upright }, 'image pixels');
          await assertNoOrientation(path);
        });

        const thumb = await thumbnailPipeline({ ...ctx, outputIndex: 1 }, thumbnailOutputSchema.parse({ type: 'thumbnail', width: 120, format: 'png' }));
        const thumbSize = portrait ? { width: 120, height: 160 } : { width: 120, height: 90 };
        assert.deepEqual({ width: thumb.result?.width, height: thumb.result?.height }, thumbSize, 'thumbnail result');
        await ctx.store.withLocalFile(thumb.files[0].key, async (path) => {
          assert.deepEqual(await readLayout(path), { ...thumbSize, layout: upright }, 'thumbnail pixels');
          await assertNoOrientation(path);
        });
      });
    }

    it('a video with a 90° display matrix: thumbnail, frames, gif and mp4 are portrait and upright', async () => {
      const video = await rotatedQuadrantMp4(t.dir, 320, 240);
      const ctx = await pipelineContext(runner, t.dir, video);
      assert.deepEqual([ctx.meta.width, ctx.meta.height, ctx.meta.rotation, ctx.meta.mirrored], [320, 240, 270, false]);
      const upright = UPRIGHT_LAYOUT[8];

      const thumb = await thumbnailPipeline(ctx, thumbnailOutputSchema.parse({ type: 'thumbnail', width: 120, format: 'png' }));
      assert.deepEqual([thumb.result?.width, thumb.result?.height], [120, 160]);
      await ctx.store.withLocalFile(thumb.files[0].key, async (path) => assert.deepEqual(await readLayout(path), { width: 120, height: 160, layout: upright }));

      const frames = await framesPipeline({ ...ctx, outputIndex: 1 }, framesOutputSchema.parse({ type: 'frames', count: 2, width: 120, format: 'png' }));
      assert.deepEqual([frames.result?.frameCount, frames.result?.width, frames.result?.height], [2, 120, 160]);
      const chunks: Buffer[] = [];
      for await (const c of (await ctx.store.get(frames.files[0].key)) as AsyncIterable<Buffer>) chunks.push(c);
      const zip = await readZip(Buffer.concat(chunks));
      for (const name of ['frame-000001.png', 'frame-000002.png']) {
        const path = join(t.dir, `rotated-${name}`);
        await writeFile(path, zip.get(name)!);
        assert.deepEqual(await readLayout(path), { width: 120, height: 160, layout: upright }, name);
      }

      const gif = await gifPipeline({ ...ctx, outputIndex: 2 }, gifOutputSchema.parse({ type: 'gif', duration: 1, width: 120, fps: 5 }));
      assert.deepEqual([gif.result?.width, gif.result?.height], [120, 160]);
      await ctx.store.withLocalFile(gif.files[0].key, async (path) => assert.equal((await readLayout(path)).layout, upright));

      const mp4 = await mp4Pipeline({ ...ctx, outputIndex: 3 }, mp4OutputSchema.parse({ type: 'mp4', height: 160 }));
      assert.deepEqual([mp4.result?.width, mp4.result?.height], [120, 160]);
      await ctx.store.withLocalFile(mp4.files[0].key, async (path) => {
        assert.deepEqual(await readLayout(path), { width: 120, height: 160, layout: upright });
        await assertNoOrientation(path);
      });
    });
  });
}

describe('probeInput: the image orientation probe decodes only within the limits', () => {
  let t: { dir: string; cleanup: () => Promise<void> };
  let runner: FfmpegMediaRunner;
  before(async () => {
    t = await tempDir();
    runner = await FfmpegMediaRunner.create({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' });
  });
  after(async () => t.cleanup());

  // The real runner, recording which probes ran.
  const recording = () => {
    const calls: string[][] = [];
    return { calls, probe: (args: string[], opts: { signal: AbortSignal; timeoutMs: number }) => (calls.push(args), runner.probe(args, opts)) };
  };
  const opts = (maxPixels: number) => ({ signal: new AbortController().signal, timeoutMs: 30_000, limits: { maxDurationSeconds: 60, maxPixels } });

  it('an EXIF 6 JPEG within the limits: stream probe, then the frame probe, rotation 90', async () => {
    const jpeg = await writeOrientedJpeg(await quadrantJpeg(t.dir, 320, 240), 6, t.dir);
    const r = recording();
    const meta = await probeInput(r, jpeg, opts(320 * 240));
    assert.deepEqual([meta.width, meta.height, meta.rotation, meta.mirrored], [320, 240, 90, false]);
    assert.deepEqual(r.calls, [buildProbeArgs(jpeg), buildFrameOrientationProbeArgs(jpeg)]);
  });

  it('over the pixel limit: limit_exceeded before anything decodes it', async () => {
    const jpeg = await writeOrientedJpeg(await quadrantJpeg(t.dir, 320, 240), 6, t.dir);
    const r = recording();
    await assert.rejects(probeInput(r, jpeg, opts(320 * 240 - 1)), (e: DomainError) => e.code === 'limit_exceeded');
    assert.deepEqual(r.calls, [buildProbeArgs(jpeg)]);
  });

  it('a video needs no frame probe: its display matrix is on the stream', async () => {
    const video = await rotatedQuadrantMp4(t.dir, 320, 240);
    const r = recording();
    const meta = await probeInput(r, video, opts(320 * 240));
    assert.deepEqual([meta.kind, meta.rotation, meta.mirrored], ['video', 270, false]);
    assert.deepEqual(r.calls, [buildProbeArgs(video)]);
  });
});
