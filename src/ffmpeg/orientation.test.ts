import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orientationFilters, orientationFromAngle, orientationFromExif, orientationFromMatrix } from './orientation.js';

// EXIF orientation → the filters that make the stored picture upright. Each was checked on
// a four-colour test picture against ffmpeg 5.1's own autorotation of the same JPEG.
const FILTERS: Record<number, { rotation: number; mirrored: boolean; filters: string[] }> = {
  1: { rotation: 0, mirrored: false, filters: [] },
  2: { rotation: 0, mirrored: true, filters: ['hflip'] },
  3: { rotation: 180, mirrored: false, filters: ['hflip', 'vflip'] },
  4: { rotation: 180, mirrored: true, filters: ['vflip'] },
  5: { rotation: 90, mirrored: true, filters: ['transpose=cclock_flip'] },
  6: { rotation: 90, mirrored: false, filters: ['transpose=clock'] },
  7: { rotation: 270, mirrored: true, filters: ['transpose=clock_flip'] },
  8: { rotation: 270, mirrored: false, filters: ['transpose=cclock'] },
};

describe('orientation', () => {
  for (const [exif, want] of Object.entries(FILTERS)) {
    it(`EXIF ${exif}: rotate ${want.rotation}° clockwise${want.mirrored ? ', then mirror' : ''} → ${want.filters.join(',') || 'no filter'}`, () => {
      const o = orientationFromExif(exif);
      assert.deepEqual(o, { rotation: want.rotation, mirrored: want.mirrored });
      assert.deepEqual(orientationFilters(o!), want.filters);
    });
  }

  it('EXIF values come padded from ffprobe; anything outside 1–8 is unknown', () => {
    assert.deepEqual(orientationFromExif('    6'), { rotation: 90, mirrored: false });
    for (const bad of ['0', '9', 'x', '', undefined]) assert.equal(orientationFromExif(bad), null, String(bad));
  });

  it('display matrices: scale does not matter, rounding noise is ignored, other angles are not one of the eight', () => {
    const text = (a: number, b: number, c: number, d: number) => `\n00000000: ${a} ${b} 0\n00000001: ${c} ${d} 0\n00000002: 0 0 1073741824\n`;
    assert.deepEqual(orientationFromMatrix(text(0, 65536, -65536, 0)), { rotation: 90, mirrored: false });
    assert.deepEqual(orientationFromMatrix(text(0, 2, -2, 0)), { rotation: 90, mirrored: false });
    assert.deepEqual(orientationFromMatrix(text(3, 65536, -65536, -2)), { rotation: 90, mirrored: false });
    assert.equal(orientationFromMatrix(text(46341, 46341, -46341, 46341)), null); // 45°
    assert.equal(orientationFromMatrix(text(0, 0, 0, 0)), null);
    assert.equal(orientationFromMatrix('garbage'), null);
    assert.equal(orientationFromMatrix(undefined), null);
  });

  it('angles round to a quarter turn and normalise to 0…270', () => {
    assert.deepEqual([-90, 450, 89, 181, -360].map((a) => orientationFromAngle(a).rotation), [270, 90, 90, 180, 0]);
  });

  it('metadata without `mirrored` (stored by earlier versions) is not mirrored', () => {
    assert.deepEqual(orientationFilters({ rotation: 90 }), ['transpose=clock']);
    assert.deepEqual(orientationFilters({ rotation: 0 }), []);
  });
});
