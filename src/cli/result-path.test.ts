import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ApiError } from './client.js';
import { jobResultDir, relativeSegments, resultPath } from './result-path.js';

const OUT = '/srv/results';
const JOB = 'job_01hx0000000000000000000000';

function assertRefused(fn: () => unknown, why: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, 'expected an ApiError');
    assert.equal(err.code, 'unsafe_file_name');
    assert.match(err.message, why);
    assert.match(err.message, /nothing of this job was saved/);
    return true;
  });
}

describe('resultPath', () => {
  it('keeps the storage layout: one folder per output, nested names as sub-folders', () => {
    assert.equal(resultPath(OUT, JOB, 0, 'frames', 'frames.zip'), `/srv/results/${JOB}/00-frames/frames.zip`);
    assert.equal(resultPath(OUT, JOB, 1, 'hls', 'master.m3u8'), `/srv/results/${JOB}/01-hls/master.m3u8`);
    assert.equal(resultPath(OUT, JOB, 1, 'hls', 'v0/index.m3u8'), `/srv/results/${JOB}/01-hls/v0/index.m3u8`);
    assert.equal(resultPath(OUT, JOB, 12, 'clips', 'clip-001.mp4'), `/srv/results/${JOB}/12-clips/clip-001.mp4`);
    assert.equal(jobResultDir(OUT, JOB), `/srv/results/${JOB}`);
  });

  it('resolves a relative --out folder against the working directory', () => {
    assert.equal(resultPath('results/', JOB, 0, 'hls', 'v1/seg_00000.m4s'), join(resolve('results'), JOB, '00-hls', 'v1', 'seg_00000.m4s'));
  });

  it('allows dots inside names', () => {
    assert.equal(resultPath(OUT, JOB, 0, 'hls', 'v0/..seg.m4s'), `/srv/results/${JOB}/00-hls/v0/..seg.m4s`);
    assert.equal(resultPath(OUT, JOB, 0, 'frames', '.manifest'), `/srv/results/${JOB}/00-frames/.manifest`);
  });

  it('refuses file names that could leave the folder', () => {
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', '../../etc/passwd'), /file name "\.\.\/\.\.\/etc\/passwd": it has a "\.\." segment/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', 'v0/../../x'), /"\.\." segment/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', '..'), /"\.\." segment/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', './x'), /"\." segment/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', '/etc/cron.d/x'), /absolute path/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', '..\\..\\x.bat'), /backslash/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', 'v0\\index.m3u8'), /backslash/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', 'C:/Windows/x'), /colon/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', 'a.m3u8\0.jpg'), /NUL or control/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', 'a\nb'), /NUL or control/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', 'v0//x'), /empty path segment/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', 'v0/'), /empty path segment/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', ''), /empty/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', 'x'.repeat(1025)), /longer than 1024/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls', undefined as unknown as string), /file name undefined: it is empty/);
  });

  it('refuses a job id or output type that is not one plain folder name', () => {
    assertRefused(() => resultPath(OUT, '..', 0, 'hls', 'master.m3u8'), /job id "\.\."/);
    assertRefused(() => resultPath(OUT, '../job_x', 0, 'hls', 'master.m3u8'), /job id/);
    assertRefused(() => jobResultDir(OUT, '/tmp'), /job id "\/tmp": it is an absolute path/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'hls/../..', 'master.m3u8'), /output type/);
    assertRefused(() => resultPath(OUT, JOB, 0, 'a/b', 'master.m3u8'), /output type "a\/b": it contains a "\/"/);
  });
});

describe('relativeSegments', () => {
  it('splits a relative name into its parts', () => {
    assert.deepEqual(relativeSegments('master.m3u8', 'file name'), ['master.m3u8']);
    assert.deepEqual(relativeSegments('v0/index.m3u8', 'file name'), ['v0', 'index.m3u8']);
  });
});
