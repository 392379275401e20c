import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { AbortedError, DomainError } from '../../src/domain/errors.js';
import { hlsOutputSchema } from '../../src/domain/job-spec.js';
import { parseMediaPlaylist } from '../../src/ffmpeg/hls-master.js';
import { hlsPipeline } from '../../src/pipelines/hls.pipeline.js';
import type { PipelineContext } from '../../src/pipelines/pipeline.types.js';
import type { FsBlobStore } from '../../src/adapters/fs/fs.blob-store.js';
import { hlsMedia, type HlsRecipe } from '../helpers/hls-media.js';
import { imageSize, parseMaster, parseVtt, probeSegment } from '../helpers/hls-package.js';
import { media } from '../helpers/media.js';
import { binarySources, pipelineContext } from '../helpers/pipeline.js';
import { tempDir } from '../helpers/temp.js';

const hls = (spec: object = {}) => hlsOutputSchema.parse({ type: 'hls', ...spec });

async function read(store: FsBlobStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of (await store.get(key)) as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

interface Expect {
  sizes: string[];
  audio: boolean;
  copied?: boolean;
}

/** Checks a finished package the way a player would read it. */
async function checkPackage(ctx: PipelineContext & { store: FsBlobStore }, product: Awaited<ReturnType<typeof hlsPipeline>>, spec: ReturnType<typeof hls>, want: Expect, scratch: string) {
  const byName = new Map(product.files.map((f) => [f.name, f]));
  const result = product.result as any;
  assert.equal(product.files[0].name, 'master.m3u8');
  assert.equal(byName.get('master.m3u8')!.contentType, 'application/vnd.apple.mpegurl');
  const master = parseMaster((await read(ctx.store, byName.get('master.m3u8')!.key)).toString());
  const isVideo = want.sizes.length > 0;
  assert.deepEqual(master.map((v) => v.attrs.RESOLUTION ?? 'audio'), isVideo ? want.sizes : ['audio']);
  const duration = ctx.meta.duration!;
  for (const [i, variant] of master.entries()) {
    assert.match(variant.uri, /^v\d\/index\.m3u8$/, 'relative reference');
    assert.ok(Number(variant.attrs.BANDWIDTH) > 0 && Number(variant.attrs['AVERAGE-BANDWIDTH']) > 0, 'bandwidths');
    assert.ok(Number(variant.attrs['AVERAGE-BANDWIDTH']) <= Number(variant.attrs.BANDWIDTH) * 1.01, 'average ≤ peak');
    const codecs = variant.attrs.CODECS.split(',');
    assert.deepEqual(codecs.map((c) => c.split('.')[0]), [...(isVideo ? ['avc1'] : []), ...(want.audio ? ['mp4a'] : [])]);
    if (isVideo) assert.ok(Number(variant.attrs['FRAME-RATE']) > 0);
    const dir = variant.uri.split('/')[0];
    const playlist = parseMediaPlaylist((await read(ctx.store, byName.get(variant.uri)!.key)).toString());
    assert.ok(playlist.ended && playlist.playlistType === 'VOD', 'a finished VOD playlist');
    const total = playlist.segments.reduce((a, s) => a + s.duration, 0);
    assert.ok(Math.abs(total - duration) < 0.6, `segments add up to ${total}, the input lasts ${duration}`);
    playlist.segments.forEach((s, k) => {
      const last = k === playlist.segments.length - 1;
      // Audio frames (1024 samples) and a frame of video make a little slack.
      assert.ok(s.duration <= spec.segmentSeconds + 0.15 && (last || s.duration >= spec.segmentSeconds - 0.15), `${dir} segment ${k}: ${s.duration} s`);
      assert.ok(s.uri.endsWith(spec.segmentType === 'fmp4' ? '.m4s' : '.ts'));
    });
    const referenced = [...(playlist.initUri ? [playlist.initUri] : []), ...playlist.segments.map((s) => s.uri)];
    for (const name of referenced) assert.ok(await ctx.store.stat(byName.get(`${dir}/${name}`)?.key ?? `missing/${name}`), `${dir}/${name} is stored`);
    const first = await read(ctx.store, byName.get(`${dir}/${playlist.segments[0].uri}`)!.key);
    const init = playlist.initUri ? [await read(ctx.store, byName.get(`${dir}/${playlist.initUri}`)!.key)] : [];
    const probe = await probeSegment(scratch, [...init, first]);
    const v = probe.streams.find((s: any) => s.codec_type === 'video');
    const a = probe.streams.find((s: any) => s.codec_type === 'audio');
    if (isVideo) {
      assert.equal(`${v.width}x${v.height}`, want.sizes[i]);
      assert.equal(v.codec_name, 'h264');
      assert.equal(v.pix_fmt, 'yuv420p');
    } else assert.equal(v, undefined);
    assert.equal(a?.codec_name, want.audio ? 'aac' : undefined);
    if (want.audio) assert.equal(a.channels, 2);
  }
  assert.equal(result.renditions[0].copied, want.copied ?? false, JSON.stringify(result.topRungCopy));
  assert.ok(result.firstSegmentAt && result.playableAt && result.firstSegmentSeconds <= result.playableSeconds);
  if (isVideo && spec.storyboard) {
    const sb = result.storyboard;
    const cues = parseVtt((await read(ctx.store, byName.get('storyboard.vtt')!.key)).toString());
    assert.equal(cues[0].start, 0);
    cues.forEach((c, k) => k > 0 && assert.equal(c.start, cues[k - 1].end, 'contiguous cues'));
    assert.ok(Math.abs(cues.at(-1)!.end - duration) < 0.002, 'cues cover the whole duration');
    assert.match(cues[1].target, new RegExp(`^storyboard\\.jpg#xywh=${sb.tileWidth},0,${sb.tileWidth},${sb.tileHeight}$`));
    const spritePath = join(scratch, `sprite-${Math.random().toString(36).slice(2)}.jpg`);
    await writeFile(spritePath, await read(ctx.store, byName.get('storyboard.jpg')!.key));
    assert.deepEqual(await imageSize(spritePath), { width: sb.columns * sb.tileWidth, height: sb.rows * sb.tileHeight });
  }
  if (isVideo && spec.poster) assert.ok((await read(ctx.store, byName.get('poster.jpg')!.key)).subarray(0, 2).equals(Buffer.from([0xff, 0xd8])));
}

const CASES: Array<{ title: string; recipe: HlsRecipe; spec: object; want: Expect; systemOnly?: boolean }> = [
  { title: 'H.264 source with aligned keyframes: top rung stream-copied, fMP4', recipe: 'hls-640x360.mp4', spec: { segmentSeconds: 2 }, want: { sizes: ['640x360', '426x240'], audio: true, copied: true }, systemOnly: true },
  { title: 'rotated phone video: portrait rungs, MPEG-TS', recipe: 'hls-rotated.mp4', spec: { segmentSeconds: 2, segmentType: 'ts' }, want: { sizes: ['360x640', '240x426'], audio: true } },
  { title: 'odd size 479×269 without audio', recipe: 'hls-odd-479x269.mp4', spec: { segmentSeconds: 2 }, want: { sizes: ['478x268'], audio: false } },
  { title: 'variable frame rate', recipe: 'hls-vfr.mkv', spec: { segmentSeconds: 2 }, want: { sizes: ['480x270'], audio: true } },
  { title: 'non-square pixels (480×360 at SAR 4:3)', recipe: 'hls-sar.mp4', spec: { segmentSeconds: 3, poster: false }, want: { sizes: ['640x360', '426x240'], audio: false } },
  { title: 'audio only: one AAC rendition, no poster or storyboard', recipe: 'hls-tone.m4a', spec: {}, want: { sizes: [], audio: true } },
];

for (const source of binarySources()) {
  describe(`hls pipeline with ${source.name}`, () => {
    let runner: FfmpegMediaRunner;
    let t: { dir: string; cleanup: () => Promise<void> };
    before(async () => {
      runner = await FfmpegMediaRunner.create(source);
      t = await tempDir('mf-hls-');
    });
    after(async () => t.cleanup());

    for (const c of CASES.filter((c) => source.name === 'system ffmpeg' || !c.systemOnly)) {
      it(c.title, async () => {
        const progress: number[] = [];
        const ctx = await pipelineContext(runner, t.dir, await hlsMedia(c.recipe), { progress });
        const spec = hls(c.spec);
        const product = await hlsPipeline(ctx, spec);
        await checkPackage(ctx, product, spec, c.want, t.dir);
        assert.equal(progress.at(-1), 1);
      });
    }

    it('a still image is refused with output_unsupported', async () => {
      const ctx = await pipelineContext(runner, t.dir, await media('still.png'));
      await assert.rejects(hlsPipeline(ctx, hls()), (err: unknown) => err instanceof DomainError && err.code === 'output_unsupported' && /still image/.test(err.message));
    });
  });
}

describe('hls publishing while ffmpeg runs', () => {
  it('segments and a playable master reach storage before the encode ends', async () => {
    const t = await tempDir('mf-hls-live-');
    try {
      const runner = await FfmpegMediaRunner.create({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' });
      const ctx = await pipelineContext(runner, t.dir, await hlsMedia('hls-20s.mp4'));
      const puts: Array<{ key: string; at: number }> = [];
      const blobs = ctx.blobs;
      const recording = Object.create(blobs) as typeof blobs;
      recording.putFile = async (key, path) => (puts.push({ key, at: Date.now() }), blobs.putFile(key, path));
      recording.put = async (key, body, opts) => (puts.push({ key, at: Date.now() }), blobs.put(key, body, opts));
      let encodeEnded = 0;
      const timing = Object.create(runner) as FfmpegMediaRunner;
      timing.run = async (args, opts) => {
        const r = await runner.run(args, opts);
        if (args.includes('-var_stream_map')) encodeEnded = Date.now();
        return r;
      };
      // A slower preset keeps the encode going long enough to watch it on a busy machine.
      const product = await hlsPipeline({ ...ctx, blobs: recording, runner: timing, encoding: { preset: 'medium', threads: 1, maxFps: 60 } }, hls({ segmentSeconds: 1, storyboard: false, poster: false }));
      const firstSegment = puts.find((p) => p.key.endsWith('.m4s'))!;
      const firstMaster = puts.find((p) => p.key.endsWith('master.m3u8'))!;
      assert.ok(encodeEnded > 0);
      assert.ok(firstSegment.at < encodeEnded, `first segment stored ${encodeEnded - firstSegment.at} ms before the encode ended`);
      assert.ok(firstMaster.at < encodeEnded, 'the master was playable before the encode ended');
      const result = product.result as any;
      assert.ok(result.playableSeconds < result.totalSeconds);
    } finally {
      await t.cleanup();
    }
  });

  it('a cancel during the encode stops ffmpeg and the watcher at once', async () => {
    const t = await tempDir('mf-hls-cancel-');
    try {
      const runner = await FfmpegMediaRunner.create({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' });
      const controller = new AbortController();
      const ctx = await pipelineContext(runner, t.dir, await hlsMedia('hls-20s.mp4'), { signal: controller.signal });
      const blobs = ctx.blobs;
      const watching = Object.create(blobs) as typeof blobs;
      let putsAfterAbort = 0;
      watching.putFile = async (key, path) => {
        if (controller.signal.aborted) putsAfterAbort++;
        if (key.endsWith('.m4s')) controller.abort('canceled');
        return blobs.putFile(key, path);
      };
      const started = Date.now();
      await assert.rejects(
        hlsPipeline({ ...ctx, blobs: watching, encoding: { preset: 'medium', threads: 1, maxFps: 60 } }, hls({ segmentSeconds: 1 })),
        (err: unknown) => err instanceof AbortedError,
      );
      assert.ok(controller.signal.aborted, 'a segment was published before the cancel');
      assert.ok(Date.now() - started < 15_000);
      const settled = putsAfterAbort;
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(putsAfterAbort, settled, 'nothing is uploaded after the pipeline settled');
    } finally {
      await t.cleanup();
    }
  });
});
