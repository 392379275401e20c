import type { HlsOutputSpec } from '../domain/job-spec.js';
import type { MediaMetadata } from '../domain/media.js';
import type { Capabilities } from '../domain/ffmpeg.js';
import { secondsArg } from './clips.args.js';
import { headArgs, inputArgs, passthroughArgs } from './common.args.js';
import { chain, type DeinterlacePlan } from './deinterlace.js';
import { AUDIO_BITRATE, displayDimensions, tableBitrate, type Ladder, type VideoRung } from './hls.ladder.js';

/** Facts about the source video stream beyond the job's probe, read by the pipeline with ffprobe. */
export interface SourceVideoFacts {
  profile: string | null;
  /** H.264 level × 10. */
  level: number | null;
  /** Video stream bitrate, bits per second. */
  bitrate: number | null;
  /** Keyframe times (seconds) of the part of the file that was inspected. */
  keyframeTimes: number[] | null;
  /** Up to where keyframes were inspected (seconds). */
  inspectedUntil: number;
}

export type CopyDecision = { copy: true } | { copy: false; reason: string };

const COPYABLE_PROFILES = new Set(['Constrained Baseline', 'Baseline', 'Main', 'High']);

/**
 * The top rung may reuse the source's H.264 stream when the result would be the same as
 * an encode: progressive (or not to be deinterlaced), same size and constant rate, square
 * pixels, no rotation, yuv420p, a bitrate within the top rung's budget, and keyframes on
 * every segment boundary.
 */
export function topRungCopyDecision(meta: MediaMetadata, ladder: Ladder, facts: SourceVideoFacts, segmentSeconds: number, deinterlaced = false): CopyDecision {
  const top = ladder.rungs[0];
  if (!top) return { copy: false, reason: 'no video' };
  if (deinterlaced) return { copy: false, reason: 'source is interlaced and is deinterlaced' };
  if (meta.videoCodec !== 'h264') return { copy: false, reason: `source codec is ${meta.videoCodec}` };
  if (meta.pixelFormat !== 'yuv420p') return { copy: false, reason: `source pixel format is ${meta.pixelFormat}` };
  if (!facts.profile || !COPYABLE_PROFILES.has(facts.profile)) return { copy: false, reason: `source profile is ${facts.profile}` };
  if (meta.rotation !== 0 || meta.mirrored) return { copy: false, reason: meta.mirrored ? 'source is mirrored' : 'source is rotated' };
  if (meta.sampleAspectRatio && meta.sampleAspectRatio !== '1:1') return { copy: false, reason: 'source pixels are not square' };
  const display = displayDimensions(meta);
  if (!display || display.width !== top.width || display.height !== top.height) return { copy: false, reason: 'top rung is scaled' };
  const out = ladder.fpsValue;
  if (!meta.fps || !out || Math.abs(meta.fps - out) > 0.01) return { copy: false, reason: 'frame rate changes' };
  if (meta.peakFps !== null && Math.abs(meta.peakFps - out) > 0.01) return { copy: false, reason: 'variable frame rate' };
  const budget = Math.round(tableBitrate(top.short, out) * 1.1);
  if (!facts.bitrate || facts.bitrate > budget) return { copy: false, reason: `source bitrate ${facts.bitrate ?? 'unknown'} exceeds ${budget}` };
  if (!facts.keyframeTimes) return { copy: false, reason: 'keyframes unknown' };
  if (!keyframesAligned(facts.keyframeTimes, segmentSeconds, facts.inspectedUntil, out)) {
    return { copy: false, reason: `source keyframes are not every ${segmentSeconds} s` };
  }
  return { copy: true };
}

/** A keyframe within half a frame of every segment boundary up to `until`. */
export function keyframesAligned(times: number[], segmentSeconds: number, until: number, fps: number): boolean {
  const tolerance = 0.5 / fps;
  const sorted = [...times].sort((a, b) => a - b);
  if (sorted.length === 0 || Math.abs(sorted[0]) > tolerance) return false;
  let i = 0;
  for (let boundary = segmentSeconds; boundary < until - tolerance; boundary += segmentSeconds) {
    while (i < sorted.length && sorted[i] < boundary - tolerance) i++;
    if (i >= sorted.length || Math.abs(sorted[i] - boundary) > tolerance) return false;
  }
  return true;
}

