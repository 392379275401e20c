import { DomainError } from '../domain/errors.js';
import type { FieldOrder, MediaMetadata } from '../domain/media.js';
import { peakFrameRate } from './frame-rate.js';
import { orientationFromAngle, orientationFromExif, orientationFromMatrix, UPRIGHT, type Orientation } from './orientation.js';

/**
 * Demuxers we let ffmpeg use on uploads. Everything that can make ffmpeg open another
 * file or a URL (hls, concat, dash, sdp, rtp, tee, image sequences with patterns …) is
 * absent, so such an input fails at probe time before any decode.
 */
export const ALLOWED_DEMUXERS = [
  'mov', 'mp4', 'matroska', 'webm', 'avi', 'mpegts', 'flv', 'mpeg', 'ogg', 'wav', 'mp3', 'aac', 'flac',
  'asf', 'm4v', 'h264', 'hevc', 'ivf', 'mxf', 'caf', 'aiff', 'gif',
  'image2', 'png_pipe', 'jpeg_pipe', 'webp_pipe', 'bmp_pipe', 'tiff_pipe',
] as const;

export const INPUT_GUARD_ARGS = ['-protocol_whitelist', 'file', '-format_whitelist', ALLOWED_DEMUXERS.join(',')];

export function buildProbeArgs(inputPath: string): string[] {
  return ['-v', 'error', '-hide_banner', ...INPUT_GUARD_ARGS, '-show_format', '-show_streams', '-of', 'json', '-i', inputPath];
}

/**
 * A still image's orientation. A JPEG's EXIF Orientation reaches ffprobe only on the decoded
 * frame (a tag, and a display matrix made from it), never on the stream, so this decodes
 * the first picture: run it only after `checkLimits` passed, the stream probe decodes nothing.
 */
export function buildFrameOrientationProbeArgs(inputPath: string): string[] {
  return [
    '-v', 'error', '-hide_banner', ...INPUT_GUARD_ARGS, '-select_streams', 'v:0', '-read_intervals', '%+#1',
    '-show_entries', 'frame_tags=Orientation:frame_side_data=displaymatrix,rotation', '-of', 'json', '-i', inputPath,
  ];
}

/**
 * Text formats that reference other resources. ffmpeg would refuse them with the
 * whitelist above; we recognise them first so the user gets a precise reason.
 */
