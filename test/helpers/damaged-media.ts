import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readTopLevelBoxes } from '../../src/ffmpeg/mp4-index.inspect.js';
import { media, type Recipe } from './media.js';

/**
 * Damaged copies of generated clips, made from their bytes (deterministic for a given
 * ffmpeg build), cached beside them:
 * - `faststart-cut.mp4`: the 6 s MP4 with its index at the front, cut at 50 % of its bytes;
 * - `moov-end-cut.mp4`: the same clip with its index at the end, cut at 50 % (no index left);
 * - `mkv-cut.mkv` / `flv-cut.flv`: the 6 s Matroska / FLV file cut at 50 %;
 * - `corrupt-few.mp4` / `corrupt-many.mp4`: 3 / 30 runs of 200 bytes overwritten inside the
 *   media data of the faststart clip: ffmpeg logs decode errors and still exits 0.
 */
export type Damaged = 'faststart-cut.mp4' | 'moov-end-cut.mp4' | 'mkv-cut.mkv' | 'flv-cut.flv' | 'corrupt-few.mp4' | 'corrupt-many.mp4';

const SOURCES: Record<Damaged, Recipe> = {
  'faststart-cut.mp4': 'clip6-faststart.mp4',
  'moov-end-cut.mp4': 'clip6.mp4',
  'mkv-cut.mkv': 'clip6.mkv',
  'flv-cut.flv': 'clip6.flv',
  'corrupt-few.mp4': 'clip6-faststart.mp4',
  'corrupt-many.mp4': 'clip6-faststart.mp4',
};

async function damage(name: Damaged, bytes: Buffer): Promise<Buffer> {
  if (name.includes('-cut')) return bytes.subarray(0, Math.floor(bytes.length / 2));
  const { boxes } = await readTopLevelBoxes(async (at, len) => bytes.subarray(at, at + len), bytes.length);
  const mdat = boxes.find((b) => b.type === 'mdat')!;
  const body = mdat.start + mdat.headerSize;
  const length = (mdat.size ?? bytes.length - mdat.start) - mdat.headerSize;
  const runs = name === 'corrupt-few.mp4' ? [0.4, 0.5, 0.6] : Array.from({ length: 30 }, (_, k) => 0.2 + (0.6 * k) / 30);
  const out = Buffer.from(bytes);
  for (const f of runs) {
    const at = body + Math.floor(length * f);
    for (let i = 0; i < 200; i++) out[at + i] = (i * 37 + 11) & 0xff;
  }
  return out;
}

export async function damagedMedia(name: Damaged): Promise<string> {
  const source = await media(SOURCES[name]);
  const path = join(dirname(source), 'damaged', name);
  try {
    if ((await stat(path)).size > 0) return path;
  } catch {
    /* make it */
  }
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, await damage(name, await readFile(source)));
  await rename(temp, path);
  return path;
}
