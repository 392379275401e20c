import { execFile } from 'node:child_process';
import { mkdir, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CACHE = join(tmpdir(), 'mediaforge-clip-sources-v1');

/**
 * Sources for cut-accuracy tests. `counter60.mp4` carries a frame counter in its pixels:
 * frame n is a flat grey of luma 16 + 4·(n mod 50), so the mean luma of any decoded frame
 * says which frame it is (±1 luma of compression noise is far below the step of 4).
 * Keyframes every 45 frames (1.5 s) so that 10 s cuts do not fall on keyframes.
 */
const RECIPES: Record<string, string[]> = {
  'counter60.mp4': [
    '-f', 'lavfi', '-i', "color=c=gray:size=160x120:rate=30,geq=lum='16+mod(N\\,50)*4':cb=128:cr=128",
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '45', '-keyint_min', '45', '-sc_threshold', '0',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
  ],
  // A short 1080p 16:9 source: aspect conversions at full size without much CPU.
  'hd1080-2s.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
  'silent5.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '5', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
  // Already what an mp4 rendition asks for: H.264 yuv420p + AAC.
  'plain4.mp4': [
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=330',
    '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
  ],
  // Needs re-encoding: 4:4:4 MPEG-4 part 2 with MP3 audio.
  'mpeg4-4s.mkv': [
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=330',
    '-t', '4', '-c:v', 'mpeg4', '-q:v', '5', '-c:a', 'libmp3lame', '-shortest',
  ],
};

export async function clipSource(name: keyof typeof RECIPES): Promise<string> {
  const path = join(CACHE, name);
  try {
    if ((await stat(path)).size > 0) return path;
  } catch {
    /* make it */
  }
  await mkdir(CACHE, { recursive: true });
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp${name.slice(name.lastIndexOf('.'))}`;
  await run('ffmpeg', ['-v', 'error', '-y', ...RECIPES[name], temp]);
  await rename(temp, path);
  return path;
}

/** Mean luma of every decoded frame, in order. */
export async function frameLumas(path: string): Promise<number[]> {
  const { stderr } = await run('ffmpeg', ['-v', 'info', '-i', path, '-map', '0:v:0', '-vf', 'signalstats,metadata=print:key=lavfi.signalstats.YAVG', '-f', 'null', '-'], { maxBuffer: 64 * 1024 * 1024 });
  return [...stderr.matchAll(/lavfi\.signalstats\.YAVG=([\d.]+)/g)].map((m) => Number(m[1]));
}

/** The frame number modulo 50 that `counter60.mp4` encoded into this luma. */
export const counterOf = (luma: number) => Math.round((luma - 16) / 4);

/** Mean luma of a column band of the first frame: black bars read near 16. */
export async function bandLuma(path: string, x: number, width: number): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-v', 'info', '-i', path, '-frames:v', '1', '-vf', `crop=${width}:ih:${x}:0,signalstats,metadata=print:key=lavfi.signalstats.YAVG`, '-f', 'null', '-']);
  const m = /lavfi\.signalstats\.YAVG=([\d.]+)/.exec(stderr);
  if (!m) throw new Error('no YAVG in ffmpeg output');
  return Number(m[1]);
}

/** Keyframe times of the first video stream. */
export async function keyframeTimes(path: string): Promise<number[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', path], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\n').filter((l) => l.includes('K')).map((l) => Number(l.split(',')[0])).sort((a, b) => a - b);
}
