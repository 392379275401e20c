import { execFile } from 'node:child_process';
import { mkdir, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseIdet, type IdetCounts } from '../../src/ffmpeg/idet.args.js';

const run = promisify(execFile);
const CACHE = join(tmpdir(), 'mediaforge-test-media-interlace-v1');

/**
 * A white bar crossing a black picture at 400 px/s, made at 50 progressive frames per
 * second: its fields, woven by `tinterlace`, are 8 px apart, so every frame of the
 * interlaced version is visibly combed and idet classifies every one (lavfi's testsrc2
 * fools idet even when progressive, so it is not used here).
 */
const MOVING_BAR =
  "color=black:s=320x240:r=50:d=4[bg];color=white:s=40x240:r=50:d=4[bar];[bg][bar]overlay=x='mod(t*400\\,320)':y=0";
const tone = (seconds: number) => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`];
const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

const RECIPES = {
  // 25i top field first, flagged so: ffprobe says field_order tt.
  'interlaced-tt.mp4': [
    '-filter_complex', `${MOVING_BAR},tinterlace=interleave_top,fieldorder=tff[v]`, ...tone(4),
    '-map', '[v]', '-map', '0:a', ...x264, '-flags', '+ildct+ilme', '-x264opts', 'tff=1', '-c:a', 'aac',
  ],
  // Interlaced (bottom field first) content in MPEG-4 part 2 in AVI: ffprobe says field_order unknown.
  'interlaced-unflagged.avi': ['-filter_complex', `${MOVING_BAR},tinterlace=interleave_bottom[v]`, '-map', '[v]', '-c:v', 'mpeg4', '-q:v', '2'],
  // The same bar, progressive, in the same codec and container: also unknown to ffprobe.
  'progressive-unflagged.avi': ['-filter_complex', `${MOVING_BAR},fps=25[v]`, '-map', '[v]', '-c:v', 'mpeg4', '-q:v', '2'],
  // Variable frame rate: 3 s at 30 fps, then 3 s at 10 fps, with 6 s of audio. ffprobe:
  // r_frame_rate 30/1, avg_frame_rate 1200/59 (20.339), the last frame without a duration.
  'vfr-30-10.mp4': [
    '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30:duration=3', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10:duration=3', ...tone(6),
    '-filter_complex', '[0][1]concat=n=2:v=1:a=0[v]', '-map', '[v]', '-map', '2:a', ...x264, '-c:a', 'aac', '-vsync', 'vfr',
  ],
} satisfies Record<string, string[]>;

export type InterlaceRecipe = keyof typeof RECIPES;

export async function interlaceMedia(name: InterlaceRecipe): Promise<string> {
  const path = join(CACHE, name);
  if ((await stat(path).catch(() => null))?.size) return path;
  await mkdir(CACHE, { recursive: true });
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp${name.slice(name.lastIndexOf('.'))}`;
  await run('ffmpeg', ['-v', 'error', '-y', ...RECIPES[name], temp]);
  await rename(temp, path);
  return path;
}

/** What idet (system ffmpeg) says about a whole video. */
export async function idetOf(path: string): Promise<IdetCounts> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-nostats', '-i', path, '-map', '0:v:0', '-vf', 'idet', '-f', 'null', '-'], { maxBuffer: 1 << 24 });
  const counts = parseIdet(stderr.split('\n'));
  if (!counts) throw new Error('idet printed no summary');
  return counts;
}

/** Share of the frames idet classified that it found interlaced (either order). */
export const interlacedShare = (c: IdetCounts) => (c.tff + c.bff) / Math.max(1, c.tff + c.bff + c.progressive);

/**
 * Combing in one picture: pixels whose row above and row below both differ from it by more
 * than 48 luma levels in the same direction (the comb teeth of woven fields). A clean
 * picture of the bar has none; a combed one has thousands.
 */
export async function combedPixels(imagePath: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'json', imagePath]);
  const { width: w, height: h } = JSON.parse(stdout).streams[0];
  const raw = await run('ffmpeg', ['-v', 'error', '-i', imagePath, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { encoding: 'buffer', maxBuffer: 1 << 26 });
  const y = raw.stdout as Buffer;
  let comb = 0;
  for (let r = 1; r < h - 1; r++) {
    for (let x = 0; x < w; x++) {
      const up = y[(r - 1) * w + x] - y[r * w + x];
      const down = y[(r + 1) * w + x] - y[r * w + x];
      if (Math.abs(up) > 48 && Math.abs(down) > 48 && Math.sign(up) === Math.sign(down)) comb++;
    }
  }
  return comb;
}
