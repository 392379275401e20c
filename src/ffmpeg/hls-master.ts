import type { Storyboard } from './hls.args.js';

/** `avc1.PPCCLL`: profile_idc, constraint flags, level_idc in hex (RFC 6381). */
export function avcCodecString(profile: string, level: number): string {
  const byProfile: Record<string, [number, number]> = {
    'constrained baseline': [66, 0xe0], baseline: [66, 0xe0], main: [77, 0x40], high: [100, 0x00],
  };
  const [idc, flags] = byProfile[profile.toLowerCase()] ?? [100, 0x00];
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `avc1.${hex(idc)}${hex(flags)}${hex(level)}`;
}

export const AAC_LC_CODEC = 'mp4a.40.2';

export interface MediaPlaylist {
  targetDuration: number | null;
  initUri: string | null;
  segments: Array<{ uri: string; duration: number }>;
  ended: boolean;
  playlistType: string | null;
}

/** Reads what we need from a media playlist ffmpeg wrote. */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const out: MediaPlaylist = { targetDuration: null, initUri: null, segments: [], ended: false, playlistType: null };
  let pending: number | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#EXT-X-TARGETDURATION:')) out.targetDuration = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-MAP:')) out.initUri = /URI="([^"]+)"/.exec(line)?.[1] ?? null;
    else if (line.startsWith('#EXTINF:')) pending = Number.parseFloat(line.slice(8));
    else if (line === '#EXT-X-ENDLIST') out.ended = true;
    else if (line.startsWith('#EXT-X-PLAYLIST-TYPE:')) out.playlistType = line.slice(21);
    else if (!line.startsWith('#') && pending !== null) {
      out.segments.push({ uri: line, duration: pending });
      pending = null;
    }
  }
  return out;
}

/** A finished package is VOD: players may seek anywhere and need not reload it. */
export function finalizeMediaPlaylist(text: string): string {
  const body = text.replace('#EXT-X-PLAYLIST-TYPE:EVENT', '#EXT-X-PLAYLIST-TYPE:VOD');
  return /#EXT-X-ENDLIST/.test(body) ? body : `${body.trimEnd()}\n#EXT-X-ENDLIST\n`;
}

export interface MasterVariant {
  uri: string;
  /** Peak segment bitrate, bits per second. */
  bandwidth: number;
  averageBandwidth: number;
  codecs: string[];
  resolution: { width: number; height: number } | null;
  frameRate: number | null;
}

/** Our master playlist: every variant carries BANDWIDTH, AVERAGE-BANDWIDTH, CODECS, and for video RESOLUTION and FRAME-RATE. */
export function buildMasterPlaylist(variants: MasterVariant[], opts: { independentSegments: boolean }): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7'];
  if (opts.independentSegments) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  for (const v of variants) {
    const attrs = [`BANDWIDTH=${Math.round(v.bandwidth)}`, `AVERAGE-BANDWIDTH=${Math.round(v.averageBandwidth)}`, `CODECS="${v.codecs.join(',')}"`];
    if (v.resolution) attrs.push(`RESOLUTION=${v.resolution.width}x${v.resolution.height}`);
    if (v.frameRate) attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  return `${lines.join('\n')}\n`;
}

/** Peak and average bitrate of a variant from its segments (sizes in bytes, init counted once per segment for peak). */
export function measuredBandwidth(segments: Array<{ duration: number; size: number }>, initSize: number): { peak: number; average: number } | null {
  const usable = segments.filter((s) => s.duration > 0);
  if (!usable.length) return null;
  // A much shorter last segment exaggerates its rate (fixed overhead over little time): left out of the peak.
  const longest = Math.max(...usable.map((s) => s.duration));
  const last = usable[usable.length - 1];
  const forPeak = usable.length > 1 && last.duration < longest / 2 ? usable.slice(0, -1) : usable;
  const total = usable.reduce((a, s) => a + s.size, 0) + initSize;
  const average = (total * 8) / usable.reduce((a, s) => a + s.duration, 0);
  const peak = Math.max(average, ...forPeak.map((s) => ((s.size + initSize) * 8) / s.duration));
  return { peak, average };
}

function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/** WebVTT for seek previews: one cue per tile, pointing at the sprite with a media fragment. */
export function buildStoryboardVtt(sb: Storyboard, duration: number, spriteName: string): string {
  const lines = ['WEBVTT', ''];
  for (let i = 0; i < sb.count; i++) {
    const start = i * sb.interval;
    const end = i === sb.count - 1 ? Math.max(duration, start + 0.001) : (i + 1) * sb.interval;
    const x = (i % sb.columns) * sb.tileWidth;
    const y = Math.floor(i / sb.columns) * sb.tileHeight;
    lines.push(`${vttTime(start)} --> ${vttTime(end)}`, `${spriteName}#xywh=${x},${y},${sb.tileWidth},${sb.tileHeight}`, '');
  }
  return lines.join('\n');
}