export interface Storyboard {
  interval: number;
  count: number;
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

export const STORYBOARD_MAX_TILES = 200;
export const STORYBOARD_COLUMNS = 10;

/** Thumbnails every 2 s, or sparser so that at most 200 fit one sprite. */
export function planStoryboard(duration: number, display: { width: number; height: number }): Storyboard {
  const interval = Math.max(2, Math.ceil(duration / STORYBOARD_MAX_TILES));
  const count = Math.max(1, Math.ceil(duration / interval - 1e-6));
  const columns = Math.min(STORYBOARD_COLUMNS, count);
  const landscape = display.width >= display.height;
  const tileWidth = landscape ? 160 : 2 * Math.round((160 * display.width) / display.height / 2);
  const tileHeight = landscape ? 2 * Math.round((160 * display.height) / display.width / 2) : 160;
  return { interval, count, columns, rows: Math.ceil(count / columns), tileWidth, tileHeight };
}

export interface HlsPlan {
  ladder: Ladder;
  /** Seconds of source; every encoded rung's video spans exactly this. */
  duration: number;
  /** How long the last frame may be repeated to reach `duration` (see `endPadSeconds`). */
  endPad: number;
  deinterlace: DeinterlacePlan;
  copyTop: boolean;
  hasAudio: boolean;
  segmentSeconds: number;
  segmentType: HlsOutputSpec['segmentType'];
  storyboard: Storyboard | null;
}

export interface HlsEncoding {
  preset: string;
  /** 0 lets each encoder choose. */
  threads: number;
}

/**
 * Rung folder names: `v0` (the top rung) … `vN`, or `v0` for the audio of an audio-only
 * package. ffmpeg fills `%v` with the variant index; the `name:` key of -var_stream_map is
 * newer than some ffmpeg builds we support.
 */
export function variantNames(plan: HlsPlan): string[] {
  return plan.ladder.rungs.length ? plan.ladder.rungs.map((_, i) => `v${i}`) : ['v0'];
}

export const SEGMENT_EXTENSION = { fmp4: 'm4s', ts: 'ts' } as const;
export const INIT_NAME = 'init.mp4';

export function videoEncodeArgs(r: VideoRung, i: number, enc: HlsEncoding): string[] {
  return [
    `-c:v:${i}`, 'libx264', `-preset:v:${i}`, enc.preset, `-profile:v:${i}`, r.profile, `-level:v:${i}`, (r.level / 10).toFixed(1),
    `-b:v:${i}`, String(r.bitrate), `-maxrate:v:${i}`, String(r.maxrate), `-bufsize:v:${i}`, String(r.bufsize),
  ];
}

/**
 * One ffmpeg process: decode once, deinterlace if planned, make the rate constant, `split`
 * into one `scale` per rung (plus the storyboard tiler), encode every rung with keyframes
 * exactly on segment boundaries, and let the HLS muxer write one folder per rung
 * (`-var_stream_map`). The master playlist is ours.
 *
 * `fps` resamples to the ladder's rate, then `tpad` repeats the last frame and `trim` cuts
 * at the source's duration (and the muxer passes those frames through as they are): a video stream that stops before the file does (a variable
 * rate source whose last frame has no duration, audio that runs on) would otherwise make
 * the package a frame or more shorter than the source. The pad is bounded (`endPadSeconds`):
 * enough for a last frame's missing duration, while a source whose data ends seconds early
 * (a cut file whose header still says 6 s) must come out short, so that damage detection
 * sees it, instead of seconds of a frozen frame.
 */
/**
 * How long the last frame may be repeated at the end: two of the source's average frame
 * intervals (a variable-rate source's last frame, whose duration ffmpeg does not know, is
 * about that), at most 0.25 s, the same slack damage detection allows.
 */
export function endPadSeconds(sourceFps: number | null, duration: number): number {
  const pad = sourceFps ? Math.min(2 / sourceFps, 0.25) : 0.1;
  return Math.min(Math.round(pad * 1000) / 1000, duration);
}

export function buildHlsArgs(
  plan: HlsPlan,
  caps: Pick<Capabilities, 'encoders' | 'hasFpsMode'>,
  enc: HlsEncoding,
  io: { inputPath: string; outDir: string; spritePath: string },
): string[] {
  const { ladder, segmentSeconds } = plan;
  const encoded = ladder.rungs.map((r, i) => ({ r, i })).filter(({ i }) => !(plan.copyTop && i === 0));
  const branches = [...encoded.map(({ i }) => `s${i}`), ...(plan.storyboard ? ['sb'] : [])];
  const graph: string[] = [];
  if (branches.length) {
    graph.push(`[0:v:0]${constantRateChain(plan)},split=${branches.length}${branches.map((b) => `[${b}]`).join('')}`);
    for (const { r, i } of encoded) graph.push(`[s${i}]${rungScaleFilter(r)}[v${i}]`);
    const sb = plan.storyboard;
    if (sb) graph.push(`[sb]${storyboardFilter(sb)}[sprite]`);
  }
  const maps: string[] = [];
  const codecs: string[] = [];
  ladder.rungs.forEach((r, i) => {
    maps.push('-map', plan.copyTop && i === 0 ? '0:v:0' : `[v${i}]`);
    codecs.push(...(plan.copyTop && i === 0 ? [`-c:v:${i}`, 'copy'] : videoEncodeArgs(r, i, enc)));
    if (plan.hasAudio) maps.push('-map', '0:a:0');
  });
  if (!ladder.rungs.length) maps.push('-map', '0:a:0');
  const args = [
    ...headArgs(),
    ...inputArgs(io.inputPath),
    ...(graph.length ? ['-filter_complex', graph.join(';')] : []),
    ...maps,
    '-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1',
    ...codecs,
    ...(encoded.length ? ladderKeyframeArgs(plan, `expr:gte(t,n_forced*${segmentSeconds})`, enc, caps) : []),
    ...(plan.hasAudio ? hlsAudioCodecArgs(caps) : []),
    ...hlsMuxerArgs(plan, io.outDir),
  ];
  if (plan.storyboard) args.push('-map', '[sprite]', ...spriteOutputArgs(io.spritePath));
  return args;
}

/** The graph that makes the ladder's video: deinterlace if planned, the constant rate, padded and cut to the source's duration. */
export function constantRateChain(plan: HlsPlan): string {
  const pad = secondsArg(plan.endPad);
  return chain(plan.deinterlace.filter, `fps=${plan.ladder.fps}`, `tpad=stop_mode=clone:stop_duration=${pad}`, `trim=end=${secondsArg(plan.duration)}`);
}

export function rungScaleFilter(r: VideoRung): string {
  return `scale=${r.width}:${r.height},setsar=1,format=yuv420p`;
}

/** One thumbnail every `interval` seconds, tiled into one sprite. */
export function storyboardFilter(sb: Storyboard): string {
  return `fps=1/${sb.interval},scale=${sb.tileWidth}:${sb.tileHeight},setsar=1,tile=${sb.columns}x${sb.rows}`;
}

export function spriteOutputArgs(spritePath: string): string[] {
  return ['-frames:v', '1', '-c:v', 'mjpeg', '-q:v', '5', '-pix_fmt', 'yuvj420p', '-f', 'image2', '-update', '1', spritePath];
}

/** Frames per GOP: exactly one segment. */
export function gopFrames(plan: HlsPlan): number {
  return Math.max(1, Math.round((plan.ladder.fpsValue ?? 30) * plan.segmentSeconds));
}

/** Keyframes exactly on segment boundaries (`forceKeyFrames`: ffmpeg's -force_key_frames value). */
export function ladderKeyframeArgs(plan: HlsPlan, forceKeyFrames: string, enc: HlsEncoding, caps: Pick<Capabilities, 'hasFpsMode'>): string[] {
  const gop = String(gopFrames(plan));
  return [
    '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-force_key_frames', forceKeyFrames, '-threads', String(enc.threads),
    // The graph's frames are constant-rate already; ffmpeg 4.x's own CFR sync for the
    // HLS muxer adds frames at the end (a 6 s source became 6.067 s).
    ...passthroughArgs(caps),
  ];
}

/** AAC-LC stereo 48 kHz at the ladder's audio bitrate. */
export function hlsAudioCodecArgs(caps: Pick<Capabilities, 'encoders'>): string[] {
  return ['-c:a', caps.encoders.has('libfdk_aac') ? 'libfdk_aac' : 'aac', '-b:a', String(AUDIO_BITRATE), '-ac', '2', '-ar', '48000'];
}

/** The HLS muxer: one folder per rung (`v%v`), audio muxed into every video rung. */
export function hlsMuxerArgs(plan: HlsPlan, outDir: string): string[] {
  const streamMap = plan.ladder.rungs.length ? plan.ladder.rungs.map((_, i) => (plan.hasAudio ? `v:${i},a:${i}` : `v:${i}`)) : ['a:0'];
  const ext = SEGMENT_EXTENSION[plan.segmentType];
  return [
    '-f', 'hls',
    '-hls_time', String(plan.segmentSeconds),
    '-hls_playlist_type', 'event',
    '-hls_flags', 'independent_segments+temp_file',
    '-hls_segment_type', plan.segmentType === 'fmp4' ? 'fmp4' : 'mpegts',
    ...(plan.segmentType === 'fmp4' ? ['-hls_fmp4_init_filename', INIT_NAME] : []),
    '-hls_segment_filename', `${outDir}/v%v/seg_%05d.${ext}`,
    '-var_stream_map', streamMap.join(' '),
    `${outDir}/v%v/index.m3u8`,
  ];
}
