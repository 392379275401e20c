import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { mp4OutputSchema } from '../../src/domain/job-spec.js';
import type { MediaRunner } from '../../src/ports/media-runner.port.js';
import { mp4Pipeline } from '../../src/pipelines/rendition.pipeline.js';
import { hlsMedia, type HlsRecipe } from '../helpers/hls-media.js';
import { pipelineContext } from '../helpers/pipeline.js';
import { assertAudioContinuous, assertVideoContinuous, decodedFrames, streamDuration, streamPackets, streamStart } from '../helpers/seams.js';
import { tempDir } from '../helpers/temp.js';

/** Chunked MP4 renditions (docs/hls.md#chunking) against the one-run rendition of the same source. */

function recording(runner: MediaRunner, calls: string[][]): MediaRunner {
  return { caps: runner.caps, probe: (a, o) => runner.probe(a, o), run: (a, o) => (calls.push(a), runner.run(a, o)) };
}

/** Top-level boxes of an MP4 file, in order. */
async function topLevelBoxes(path: string): Promise<string[]> {
  const buf = await readFile(path);
  const out: string[] = [];
  for (let at = 0; at + 8 <= buf.length;) {
    let size = buf.readUInt32BE(at);
    if (size === 1) size = Number(buf.readBigUInt64BE(at + 8));
    out.push(buf.toString('latin1', at + 4, at + 8));
    if (size < 8) break;
    at += size;
  }
  return out;
}

async function produce(root: string, runner: MediaRunner, recipe: HlsRecipe, spec: object) {
  const calls: string[][] = [];
  const ctx = await pipelineContext(recording(runner, calls) as FfmpegMediaRunner, root, await hlsMedia(recipe));
  const product = await mp4Pipeline(ctx, mp4OutputSchema.parse({ type: 'mp4', ...spec }));
  const path = `${root}/${ctx.jobId}.mp4`;
  const bytes: Buffer[] = [];
  for await (const c of (await ctx.store.get(product.files[0].key)) as AsyncIterable<Buffer>) bytes.push(c);
  await writeFile(path, Buffer.concat(bytes));
  return { product, result: product.result as any, path, calls, chunkRuns: calls.filter((a) => a.includes('-noaccurate_seek')).length, stitches: calls.filter((a) => a.includes('concat')).length };
}

describe('chunked MP4: seamless against the one-run rendition (system ffmpeg)', () => {
  let runner: FfmpegMediaRunner;
  let t: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    runner = await FfmpegMediaRunner.create({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' });
    t = await tempDir('mf-mp4-chunked-');
  });
  after(async () => t.cleanup());

  const cases: Array<{ title: string; recipe: HlsRecipe; spec: object; fps: number; seconds: number; chunks: number }> = [
    { title: '14 s at 30 fps, re-encoded at crf 26, 4 s chunks', recipe: 'chunk-14s.mp4', spec: { crf: 26 }, fps: 30, seconds: 4, chunks: 4 },
    { title: '40 s at 29.97 fps scaled to 144 lines, 44.1 kHz audio, 8 s chunks', recipe: 'chunk-ntsc.mp4', spec: { height: 144 }, fps: 30000 / 1001, seconds: 8, chunks: 5 },
  ];
  for (const c of cases) {
    it(c.title, async () => {
      const chunked = await produce(t.dir, runner, c.recipe, { ...c.spec, chunking: { seconds: c.seconds } });
      const whole = await produce(t.dir, runner, c.recipe, { ...c.spec, chunking: 'off' });
      assert.equal(chunked.chunkRuns, c.chunks);
      assert.equal(chunked.stitches, 1);
      assert.equal(whole.chunkRuns + whole.stitches, 0);

      assert.deepEqual(chunked.product.files.map((f) => f.name), ['video.mp4']);
      assert.deepEqual(Object.keys(chunked.result).sort(), Object.keys(whole.result).sort());
      for (const k of ['copied', 'width', 'height', 'videoCodec', 'audioCodec', 'deinterlace']) assert.deepEqual(chunked.result[k], whole.result[k], k);
      // The streams are as long as the one run's to the tick; the movie header's millisecond duration may round the other way.
      assert.ok(Math.abs(chunked.result.duration - whole.result.duration) <= 0.001, `duration ${chunked.result.duration} / ${whole.result.duration}`);
      assert.equal(await streamDuration(chunked.path, 'v'), await streamDuration(whole.path, 'v'), 'the same video duration as the one-run rendition');
      assert.equal(await streamStart(chunked.path, 'v'), await streamStart(whole.path, 'v'), 'the video starts where the one run\'s does');

      const source = await hlsMedia(c.recipe);
      assert.equal(await decodedFrames(chunked.path, 'v'), await decodedFrames(source, 'v'), 'frames');
      assert.ok(Math.abs((await streamDuration(chunked.path, 'v')) - (await streamDuration(source, 'v'))) <= 1 / c.fps + 1e-6, 'video duration');
      const { video, audio } = await streamPackets(chunked.path);
      assertVideoContinuous(video!, c.fps, c.recipe);
      // The rendition keeps the source's audio rate (44.1 kHz stays 44.1 kHz).
      const rate = c.recipe === 'chunk-ntsc.mp4' ? 44_100 : 48_000;
      assertAudioContinuous(audio!, c.recipe, 1024, rate);
      const audioSeconds = await streamDuration(chunked.path, 'a');
      assert.ok(Math.abs(audioSeconds - (await streamDuration(source, 'a'))) <= 1024 / rate, `audio ${audioSeconds} s`);
      assert.equal(audioSeconds, await streamDuration(whole.path, 'a'), 'the same audio as the one-run rendition');

      const boxes = await topLevelBoxes(chunked.path);
      assert.ok(boxes.indexOf('moov') >= 0 && boxes.indexOf('moov') < boxes.indexOf('mdat'), `faststart: ${boxes.join(' ')}`);
    });
  }

  it('a variable-frame-rate source, a video that starts after the file and a remux stay one run', async () => {
    // Matroska, video 21 ms after the audio: one run repeats the first frame to start on 0.
    const late = await produce(t.dir, runner, 'chunk-late.mkv', { crf: 30, chunking: { seconds: 2 } });
    assert.equal(late.chunkRuns + late.stitches, 0);
    const vfr = await produce(t.dir, runner, 'hls-vfr.mkv', { crf: 30, chunking: { seconds: 2 } });
    assert.equal(vfr.chunkRuns + vfr.stitches, 0);
    const remux = await produce(t.dir, runner, 'chunk-14s.mp4', { chunking: { seconds: 4 } });
    assert.equal(remux.result.copied, true);
    assert.equal(remux.chunkRuns + remux.stitches, 0);
  });
});
