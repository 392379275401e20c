import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobRoute, LIGHTEST_ROUTE, parseRoutes, ROUTES } from './routes.js';

describe('jobRoute', () => {
  it('is the most demanding output type of the job', () => {
    assert.equal(jobRoute([{ type: 'thumbnail' }, { type: 'hls' }, { type: 'frames' }]), 'hls');
    assert.equal(jobRoute([{ type: 'frames' }, { type: 'thumbnail' }]), 'frames');
    assert.equal(jobRoute([{ type: 'audio' }, { type: 'gif' }]), 'gif');
    assert.equal(jobRoute([{ spec: { type: 'mp4' } }, { spec: { type: 'clips' } }]), 'clips');
  });

  it('sends a metadata-only job to the lightest route', () => {
    assert.equal(jobRoute([]), LIGHTEST_ROUTE);
    assert.equal(LIGHTEST_ROUTE, 'image');
  });
});

describe('parseRoutes', () => {
  it('accepts a comma-separated list, trimmed, deduplicated, in route order', () => {
    assert.deepEqual(parseRoutes('frames, hls,frames'), ['hls', 'frames']);
    assert.deepEqual(parseRoutes(ROUTES.join(',')), [...ROUTES]);
  });

  it('names the bad value and the allowed ones in one line', () => {
    assert.throws(() => parseRoutes('hls,mp3'), (err: Error) => {
      assert.equal(err.message, `unknown output type "mp3"; allowed: ${ROUTES.join(', ')}`);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
    assert.throws(() => parseRoutes(' , '), /no output types given; use a comma-separated list of: hls, clips/);
  });
});
