import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hlsCoverage } from '../domain/coverage.js';
import { DomainError } from '../domain/errors.js';
import type { HlsOutputSpec } from '../domain/job-spec.js';
import { keys } from '../domain/keys.js';
import { AAC_LC_CODEC, avcCodecString, buildMasterPlaylist, buildStoryboardVtt, measuredBandwidth, type MasterVariant } from '../ffmpeg/hls-master.js';
import { deinterlaceResult } from '../ffmpeg/deinterlace.js';
import { variantNames } from '../ffmpeg/hls.args.js';
import { AUDIO_BITRATE } from '../ffmpeg/hls.ladder.js';
import { buildThumbnailArgs } from '../ffmpeg/thumbnail.args.js';
import { encodeHlsChunked, planHlsChunks } from './hls-chunked.js';
import { HlsPublisher } from './hls.publisher.js';
import { prepareHls, SPRITE_NAME, type PreparedHls } from './hls.plan.js';
import type { OutputHandler } from './pipeline.types.js';

const MASTER = 'master.m3u8';
const POSTER = 'poster.jpg';
const VTT = 'storyboard.vtt';
const POLL_MS = 250;

/** Master entries: estimated from the ladder while encoding, measured from the segments at the end. */
function masterVariants(prep: PreparedHls, publisher: HlsPublisher | null): MasterVariant[] {
  const { plan, facts } = prep;
  const audioCodecs = plan.hasAudio ? [AAC_LC_CODEC] : [];
  const names = variantNames(plan);
  return names.map((name, i) => {
    const r = plan.ladder.rungs[i];
    const v = publisher?.variants[i];
    const measured = v ? measuredBandwidth(publisher!.segmentStats(v), v.initSize) : null;
    const copied = plan.copyTop && i === 0;
    const estimate = (r ? (copied ? facts?.bitrate ?? r.maxrate : r.maxrate) : 0) + (plan.hasAudio ? AUDIO_BITRATE : 0);
    const video = r ? [copied ? avcCodecString(facts?.profile ?? 'high', facts?.level ?? r.level) : avcCodecString(r.profile, r.level)] : [];
    return {
      uri: `${name}/index.m3u8`,
      bandwidth: measured?.peak ?? estimate,
      averageBandwidth: measured?.average ?? estimate,
      codecs: [...video, ...audioCodecs],
      resolution: r ? { width: r.width, height: r.height } : null,
      frameRate: r ? plan.ladder.fpsValue : null,
    };
  });
}

