import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import type { FsBlobStore } from '../../src/adapters/fs/fs.blob-store.js';
import { hlsOutputSchema } from '../../src/domain/job-spec.js';
import type { MediaRunner } from '../../src/ports/media-runner.port.js';
import { hlsPipeline } from '../../src/pipelines/hls.pipeline.js';
import type { PipelineContext } from '../../src/pipelines/pipeline.types.js';
import { hlsMedia, type HlsRecipe } from '../helpers/hls-media.js';
import { interlaceMedia, type InterlaceRecipe } from '../helpers/interlace-media.js';
import { pipelineContext } from '../helpers/pipeline.js';
import { assertAudioContinuous, assertVideoContinuous, decodedFrames, keyframeTimes, packetSpan, streamDuration, streamPackets } from '../helpers/seams.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Chunked HLS (docs/hls.md#chunking) against the one-run ladder of the same source: short
 * generated sources in 4 s chunks of 2 s segments, every join checked with ffprobe.
 */

const AAC_FRAME = 1024 / 48_000;

async function read(store: FsBlobStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of (await store.get(key)) as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** A runner that records the argv of every run. */
function recording(runner: MediaRunner, calls: string[][]): MediaRunner {
  return { caps: runner.caps, probe: (a, o) => runner.probe(a, o), run: (a, o) => (calls.push(a), runner.run(a, o)) };
}

interface Rung {
  name: string;
  playlist: string;
  segments: Array<{ uri: string; duration: number }>;
  /** init + segments, joined: what a player's buffer holds. */
  joined: string;
}

async function produce(root: string, runner: MediaRunner, recipe: Recipe, spec: object, encoding?: PipelineContext['encoding']) {
  const calls: string[][] = [];
  const ctx = await pipelineContext(recording(runner, calls) as FfmpegMediaRunner, root, await sourceOf(recipe));
  if (encoding) ctx.encoding = encoding;
  const product = await hlsPipeline(ctx, hlsOutputSchema.parse({ type: 'hls', segmentSeconds: 2, poster: false, ...spec }));
  const byName = new Map(product.files.map((f) => [f.name, f]));
  const rungs: Rung[] = [];
  for (const r of (product.result as any).renditions) {
    const dir = r.playlist.split('/')[0];
    const playlist = (await read(ctx.store, byName.get(r.playlist)!.key)).toString();
    const segments = [...playlist.matchAll(/#EXTINF:([\d.]+),\n(\S+)/g)].map((m) => ({ duration: Number(m[1]), uri: m[2] }));
    const init = /URI="([^"]+)"/.exec(playlist)?.[1];
    const parts = [...(init ? [init] : []), ...segments.map((s) => s.uri)];
    const bytes = await Promise.all(parts.map((p) => read(ctx.store, byName.get(`${dir}/${p}`)!.key)));
    const joined = join(root, `${ctx.jobId}-${dir}.${init ? 'mp4' : 'ts'}`);
    await writeFile(joined, Buffer.concat(bytes));
    rungs.push({ name: r.name, playlist, segments, joined });
  }
  return { ctx, product, result: product.result as any, rungs, calls };
}

type Recipe = HlsRecipe | InterlaceRecipe;
const sourceOf = (r: Recipe) => (r.startsWith('interlaced') || r.startsWith('vfr-') ? interlaceMedia(r as InterlaceRecipe) : hlsMedia(r as HlsRecipe));

const concatRuns = (calls: string[][]) => calls.filter((a) => a.includes('concat'));
const chunkRuns = (calls: string[][]) => calls.filter((a) => a.includes('-noaccurate_seek'));

describe('chunked HLS: seamless against the one-run ladder (system ffmpeg)', () => {
  let runner: FfmpegMediaRunner;
  let t: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    runner = await FfmpegMediaRunner.create({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' });
    t = await tempDir('mf-hls-chunked-');
  });
  after(async () => t.cleanup());

  const cases: Array<{ title: string; recipe: Recipe; spec: object; fps: number; seconds: number; chunks: number; vfr?: boolean }> = [
    { title: '14 s at 30 fps, fMP4, two rungs, 4 s chunks', recipe: 'chunk-14s.mp4', spec: { renditions: [180, 144] }, fps: 30, seconds: 4, chunks: 4 },
    // The third chunk (24 s…) holds the segment that starts on frame 1019 (34 s), not 1020: its keyframes must come from the whole timeline.
    // Variable rate (30 fps with frames dropped): the ladder is constant 30 fps, so it has more frames than the source, as many as the one run's.
    { title: '6 s variable frame rate (Matroska), 2 s chunks', recipe: 'hls-vfr.mkv', spec: {}, fps: 30, seconds: 2, chunks: 3, vfr: true },
    // 3 s at 30 fps then 3 s at 10 fps: the slow part's frames are repeated, in every chunk as in the one run.
    { title: '6 s variable frame rate (30 then 10 fps, MP4), 2 s chunks', recipe: 'vfr-30-10.mp4', spec: {}, fps: 30, seconds: 2, chunks: 3, vfr: true },
    // 25i, deinterlaced (bwdif) before the ladder: the seek margin gives each chunk's first frame its previous field.
    { title: '4 s interlaced 25i, deinterlaced, 1 s segments in 2 s chunks', recipe: 'interlaced-tt.mp4', spec: { segmentSeconds: 1 }, fps: 25, seconds: 2, chunks: 2 },
    { title: '40 s at 29.97 fps, MPEG-TS, 44.1 kHz audio, 12 s chunks', recipe: 'chunk-ntsc.mp4', spec: { renditions: [180, 144], segmentType: 'ts' }, fps: 30000 / 1001, seconds: 12, chunks: 3 },
  ];
  for (const c of cases) {
    it(c.title, async () => {
      const chunked = await produce(t.dir, runner, c.recipe, { ...c.spec, chunking: { seconds: c.seconds } });
      const whole = await produce(t.dir, runner, c.recipe, { ...c.spec, chunking: 'off' });
      assert.equal(chunkRuns(chunked.calls).length, c.chunks, 'one ffmpeg run per chunk');
      assert.equal(concatRuns(chunked.calls).length, 1, 'one stitch');
      assert.equal(chunkRuns(whole.calls).length + concatRuns(whole.calls).length, 0, '"off" is the one-run ladder');

      // Same package: file names, result fields, rungs, sizes, codecs, segment layout.
      assert.deepEqual(chunked.product.files.map((f) => f.name), whole.product.files.map((f) => f.name));
      assert.deepEqual(Object.keys(chunked.result).sort(), Object.keys(whole.result).sort());
      const shape = (r: any) => r.renditions.map((x: any) => [x.name, x.playlist, x.width, x.height, x.frameRate, x.codecs, x.copied]);
      assert.deepEqual(shape(chunked.result), shape(whole.result));
      assert.equal(chunked.result.duration, whole.result.duration);
      assert.deepEqual(chunked.rungs.map((r) => r.segments), whole.rungs.map((r) => r.segments), 'same segments, names and durations');

      const source = await sourceOf(c.recipe);
      const segment = (c.spec as { segmentSeconds?: number }).segmentSeconds ?? 2;
      const sourceFrames = await decodedFrames(source, 'v');
      const sourceAudio = await streamDuration(source, 'a');
      for (const [i, rung] of chunked.rungs.entries()) {
        const what = `${c.recipe} ${rung.name}`;
        assert.match(rung.playlist, /#EXT-X-MEDIA-SEQUENCE:0\n/);
        assert.doesNotMatch(rung.playlist, /DISCONTINUITY/);
        rung.segments.forEach((s, k) => {
          assert.equal(s.uri, `seg_${String(k).padStart(5, '0')}.${c.spec && (c.spec as any).segmentType === 'ts' ? 'ts' : 'm4s'}`);
          if (k < rung.segments.length - 1) assert.ok(Math.abs(s.duration - segment) <= 1 / c.fps + 1e-6, `${what} segment ${k}: ${s.duration} s`);
        });
        assert.equal(await decodedFrames(rung.joined, 'v'), c.vfr ? await decodedFrames(whole.rungs[i].joined, 'v') : sourceFrames, `${what}: frames`);
        const { video, audio } = await streamPackets(rung.joined);
        assertVideoContinuous(video!, c.fps, what);
        // A keyframe starts every segment, the chunks' joins included (every 2 s, to the frame).
        const keys = keyframeTimes(video!);
        const starts = rung.segments.map((_, k) => Math.ceil(k * segment * c.fps - 1e-9) / c.fps);
        for (const s of starts) assert.ok(keys.some((k) => Math.abs(k - s) < 0.5 / c.fps), `${what}: a keyframe at ${s} s (${keys.join(', ')})`);
        // Matroska's millisecond timestamps jitter the source's audio (and so the one run's) by a few ticks.
        if (!c.vfr) assertAudioContinuous(audio!, what);
        const wholeAudio = (await streamPackets(whole.rungs[i].joined)).audio!;
        // The one run's audio packets: to the tick, or for Matroska's jittered input within 1 ms (the fragments round it at other places).
        assert.equal(audio!.packets.length, wholeAudio.packets.length, `${what}: audio packets`);
        const drift = Math.max(...audio!.packets.map((p, k) => Math.abs(p.pts - wholeAudio.packets[k].pts)));
        assert.ok(c.vfr ? drift <= audio!.timescale / 1000 : drift === 0, `${what}: audio packets up to ${drift} ticks off the one run's`);
        const audioSeconds = packetSpan(audio!, AAC_FRAME);
        // The track carries the encoder's priming frame (no edit list in HLS segments) in both runs.
        assert.ok(Math.abs(audioSeconds - AAC_FRAME - sourceAudio) <= AAC_FRAME, `${what}: audio ${audioSeconds} s, source ${sourceAudio} s`);
        assert.equal(await decodedFrames(rung.joined, 'a'), await decodedFrames(whole.rungs[i].joined, 'a'), `${what}: the same audio frames as the one-run ladder`);
      }
    });
  }

  it('a stream-copied top rung stays a copy; the rungs below it are chunked', async () => {
    const chunked = await produce(t.dir, runner, 'hls-640x360.mp4', { chunking: { seconds: 4 } });
    assert.deepEqual(chunked.result.renditions.map((r: any) => [r.height, r.copied]), [[360, true], [240, false]]);
    assert.equal(chunkRuns(chunked.calls).length, 2);
    for (const rung of chunked.rungs) {
      assert.equal(await decodedFrames(rung.joined, 'v'), 240, rung.name);
      assertVideoContinuous((await streamPackets(rung.joined)).video!, 30, rung.name);
    }
  });

  it('"auto" and MEDIAFORGE_CHUNKING=off keep the one-run ladder (slice 1: no worker to spread chunks to)', async () => {
    const auto = await produce(t.dir, runner, 'chunk-14s.mp4', { storyboard: false });
    assert.equal(chunkRuns(auto.calls).length + concatRuns(auto.calls).length, 0);
    const off = await produce(t.dir, runner, 'chunk-14s.mp4', { storyboard: false, chunking: { seconds: 4 } }, { preset: 'veryfast', threads: 0, maxFps: 60, chunking: { mode: 'off', minSeconds: 120 } });
    assert.equal(chunkRuns(off.calls).length + concatRuns(off.calls).length, 0);
  });
});
