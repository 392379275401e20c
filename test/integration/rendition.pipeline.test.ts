import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { DomainError } from '../../src/domain/errors.js';
import { audioOutputSchema, mp4OutputSchema } from '../../src/domain/job-spec.js';
import { audioPipeline, mp4Pipeline } from '../../src/pipelines/rendition.pipeline.js';
import { clipSource } from '../helpers/clip-sources.js';
import { ffprobeJson, media } from '../helpers/media.js';
import { pipelineContext } from '../helpers/pipeline.js';
import { tempDir } from '../helpers/temp.js';

const mp4 = (spec: object = {}) => mp4OutputSchema.parse({ type: 'mp4', ...spec });
const audio = (spec: object = {}) => audioOutputSchema.parse({ type: 'audio', ...spec });

describe('mp4 and audio pipelines (system ffmpeg)', () => {
  let runner: FfmpegMediaRunner;
  let t: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    runner = await FfmpegMediaRunner.create({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' });
    t = await tempDir();
  });
  after(async () => t.cleanup());

  it('an H.264/AAC source is remuxed with faststart; an MPEG-4/MP3 one is encoded to H.264/AAC at the asked height', async () => {
    const plain = await pipelineContext(runner, t.dir, await clipSource('plain4.mp4'));
    const copied = await mp4Pipeline(plain, mp4());
    assert.equal(copied.result?.copied, true);
    assert.deepEqual([copied.result?.videoCodec, copied.result?.audioCodec, copied.result?.width], ['h264', 'aac', 320]);

    const other = await pipelineContext(runner, t.dir, await clipSource('mpeg4-4s.mkv'));
    const encoded = await mp4Pipeline(other, mp4({ height: 180, preset: 'ultrafast' }));
    assert.equal(encoded.result?.copied, false);
    await other.store.withLocalFile(encoded.files[0].key, async (path) => {
      const probe = await ffprobeJson(path);
      const v = probe.streams.find((s: any) => s.codec_type === 'video');
      const a = probe.streams.find((s: any) => s.codec_type === 'audio');
      assert.deepEqual([v.codec_name, v.width, v.height, v.pix_fmt, a.codec_name], ['h264', 320, 180, 'yuv420p', 'aac']);
      assert.ok(Math.abs(Number(probe.format.duration) - 4) < 0.1);
    });
    assert.equal(encoded.files[0].contentType, 'video/mp4');
  });

  it('audio as mp3, m4a and wav; a silent video is input_has_no_audio; an image is output_unsupported', async () => {
    const src = await clipSource('plain4.mp4');
    for (const [i, format] of (['mp3', 'm4a', 'wav'] as const).entries()) {
      const ctx = await pipelineContext(runner, t.dir, src, { outputIndex: i });
      const product = await audioPipeline(ctx, audio({ format }));
      assert.equal(product.files[0].name, `audio.${format}`);
      assert.equal(product.result?.codec, { mp3: 'mp3', m4a: 'aac', wav: 'pcm_s16le' }[format]);
      await ctx.store.withLocalFile(product.files[0].key, async (path) => {
        const probe = await ffprobeJson(path);
        assert.equal(probe.streams.length, 1, 'audio only');
        assert.ok(Math.abs(Number(probe.format.duration) - 4) < 0.1);
      });
    }
    const silent = await pipelineContext(runner, t.dir, await clipSource('silent5.mp4'));
    await assert.rejects(audioPipeline(silent, audio({ format: 'mp3' })), (e: DomainError) => e.code === 'input_has_no_audio');
    const still = await pipelineContext(runner, t.dir, await media('still.png'));
    await assert.rejects(audioPipeline(still, audio()), (e: DomainError) => e.code === 'output_unsupported');
    await assert.rejects(mp4Pipeline(still, mp4()), (e: DomainError) => e.code === 'output_unsupported' && /an image/.test(e.message));
  });
});