export function sniffForbiddenText(head: Buffer): string | null {
  const text = head.subarray(0, 1024).toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart();
  if (/^#EXTM3U/i.test(text) || /#EXT-X-/i.test(text)) return 'an HLS/M3U playlist';
  if (/^ffconcat/i.test(text)) return 'an ffconcat list';
  // eslint-disable-next-line no-control-regex -- binary bytes are what tells media from a text list
  if (/^file\s+['"]?[\w/.:-]/im.test(text) && !/[\x00-\x08]/.test(text)) return 'a concat list';
  if (/^<\?xml[^>]*>\s*<MPD/i.test(text) || /^<MPD/i.test(text)) return 'a DASH manifest';
  if (/^v=0\r?\n/.test(text)) return 'an SDP description';
  return null;
}

interface RawSideData {
  displaymatrix?: string;
  rotation?: number;
}
interface RawStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  pix_fmt?: string;
  field_order?: string;
  sample_aspect_ratio?: string;
  duration?: string;
  nb_frames?: string;
  bit_rate?: string;
  tags?: Record<string, string>;
  side_data_list?: RawSideData[];
  disposition?: { attached_pic?: number };
}
interface RawFrame {
  tags?: Record<string, string>;
  side_data_list?: RawSideData[];
}
interface RawProbe {
  streams?: RawStream[];
  format?: { format_name?: string; duration?: string; bit_rate?: string; tags?: Record<string, string> };
}

const IMAGE_FORMATS = new Set(['image2', 'png_pipe', 'jpeg_pipe', 'webp_pipe', 'bmp_pipe', 'tiff_pipe']);

function rate(value: string | undefined): number | null {
  if (!value) return null;
  const [n, d] = value.split('/').map(Number);
  if (!d || !Number.isFinite(n / d) || n / d <= 0) return null;
  return Math.round((n / d) * 1000) / 1000;
}

const FIELD_ORDERS = new Set<string>(['progressive', 'tt', 'bb', 'tb', 'bt']);

function fieldOrderOf(s: RawStream): FieldOrder {
  return s.field_order && FIELD_ORDERS.has(s.field_order) ? (s.field_order as FieldOrder) : 'unknown';
}

function num(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** A stream's own duration: `duration`, or Matroska's `DURATION` tag (`00:00:06.023000000`). */
function streamDuration(s: RawStream | undefined): number | null {
  if (!s) return null;
  const direct = num(s.duration);
  if (direct !== null && direct > 0) return Math.round(direct * 1000) / 1000;
  const tag = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec((s.tags?.DURATION ?? s.tags?.duration ?? '').trim());
  return tag ? Math.round((Number(tag[1]) * 3600 + Number(tag[2]) * 60 + Number(tag[3])) * 1000) / 1000 : null;
}

function fromSideData(list: RawSideData[] | undefined): Orientation | null {
  for (const d of list ?? []) {
    const exact = orientationFromMatrix(d.displaymatrix);
    if (exact) return exact;
    // ffprobe's angle is counter-clockwise; it cannot tell a mirror, the matrix can.
    if (typeof d.rotation === 'number') return orientationFromAngle(-d.rotation);
  }
  return null;
}

/** The stream's display matrix (MP4/MOV), else the old clockwise `rotate` tag (ffprobe < 5). */
function streamOrientation(s: RawStream): Orientation {
  const tag = num(s.tags?.rotate);
  return fromSideData(s.side_data_list) ?? (tag !== null ? orientationFromAngle(tag) : null) ?? UPRIGHT;
}

/** The first frame's display matrix, else its EXIF Orientation tag; null when it has neither. */
export function parseFrameOrientation(raw: unknown): Orientation | null {
  const frame = ((raw ?? {}) as { frames?: RawFrame[] }).frames?.[0];
  return fromSideData(frame?.side_data_list) ?? orientationFromExif(frame?.tags?.Orientation);
}

/** ffprobe JSON → the metadata we publish. Throws `input_invalid` when there is nothing to work with. */
export function parseProbe(raw: unknown): MediaMetadata {
  const probe = (raw ?? {}) as RawProbe;
  const streams = probe.streams ?? [];
  const formatName = probe.format?.format_name ?? '';
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audio = streams.find((s) => s.codec_type === 'audio');
  if (!video && !audio) throw new DomainError('input_invalid', 'the file has no video or audio stream that ffmpeg can read');
  if (video && (!video.width || !video.height)) throw new DomainError('input_invalid', 'the video stream has no dimensions; the file is probably damaged');

  const orientation = video ? streamOrientation(video) : UPRIGHT;
  const isImage = !!video && IMAGE_FORMATS.has(formatName.split(',')[0]);
  const brand = probe.format?.tags?.major_brand?.trim();
  const family = formatName.split(',');
  const container = family[0] === 'mov' ? (brand === 'qt' ? 'mov' : 'mp4') : family[0] || 'unknown';
  const duration = isImage ? null : num(probe.format?.duration) ?? num(video?.duration) ?? num(audio?.duration);
  const videoDuration = isImage ? null : streamDuration(video);
  const audioDuration = streamDuration(audio);
  const moving = !!video && !isImage;
  const fieldOrder = moving ? fieldOrderOf(video) : null;
  const avgFps = moving ? rate(video.avg_frame_rate) : null;
  const rFps = moving ? rate(video.r_frame_rate) : null;

  return {
    kind: isImage ? 'image' : video ? 'video' : 'audio',
    container,
    duration: duration === null ? null : Math.round(duration * 1000) / 1000,
    width: video?.width ?? null,
    height: video?.height ?? null,
    rotation: orientation.rotation,
    mirrored: orientation.mirrored,
    fps: avgFps ?? rFps,
    peakFps: moving ? peakFrameRate(rFps, avgFps, fieldOrder) : null,
    videoCodec: video?.codec_name ?? null,
    audioCodec: audio?.codec_name ?? null,
    bitrate: num(probe.format?.bit_rate),
    hasAudio: !!audio,
    hasVideo: !!video,
    pixelFormat: video?.pix_fmt ?? null,
    sampleAspectRatio: video?.sample_aspect_ratio && video.sample_aspect_ratio !== '0:1' ? video.sample_aspect_ratio : null,
    frameCount: num(video?.nb_frames),
    ...(videoDuration !== null ? { videoDuration } : {}),
    ...(audioDuration !== null ? { audioDuration } : {}),
    fieldOrder,
  };
}

export interface MediaLimits {
  maxDurationSeconds: number;
  maxPixels: number;
}

export function checkLimits(meta: MediaMetadata, limits: MediaLimits): void {
  if (meta.duration !== null && meta.duration > limits.maxDurationSeconds) {
    throw new DomainError('limit_exceeded', `the input lasts ${meta.duration} s; the limit is ${limits.maxDurationSeconds} s`, {
      limit: 'duration',
      value: meta.duration,
      max: limits.maxDurationSeconds,
    });
  }
  if (meta.width && meta.height && meta.width * meta.height > limits.maxPixels) {
    throw new DomainError('limit_exceeded', `the input is ${meta.width}×${meta.height}; the limit is ${limits.maxPixels} pixels per frame`, {
      limit: 'pixels',
      value: meta.width * meta.height,
      max: limits.maxPixels,
    });
  }
}
