import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A picture whose orientation can be read back from its pixels: four solid quadrants,
 * red top-left, green top-right, blue bottom-left, yellow bottom-right, written as
 * `R G / B Y`. Every one of the eight rotations and mirrors gives a different layout.
 */
export const STORED_LAYOUT = 'RG/BY';

/**
 * The layout a viewer must see for each EXIF Orientation of a picture stored as `RG/BY`
 * (EXIF 2.3, tag 0x0112: where the stored first row and first column go).
 */
export const UPRIGHT_LAYOUT: Record<number, string> = {
  1: 'RG/BY', // as stored
  2: 'GR/YB', // mirrored left-right
  3: 'YB/GR', // turned 180°
  4: 'BY/RG', // mirrored top-bottom
  5: 'RB/GY', // transposed: the stored first row becomes the first column
  6: 'BR/YG', // turned 90° clockwise: the stored left column becomes the top row
  7: 'YG/BR', // transposed across the other diagonal
  8: 'GY/RB', // turned 90° counter-clockwise
};

const quadrants = (size: string) =>
  ['red', 'lime', 'blue', 'yellow'].flatMap((c) => ['-f', 'lavfi', '-i', `color=${c}:size=${size}:rate=5`]);
const LAYOUT = '[0][1]hstack[top];[2][3]hstack[bottom];[top][bottom]vstack';

/** A `width`×`height` JPEG with the quadrant picture (no EXIF). */
export async function quadrantJpeg(dir: string, width: number, height: number): Promise<string> {
  const path = join(dir, `quadrants-${width}x${height}.jpg`);
  await run('ffmpeg', ['-v', 'error', '-y', ...quadrants(`${width / 2}x${height / 2}`), '-filter_complex', `${LAYOUT},format=yuvj420p`, '-frames:v', '1', '-q:v', '2', path]);
  return path;
}

/**
 * A 2 s H.264 MP4 of the quadrant picture, stored `width`×`height`, with a display matrix of
 * 90° counter-clockwise (what ffmpeg 5.1 writes from `rotate=90` when stream-copying), so
 * a viewer sees it `height`×`width` as EXIF orientation 8.
 */
export async function rotatedQuadrantMp4(dir: string, width: number, height: number): Promise<string> {
  const plain = join(dir, 'quadrants-plain.mp4');
  const path = join(dir, 'quadrants-rotated.mp4');
  await run('ffmpeg', ['-v', 'error', '-y', ...quadrants(`${width / 2}x${height / 2}`), '-filter_complex', LAYOUT, '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', plain]);
  await run('ffmpeg', ['-v', 'error', '-y', '-i', plain, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', path]);
  return path;
}

/**
 * The JPEG with an EXIF APP1 segment right after SOI holding only IFD0 with Orientation:
 * "Exif\0\0", a big-endian TIFF header, one IFD entry (tag 0x0112, SHORT, count 1).
 */
export function withExifOrientation(jpeg: Buffer, orientation: number): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4); // IFD0 right after the header
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10);
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt16BE(orientation, 18); // a SHORT sits in the first half of the value field
  tiff.writeUInt32BE(0, 22); // no next IFD
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const marker = Buffer.alloc(4);
  marker.writeUInt16BE(0xffe1, 0);
  marker.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), marker, payload, jpeg.subarray(2)]);
}

export async function writeOrientedJpeg(base: string, orientation: number, dir: string): Promise<string> {
  const path = join(dir, `oriented-${orientation}.jpg`);
  await writeFile(path, withExifOrientation(await readFile(base), orientation));
  return path;
}

const COLORS: Record<string, [number, number, number]> = { R: [255, 0, 0], G: [0, 255, 0], B: [0, 0, 255], Y: [255, 255, 0] };

function nearest(rgb: Buffer): string {
  let best = '?';
  let bestDistance = Infinity;
  for (const [name, c] of Object.entries(COLORS)) {
    const d = c.reduce((sum, v, i) => sum + (v - rgb[i]) ** 2, 0);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  // Far from all four: not one of our quadrants (e.g. a black border).
  return bestDistance < 3 * 80 ** 2 ? best : '?';
}

/**
 * The size of a written picture and the colours at its four quadrant centres, as the
 * pixels are stored (autorotation off: what we check must not depend on a reader's
 * handling of metadata). Reads the first frame of images and videos alike.
 */
export async function readLayout(path: string): Promise<{ width: number; height: number; layout: string }> {
  const { stdout: probe } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', path]);
  const { width, height } = JSON.parse(probe).streams[0] as { width: number; height: number };
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-noautorotate', '-i', path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  const raw = stdout as unknown as Buffer;
  const at = (x: number, y: number) => {
    const i = (Math.floor(y) * width + Math.floor(x)) * 3;
    return nearest(raw.subarray(i, i + 3));
  };
  const [x1, x2, y1, y2] = [width / 4, (3 * width) / 4, height / 4, (3 * height) / 4];
  return { width, height, layout: `${at(x1, y1)}${at(x2, y1)}/${at(x1, y2)}${at(x2, y2)}` };
}
