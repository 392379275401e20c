import type { MediaMetadata } from '../domain/media.js';

/**
 * How a stored picture becomes upright: rotate it clockwise by `rotation`, then mirror it
 * left-right when `mirrored`. A rotation alone cannot say EXIF orientations 2, 4, 5 and 7
 * (a phone's front camera, a scanner), so the mirror is a field of its own.
 */
export interface Orientation {
  rotation: 0 | 90 | 180 | 270;
  mirrored: boolean;
}

export const UPRIGHT: Orientation = { rotation: 0, mirrored: false };

/** EXIF Orientation (tag 0x0112) 1–8. */
const EXIF: Record<number, Orientation> = {
  1: { rotation: 0, mirrored: false },
  2: { rotation: 0, mirrored: true },
  3: { rotation: 180, mirrored: false },
  4: { rotation: 180, mirrored: true },
  5: { rotation: 90, mirrored: true },
  6: { rotation: 90, mirrored: false },
  7: { rotation: 270, mirrored: true },
  8: { rotation: 270, mirrored: false },
};

/**
 * The eight display matrices without scaling, keyed by the signs of their 2×2 part
 * (`a b` of the first row, `c d` of the second, as ffprobe prints them), to the EXIF
 * orientation. These are the matrices ffmpeg itself makes from each EXIF value (mjpeg
 * decoder) and the ones phones write in MP4/MOV; checked picture by picture against
 * ffmpeg 5.1's autorotation.
 */
const MATRIX_SIGNS: Record<string, number> = {
  '1,0,0,1': 1,
  '-1,0,0,1': 2,
  '-1,0,0,-1': 3,
  '1,0,0,-1': 4,
  '0,1,1,0': 5,
  '0,1,-1,0': 6,
  '0,-1,-1,0': 7,
  '0,-1,1,0': 8,
};

export function orientationFromExif(value: string | number | undefined): Orientation | null {
  if (value === undefined) return null;
  return EXIF[Number(String(value).trim())] ?? null;
}

/** A clockwise angle in degrees, rounded to a quarter turn; no mirror. */
export function orientationFromAngle(clockwise: number): Orientation {
  const r = (((Math.round(clockwise / 90) * 90) % 360) + 360) % 360;
  return { rotation: r as Orientation['rotation'], mirrored: false };
}

/** ffprobe's `displaymatrix` text (three rows of three numbers); null unless it is one of the eight. */
export function orientationFromMatrix(text: string | undefined): Orientation | null {
  if (!text) return null;
  const rows = text
    .split('\n')
    .map((line) => line.slice(line.indexOf(':') + 1).trim())
    .filter((line) => line.length > 0)
    .map((line) => line.split(/\s+/).map(Number));
  if (rows.length < 2 || rows[0].length < 2 || rows[1].length < 2) return null;
  const cells = [rows[0][0], rows[0][1], rows[1][0], rows[1][1]];
  if (cells.some((x) => !Number.isFinite(x))) return null;
  const scale = Math.max(...cells.map(Math.abs));
  if (scale === 0) return null;
  // Small entries are rounding noise of a rotation by a quarter turn.
  const key = cells.map((x) => (Math.abs(x) < scale / 4 ? 0 : Math.sign(x))).join(',');
  const exif = MATRIX_SIGNS[key];
  return exif === undefined ? null : EXIF[exif];
}

/** The metadata's orientation; `rotation` is normally a quarter turn already, `mirrored` absent in older metadata. */
export function orientationOf(meta: Pick<MediaMetadata, 'rotation' | 'mirrored'>): Orientation {
  return { ...orientationFromAngle(meta.rotation), mirrored: meta.mirrored === true };
}

/** The filters that turn the stored picture upright (with `-noautorotate` on the input). */
export function orientationFilters(meta: Pick<MediaMetadata, 'rotation' | 'mirrored'>): string[] {
  const { rotation, mirrored } = orientationOf(meta);
  switch (rotation) {
    case 0:
      return mirrored ? ['hflip'] : [];
    case 180:
      return mirrored ? ['vflip'] : ['hflip', 'vflip'];
    case 90:
      // transpose's cclock_flip is the plain transpose (EXIF 5); clock_flip the anti-transpose (EXIF 7).
      return [mirrored ? 'transpose=cclock_flip' : 'transpose=clock'];
    case 270:
      return [mirrored ? 'transpose=clock_flip' : 'transpose=cclock'];
  }
}
