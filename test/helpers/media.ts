import { execFile } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Test media is generated with ffmpeg's lavfi sources, cached per machine by its recipe name. */
const CACHE = join(tmpdir(), 'mediaforge-test-media-v1');

const RECIPES: Record<string, string[]> = {
  // 20 s, 320×240, 30 fps, H.264 + AAC: the standard small clip.
  'clip20.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '20', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
  // 10 s, 640×360, 30 fps, H.264 + AAC: the web console's upload (test/e2e/console.test.ts), long enough to watch run.
  'clip10.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '10', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
  // 3 s of black then 7 s of test pattern: a naive "first frame" thumbnail would be black.
  'black-intro.mp4': ['-f', 'lavfi', '-i', 'color=black:size=320x240:rate=25:duration=3', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=7', '-filter_complex', '[0][1]concat=n=2:v=1:a=0', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
  // Long enough that a job is still running when the test acts on it (cancel, kill).
  'long120.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-t', '120', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
  // 6 s, 320×240, 30 fps, H.264 + AAC, index (moov) at the front: what a cut transfer of a web upload looks like.
  'clip6-faststart.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-movflags', '+faststart'],
  // The same with the index at the end (ffmpeg's default).
  'clip6.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
  'clip6.mkv': ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
  // FLV: its header (onMetaData) declares the duration; nothing in the probe checks its data against it.
  'clip6.flv': ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
  // 1 s, 160×90, no audio: the cheapest job input (a thumbnail of it; an audio output of it fails).
  'tiny1.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=10', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
  'tone5.m4a': ['-f', 'lavfi', '-i', 'sine=frequency=330', '-t', '5', '-c:a', 'aac'],
  'still.png': ['-f', 'lavfi', '-i', 'testsrc2=size=200x100:rate=1', '-frames:v', '1'],
  // 2.4 megapixels: over the pixel limit the tests configure.
  'big.png': ['-f', 'lavfi', '-i', 'testsrc2=size=2000x1200:rate=1', '-frames:v', '1'],
};

export type Recipe = keyof typeof RECIPES;

export async function media(name: Recipe, ffmpeg = 'ffmpeg'): Promise<string> {
  const path = join(CACHE, name);
  try {
    if ((await stat(path)).size > 0) return path;
  } catch {
    /* make it */
  }
  await mkdir(CACHE, { recursive: true });
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp${name.slice(name.lastIndexOf('.'))}`;
  await run(ffmpeg, ['-v', 'error', '-y', ...RECIPES[name], temp]);
  const { rename } = await import('node:fs/promises');
  await rename(temp, path);
  return path;
}

export async function ffprobeJson(path: string): Promise<any> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', path]);
  return JSON.parse(stdout);
}

/** Mean luma (0–255) of an image, measured by ffmpeg's signalstats. */
export async function meanLuma(imagePath: string): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-v', 'info', '-i', imagePath, '-vf', 'signalstats,metadata=print:key=lavfi.signalstats.YAVG', '-f', 'null', '-']);
  const m = /lavfi\.signalstats\.YAVG=([\d.]+)/.exec(stderr);
  if (!m) throw new Error('no YAVG in ffmpeg output');
  return Number(m[1]);
}
