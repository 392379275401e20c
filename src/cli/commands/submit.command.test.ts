import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../client.js';
import { outputsFromOptions, type SubmitOptions } from './submit.command.js';

const opts = (over: Partial<SubmitOptions>): SubmitOptions => ({ out: './out', wait: true, ...over });

function assertBadOption(over: Partial<SubmitOptions>, flag: string): void {
  assert.throws(() => outputsFromOptions(opts(over)), (err: unknown) => {
    assert.ok(err instanceof ApiError, 'expected an ApiError');
    assert.equal(err.code, 'validation_failed');
    assert.equal(err.status, 0);
    assert.equal(err.message, `${flag} must be a positive number`);
    return true;
  });
}

describe('outputsFromOptions', () => {
  it('no output flags: metadata only', () => {
    assert.deepEqual(outputsFromOptions(opts({})), []);
  });

  it('--frames gives frames at that fps', () => {
    assert.deepEqual(outputsFromOptions(opts({ frames: '2' })), [{ type: 'frames', fps: 2 }]);
    assert.deepEqual(outputsFromOptions(opts({ frames: '0.5' })), [{ type: 'frames', fps: 0.5 }]);
  });

  it('--frames-count wins over --frames', () => {
    assert.deepEqual(outputsFromOptions(opts({ framesCount: '12' })), [{ type: 'frames', count: 12 }]);
    assert.deepEqual(outputsFromOptions(opts({ frames: '1', framesCount: '12' })), [{ type: 'frames', count: 12 }]);
  });

  it('format, width and fast mode', () => {
    assert.deepEqual(outputsFromOptions(opts({ frames: '1', framesFormat: 'png', framesWidth: '320', fast: true })), [
      { type: 'frames', fps: 1, format: 'png', width: 320, mode: 'fast' },
    ]);
  });

  it('format, width and fast alone do not create a frames output', () => {
    assert.deepEqual(outputsFromOptions(opts({ framesFormat: 'png', framesWidth: '320', fast: true })), []);
  });

  it('--thumbnail, alone and after frames', () => {
    assert.deepEqual(outputsFromOptions(opts({ thumbnail: true })), [{ type: 'thumbnail' }]);
    assert.deepEqual(outputsFromOptions(opts({ frames: '1', thumbnail: true })), [{ type: 'frames', fps: 1 }, { type: 'thumbnail' }]);
  });

  it('rejects values that are not positive numbers, naming the flag', () => {
    assertBadOption({ frames: 'abc' }, '--frames');
    assertBadOption({ frames: '0' }, '--frames');
    assertBadOption({ framesCount: '-3' }, '--frames-count');
    assertBadOption({ frames: '1', framesWidth: 'wide' }, '--frames-width');
    assertBadOption({ frames: 'Infinity' }, '--frames');
  });

  it('the clip-product shorthands: vertical 60 s series with a ZIP, an MP4 and the audio track', () => {
    assert.deepEqual(outputsFromOptions(opts({ clips: '60', aspect: '9:16', fit: 'pad', zip: true, mp4: true, audio: 'mp3' })), [
      { type: 'clips', segmentSeconds: 60, aspect: '9:16', fit: 'pad', archive: true },
      { type: 'mp4' },
      { type: 'audio', format: 'mp3' },
    ]);
    assert.deepEqual(outputsFromOptions(opts({ clips: '10', fast: true, mp4: '720', hls: true })), [
      { type: 'clips', segmentSeconds: 10, mode: 'fast' },
      { type: 'mp4', height: 720 },
      { type: 'hls' },
    ]);
    assertBadOption({ clips: 'ten' }, '--clips');
    assertBadOption({ mp4: '0' }, '--mp4');
  });

  it('--aspect, --fit or --zip without --clips is refused, saying what to add', () => {
    for (const over of [{ aspect: '9:16' }, { fit: 'crop' }, { zip: true }]) {
      assert.throws(() => outputsFromOptions(opts(over)), /add --clips <seconds>/);
    }
  });

  it('--output takes any output as JSON, repeatable, after the shorthands', () => {
    assert.deepEqual(outputsFromOptions(opts({ thumbnail: true, output: ['{"type":"gif","duration":3}', '{"type":"webp"}'] })), [
      { type: 'thumbnail' },
      { type: 'gif', duration: 3 },
      { type: 'webp' },
    ]);
    assert.throws(() => outputsFromOptions(opts({ output: ['{type: gif}'] })), (err: unknown) => err instanceof ApiError && err.code === 'validation_failed' && /one output as JSON/.test(err.message));
    assert.throws(() => outputsFromOptions(opts({ output: ['[1,2]'] })), /one JSON object/);
  });
});
