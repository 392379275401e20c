import type { HlsOutputSpec } from '../domain/job-spec.js';
import type { MediaMetadata } from '../domain/media.js';
import { outputFps } from './frame-rate.js';

/** One video rung of the ladder. `short` is the short side (the "720" of 720p). */
export interface VideoRung {
  name: string;
  short: number;
  width: number;
  height: number;
  /** Target average video bitrate, bits per second. */
  bitrate: number;
  maxrate: number;
  bufsize: number;
  profile: 'main' | 'high';
  /** H.264 level × 10 (31 = 3.1). */
  level: number;
}

export interface Ladder {
  rungs: VideoRung[];
  /** Output frame rate as ffmpeg's fps filter takes it (`30`, `30000/1001`); null for audio only. */
  fps: string | null;
  fpsValue: number | null;
  display: { width: number; height: number } | null;
}

export const STANDARD_SHORT_SIDES = [1440, 1080, 720, 480, 360] as const;
export const AUTO_MAX_RUNGS = 5;
export const AUDIO_BITRATE = 128_000;

/** Video kbit/s at ≤ 30 fps by short side; above 30 fps ×1.5. Between rows: linear. */
const BITRATE_TABLE: Array<[number, number]> = [
  [2160, 12_000], [1440, 8_000], [1080, 5_000], [720, 2_800], [480, 1_400], [360, 800], [240, 400], [144, 200],
];

const even = (x: number) => Math.max(2, 2 * Math.round(x / 2));
const floorEven = (x: number) => Math.max(2, 2 * Math.floor(x / 2));

/** Display size with rotation and sample aspect ratio applied. */
export function displayDimensions(meta: MediaMetadata): { width: number; height: number } | null {
  if (!meta.hasVideo || !meta.width || !meta.height) return null;
  let w = meta.width;
  const h = meta.height;
  const sar = meta.sampleAspectRatio?.split(':').map(Number);
  if (sar && sar[0] > 0 && sar[1] > 0 && sar[0] !== sar[1]) w = (w * sar[0]) / sar[1];
  return meta.rotation % 180 === 90 ? { width: h, height: w } : { width: w, height: h };
}

export function tableBitrate(short: number, fps: number): number {
  let kbps = BITRATE_TABLE[BITRATE_TABLE.length - 1][1];
  if (short >= BITRATE_TABLE[0][0]) kbps = BITRATE_TABLE[0][1] * (short / BITRATE_TABLE[0][0]);
  else {
    for (let i = 0; i < BITRATE_TABLE.length - 1; i++) {
      const [hiS, hiB] = BITRATE_TABLE[i];
      const [loS, loB] = BITRATE_TABLE[i + 1];
      if (short <= hiS && short >= loS) {
        kbps = loB + ((hiB - loB) * (short - loS)) / (hiS - loS);
        break;
      }
    }
  }
  return Math.round(kbps * (fps > 31 ? 1.5 : 1)) * 1000;
}

/** H.264 levels: [level×10, max macroblocks per frame, max macroblocks per second, max kbit/s (High)]. */
const LEVELS: Array<[number, number, number, number]> = [
  [30, 1_620, 40_500, 12_500], [31, 3_600, 108_000, 17_500], [32, 5_120, 216_000, 25_000],
  [40, 8_192, 245_760, 25_000], [41, 8_192, 245_760, 62_500], [42, 8_704, 522_240, 62_500],
  [50, 22_080, 589_824, 168_750], [51, 36_864, 983_040, 300_000], [52, 36_864, 2_073_600, 300_000],
];

/** The lowest level that admits the frame size, the macroblock rate and the peak bitrate. */
export function h264Level(width: number, height: number, fps: number, maxrate: number): number {
  const mbs = Math.ceil(width / 16) * Math.ceil(height / 16);
  const found = LEVELS.find(([, fs, mbps, kbps]) => mbs <= fs && mbs * fps <= mbps && maxrate / 1000 <= kbps);
  return found ? found[0] : 52;
}

function rung(short: number, display: { width: number; height: number }, fps: number, sourceVideoBitrate: number | null): VideoRung {
  const landscape = display.width >= display.height;
  const aspect = display.width / display.height;
  // Rounding to even must not add a pixel the source does not have.
  const width = landscape ? Math.min(even(short * aspect), floorEven(display.width)) : short;
  const height = landscape ? short : Math.min(even(short / aspect), floorEven(display.height));
  let bitrate = tableBitrate(short, fps);
  // Never spend more bits on a rung than the whole source video has.
  if (sourceVideoBitrate && sourceVideoBitrate > 0) bitrate = Math.max(Math.min(bitrate, sourceVideoBitrate), 100_000);
  const maxrate = Math.round(bitrate * 1.1);
  const profile = short <= 480 ? 'main' : 'high';
  return { name: `${short}p`, short, width, height, bitrate, maxrate, bufsize: bitrate * 2, profile, level: h264Level(width, height, fps, maxrate) };
}

/**
 * The ladder. Never upscales; the top rung of "auto" is the source's own short side
 * (made even, at most 2160), then the standard sizes below it that differ enough.
 */
export function planLadder(
  spec: Pick<HlsOutputSpec, 'renditions'>,
  meta: MediaMetadata,
  opts: { maxFps: number; sourceVideoBitrate: number | null; fieldRate?: boolean },
): Ladder {
  const display = displayDimensions(meta);
  if (!display) return { rungs: [], fps: null, fpsValue: null, display: null };
  // The peak rate, so a variable-frame-rate source keeps its fastest motion; a field-rate
  // deinterlace doubles it (25i → 50p).
  const source = meta.peakFps ?? meta.fps;
  const fps = outputFps(source && opts.fieldRate ? source * 2 : source, opts.maxFps);
  const sourceShort = Math.min(2160, floorEven(Math.min(display.width, display.height)));
  let shorts: number[];
  if (spec.renditions === 'auto') {
    shorts = [sourceShort, ...STANDARD_SHORT_SIDES.filter((s) => s < sourceShort * 0.9)].slice(0, AUTO_MAX_RUNGS);
    if (shorts.length === 1 && sourceShort >= 300) shorts.push(240);
  } else {
    const wanted = [...new Set(spec.renditions.map((h) => Math.floor(h / 2) * 2))].sort((a, b) => b - a);
    shorts = wanted.filter((s) => s <= sourceShort);
    if (shorts.length === 0) shorts = [sourceShort];
  }
  return {
    rungs: shorts.map((s) => rung(s, display, fps.value, opts.sourceVideoBitrate)),
    fps: fps.expr,
    fpsValue: fps.value,
    display: { width: Math.round(display.width), height: Math.round(display.height) },
  };
}
