import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from './errors.js';
import { assertValidKey, isSafeId, keys } from './keys.js';

function assertRejected(key: string): void {
  assert.throws(() => assertValidKey(key), (err: unknown) => {
    assert.ok(err instanceof DomainError, `expected a DomainError for ${JSON.stringify(key)}`);
    assert.equal(err.code, 'validation_failed');
    return true;
  }, JSON.stringify(key));
}

describe('assertValidKey', () => {
  it('accepts the keys the application builds', () => {
    for (const k of ['jobs/job_x/00-frames/frames.zip', 'uploads/upl_01hx7k/source', 'jobs/job_x/01-thumbnail/thumbnail.jpg', 'a', 'A.b-c_d']) {
      assert.doesNotThrow(() => assertValidKey(k), k);
    }
  });

  it('accepts what the key helpers produce', () => {
    assert.doesNotThrow(() => assertValidKey(keys.uploadSource('acc_01hx', 'upl_01hx')));
    assert.doesNotThrow(() => assertValidKey(keys.outputFile('acc_admin', 'job_01hx', 3, 'frames', 'manifest.json')));
    // The deepest key there is: an HLS rung's segment, under the account's prefix.
    assert.doesNotThrow(() => assertValidKey(`${keys.outputFile('acc_01hx7k', 'job_01hx', 3, 'hls', '1080p')}/seg_00001.m4s`));
  });

  it('rejects parent and current directory segments', () => {
    for (const k of ['..', 'jobs/../etc/passwd', 'jobs/job_x/..', '.', 'jobs/./x', '../x']) assertRejected(k);
  });

  it('rejects absolute keys and empty segments', () => {
    for (const k of ['/etc/passwd', '/jobs/x', 'jobs//x', 'jobs/x/', '']) assertRejected(k);
  });

  it('rejects NUL, spaces, backslashes and other characters', () => {
    for (const k of ['jobs/x\u0000.jpg', 'jobs/a b', ' jobs/x', 'jobs\\x', 'jobs/x?y', 'jobs/é', 'jobs/x\n']) assertRejected(k);
  });

  it('rejects segments starting with a dot, dash or underscore', () => {
    for (const k of ['.hidden', 'jobs/.x', 'jobs/-x', 'jobs/_x']) assertRejected(k);
  });

  it('limits segment length and depth', () => {
    assert.doesNotThrow(() => assertValidKey(`a${'b'.repeat(127)}`));
    assertRejected(`a${'b'.repeat(128)}`);
    assert.doesNotThrow(() => assertValidKey(Array.from({ length: 9 }, () => 'd').join('/')));
    assertRejected(Array.from({ length: 10 }, () => 'd').join('/'));
  });
});

describe('keys', () => {
  it('builds the storage layout', () => {
    assert.equal(keys.uploadSource('acc_a', 'upl_1'), 'acc_a/uploads/upl_1/source');
    assert.equal(keys.jobPrefix('acc_a', 'job_1'), 'acc_a/jobs/job_1/');
    assert.equal(keys.outputFile('acc_a', 'job_1', 0, 'frames', 'frames.zip'), 'acc_a/jobs/job_1/00-frames/frames.zip');
    assert.equal(keys.outputFile('acc_b', 'job_1', 12, 'thumbnail', 'thumbnail.jpg'), 'acc_b/jobs/job_1/12-thumbnail/thumbnail.jpg');
  });
});

describe('isSafeId', () => {
  it('8 to 64 letters, digits, _ and -', () => {
    assert.equal(isSafeId('job_01hx7k3m'), true);
    assert.equal(isSafeId('a'.repeat(64)), true);
    assert.equal(isSafeId('short'), false);
    assert.equal(isSafeId('a'.repeat(65)), false);
    assert.equal(isSafeId('job_01hx/../x'), false);
    assert.equal(isSafeId('job 01hx7k3m'), false);
  });
});
