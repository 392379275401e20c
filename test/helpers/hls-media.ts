import { execFile } from 'node:child_process';
import { mkdir, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CACHE = join(tmpdir(), 'mediaforge-test-media-hls-v1');

const testsrc = (size: string, rate: number | string, seconds: number) => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`];
const tone = (seconds: number) => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`];
const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

/** Small clips for the HLS edge cases; each is made once per machine. */
const RECIPES = {
  // H.264 yuv420p, keyframes every 2 s, modest bitrate: the top rung can be stream-copied at segmentSeconds 2.
  'hls-640x360.mp4': [...testsrc('640x360', 30, 8), ...tone(8), ...x264, '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-b:v', '400k', '-maxrate', '500k', '-bufsize', '800k', '-c:a', 'aac', '-shortest'],
  // No audio, odd size (x264 accepts odd sizes in 4:4:4).
  'hls-odd-479x269.mp4': [...testsrc('480x270', 25, 6), '-vf', 'format=yuv444p,crop=479:269:0:0', '-c:v', 'libx264', '-preset', 'ultrafast'],
  // Variable frame rate: frames dropped irregularly, timestamps kept.
  'hls-vfr.mkv': [...testsrc('480x270', 30, 6), ...tone(6), '-vf', "select='not(mod(n\\,3))+not(mod(n\\,7))'", ...(['-vsync', 'vfr']), ...x264, '-c:a', 'aac', '-shortest'],
  // 4:3 storage with non-square pixels: 480×360 at SAR 4:3 displays as 640×360.
  'hls-sar.mp4': [...testsrc('480x360', 25, 6), '-vf', 'setsar=4/3', ...x264, '-an'],
  // Long enough to watch segments being published while ffmpeg still runs.
  'hls-20s.mp4': [...testsrc('640x360', 30, 20), ...tone(20), ...x264, '-c:a', 'aac', '-shortest'],
  'hls-tone.m4a': [...tone(9), '-c:a', 'aac'],
  // Chunking: 14 s at 30 fps with keyframes every 2.5 s (so a chunk's seek lands between them) and a tone.
  'chunk-14s.mp4': [...testsrc('320x180', 30, 14), ...tone(14), ...x264, '-g', '75', '-keyint_min', '75', '-c:a', 'aac', '-shortest'],
  // Constant 30 fps in Matroska, whose video starts 21 ms after the audio (the AAC priming): no frame on 0.
  'chunk-late.mkv': [...testsrc('320x180', 30, 8), ...tone(8), ...x264, '-c:a', 'aac', '-shortest'],
  // Chunking at 29.97 fps: 2 s segments start on frames 60, 120 … 1019 (34 s), off multiples of 60 past 30 s; 44.1 kHz audio.
  'chunk-ntsc.mp4': [...testsrc('320x180', '30000/1001', 40), '-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=44100:duration=40', ...x264, '-c:a', 'aac', '-shortest'],
} satisfies Record<string, string[]>;

export type HlsRecipe = keyof typeof RECIPES | 'hls-rotated.mp4';

export async function hlsMedia(name: HlsRecipe): Promise<string> {
  const path = join(CACHE, name);
  if ((await stat(path).catch(() => null))?.size) return path;
  await mkdir(CACHE, { recursive: true });
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp${name.slice(name.lastIndexOf('.'))}`;
  if (name === 'hls-rotated.mp4') {
    // A phone video: stored 640×360 with a 90° display matrix (portrait 360×640). ffmpeg 5.1
    // writes the matrix from the `rotate` tag only when stream-copying.
    const plain = await hlsMedia('hls-640x360.mp4');
    await run('ffmpeg', ['-v', 'error', '-y', '-i', plain, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', temp]);
  } else {
    await run('ffmpeg', ['-v', 'error', '-y', ...RECIPES[name], temp]);
  }
  await rename(temp, path);
  return path;
}