export const hlsPipeline: OutputHandler<HlsOutputSpec> = async (ctx, spec) => {
  const started = ctx.clock.now();
  const { meta } = ctx;
  const outDir = join(ctx.workDir, 'hls');
  await mkdir(outDir, { recursive: true });
  const prep = await prepareHls(spec, { meta, inputPath: ctx.inputPath, outDir, runner: ctx.runner, signal: ctx.signal, encoding: ctx.encoding, probeTimeoutMs: ctx.probeTimeoutMs });
  const names = variantNames(prep.plan);
  for (const n of names) await mkdir(join(outDir, n), { recursive: true });
  const keyFor = (name: string) => keys.outputFile(ctx.accountId, ctx.jobId, ctx.outputIndex, 'hls', name);
  const publisher = new HlsPublisher(ctx.blobs, outDir, keyFor, names, ctx.clock);

  let playableAt: number | null = null;
  const publishMasterWhenPlayable = async () => {
    if (playableAt !== null || !publisher.playable) return;
    await publisher.uploadText(MASTER, buildMasterPlaylist(masterVariants(prep, null), { independentSegments: true }));
    playableAt = ctx.clock.now();
    // The job lists the master while it runs, and tells (a playable job.output.ready).
    const master = publisher.files.get(MASTER);
    if (master && ctx.onPlayable) await ctx.onPlayable(master);
  };

  // The poster is a separate, short decode of ~40 sampled frames; it runs beside the encode.
  const posterStop = new AbortController();
  const stopPoster = () => posterStop.abort();
  ctx.signal.addEventListener('abort', stopPoster, { once: true });
  const poster = spec.poster && meta.hasVideo
    ? ctx.runner
        .run(
          buildThumbnailArgs({ type: 'thumbnail', format: 'jpg', deinterlace: spec.deinterlace }, meta, ctx.runner.caps, { inputPath: ctx.inputPath, outputPath: join(outDir, POSTER) }),
          { signal: posterStop.signal, stallTimeoutMs: ctx.stallTimeoutMs },
        )
        .then(() => null, (err: unknown) => err)
    : null;
  try {
    return await encodeAndPublish();
  } finally {
    // Whatever happened, the poster's ffmpeg does not outlive this output.
    ctx.signal.removeEventListener('abort', stopPoster);
    stopPoster();
    await poster;
  }

  async function encodeAndPublish() {
    const duration = meta.duration ?? 0;
    publisher.start(POLL_MS, publishMasterWhenPlayable);
    const encodeStart = ctx.clock.now();
    // Chunked (docs/hls.md#chunking) or one run: the same package lands in outDir either way.
    const chunked = await planHlsChunks(spec, prep, ctx);
    try {
      if (chunked) await encodeHlsChunked(ctx, prep, chunked, outDir, (f) => ctx.onProgress(Math.min(0.95, f * 0.95)));
      else {
        await ctx.runner.run(prep.args, {
          signal: ctx.signal,
          stallTimeoutMs: ctx.stallTimeoutMs,
          onProgress: (p) => {
            if (duration > 0) ctx.onProgress(Math.min(0.95, (p.outTime / duration) * 0.95));
          },
        });
      }
    } catch (err) {
      await publisher.stop().catch(() => undefined);
      throw err;
    }
    await publisher.stop();
    const encodeSeconds = (ctx.clock.now() - encodeStart) / 1000;
    await publisher.pass(true);
    await publishMasterWhenPlayable();
    if (playableAt === null) throw new DomainError('ffmpeg_failed', 'ffmpeg produced no HLS segments');
    await publisher.uploadText(MASTER, buildMasterPlaylist(masterVariants(prep, publisher), { independentSegments: true }));

    let posterName: string | null = null;
    if (poster) {
      const posterError = await poster;
      if (posterError) throw posterError;
      if (await publisher.uploadLocal(POSTER)) posterName = POSTER;
    }
    let storyboard: Record<string, unknown> | null = null;
    const sb = prep.plan.storyboard;
    if (sb && (await publisher.uploadLocal(SPRITE_NAME))) {
      await publisher.uploadText(VTT, buildStoryboardVtt(sb, duration, SPRITE_NAME));
      storyboard = { sprite: SPRITE_NAME, vtt: VTT, interval: sb.interval, count: sb.count, columns: sb.columns, rows: sb.rows, tileWidth: sb.tileWidth, tileHeight: sb.tileHeight };
    }
    ctx.onProgress(1);

    const variants = masterVariants(prep, publisher);
    const files = [...publisher.files.values()].sort((a, b) => (a.name === MASTER ? -1 : b.name === MASTER ? 1 : a.name.localeCompare(b.name)));
    const seconds = (t: number | null) => (t === null ? null : Math.round((t - started) / 10) / 100);
    // What the playlists really hold (the sum of their segments), shortest rendition first.
    const renditionSeconds = publisher.variants.map((v) => publisher.segmentStats(v).reduce((sum, seg) => sum + seg.duration, 0));
    const coverage = hlsCoverage(renditionSeconds, meta);
    return {
      coverage,
      files,
      result: {
        master: MASTER,
        segmentType: spec.segmentType,
        segmentSeconds: spec.segmentSeconds,
        duration: coverage?.produced ?? null,
        renditions: variants.map((v, i) => ({
          name: prep.plan.ladder.rungs[i]?.name ?? 'audio',
          playlist: v.uri,
          width: v.resolution?.width ?? null,
          height: v.resolution?.height ?? null,
          frameRate: v.frameRate,
          bandwidth: Math.round(v.bandwidth),
          averageBandwidth: Math.round(v.averageBandwidth),
          codecs: v.codecs.join(','),
          copied: prep.plan.copyTop && i === 0,
        })),
        topRungCopy: prep.copy.copy ? { copied: true } : { copied: false, reason: prep.copy.reason },
        deinterlace: deinterlaceResult(prep.plan.deinterlace),
        poster: posterName,
        storyboard,
        firstSegmentAt: publisher.firstSegmentAt === null ? null : new Date(publisher.firstSegmentAt).toISOString(),
        playableAt: new Date(playableAt).toISOString(),
        firstSegmentSeconds: seconds(publisher.firstSegmentAt),
        playableSeconds: seconds(playableAt),
        encodeSeconds: Math.round(encodeSeconds * 100) / 100,
        totalSeconds: seconds(ctx.clock.now()),
      },
    };
  }
};
