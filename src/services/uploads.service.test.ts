import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanFilename } from './uploads.service.js';

describe('cleanFilename', () => {
  it('keeps an ordinary name', () => {
    assert.equal(cleanFilename('holiday clip (1).mp4'), 'holiday clip (1).mp4');
    assert.equal(cleanFilename('été.mov'), 'été.mov');
  });

  it('strips POSIX and Windows path parts', () => {
    assert.equal(cleanFilename('../../etc/passwd'), 'passwd');
    assert.equal(cleanFilename('/home/me/videos/a.mp4'), 'a.mp4');
    assert.equal(cleanFilename('C:\\Users\\me\\Videos\\b.mkv'), 'b.mkv');
    assert.equal(cleanFilename('mixed/dirs\\c.webm'), 'c.webm');
  });

  it('removes control characters and surrounding spaces', () => {
    assert.equal(cleanFilename('a\u0000b\u001fc\u007f.mp4'), 'abc.mp4');
    assert.equal(cleanFilename('evil\r\nContent-Type: x.mp4'), 'evilContent-Type: x.mp4');
    assert.equal(cleanFilename('  padded.mp4\t '), 'padded.mp4');
  });

  it('empty results become "upload"', () => {
    assert.equal(cleanFilename(undefined), 'upload');
    assert.equal(cleanFilename(''), 'upload');
    assert.equal(cleanFilename('   '), 'upload');
    assert.equal(cleanFilename('some/dir/'), 'upload');
    assert.equal(cleanFilename('\u0001\u0002'), 'upload');
  });

  it('caps the length at 255 characters', () => {
    const long = `${'x'.repeat(300)}.mp4`;
    const clean = cleanFilename(long);
    assert.equal(clean.length, 255);
    assert.equal(clean, 'x'.repeat(255));
    assert.equal(cleanFilename('y'.repeat(255)), 'y'.repeat(255));
  });
});
