import type { FfmpegProgress } from '../domain/ffmpeg.js';

/**
 * Parses ffmpeg's `-progress` output: blocks of key=value lines, each block ending with
 * `progress=continue` or `progress=end`. Feed it lines; it returns a snapshot per block.
 */
export class ProgressParser {
  private current: Record<string, string> = {};

  push(line: string): FfmpegProgress | null {
    const eq = line.indexOf('=');
    if (eq <= 0) return null;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    this.current[key] = value;
    if (key !== 'progress') return null;
    const block = this.current;
    this.current = {};
    const us = Number(block.out_time_us ?? block.out_time_ms);
    const speed = Number((block.speed ?? '').replace(/x$/, ''));
    return {
      outTime: Number.isFinite(us) && us > 0 ? us / 1e6 : 0,
      frame: Number(block.frame) || 0,
      speed: Number.isFinite(speed) && speed > 0 ? speed : null,
      done: value === 'end',
    };
  }
}

/** Parses one `showinfo` line: the output index and its source timestamp in seconds. */
export function parseShowinfo(line: string): { n: number; ptsTime: number; width: number | null; height: number | null } | null {
  const m = /Parsed_showinfo_\d+.*?\bn:\s*(\d+).*?\bpts_time:\s*(-?[\d.]+(?:e-?\d+)?)/.exec(line);
  if (!m) return null;
  const size = /\bs:(\d+)x(\d+)/.exec(line);
  return { n: Number(m[1]), ptsTime: Number(m[2]), width: size ? Number(size[1]) : null, height: size ? Number(size[2]) : null };
}
