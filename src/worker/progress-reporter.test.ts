import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressReporter } from './progress-reporter.js';

const reporter = (outputs: number) => new ProgressReporter(outputs, 500, async () => undefined);

describe('ProgressReporter.percentFor', () => {
  it('probing (no output yet) takes the first 2 %', () => {
    const r = reporter(2);
    assert.equal(r.percentFor(null, 0), 0);
    assert.equal(r.percentFor(null, 0.5), 1);
    assert.equal(r.percentFor(null, 1), 2);
  });

  it('one output spans 2 … 99.9', () => {
    const r = reporter(1);
    assert.equal(r.percentFor(0, 0), 2);
    assert.equal(r.percentFor(0, 0.5), 51);
    assert.equal(r.percentFor(0, 0.999), 99.9);
    assert.equal(r.percentFor(0, 1), 99.9);
  });

  it('outputs share the remaining 98 % equally', () => {
    const r = reporter(2);
    assert.equal(r.percentFor(0, 0.5), 26.5);
    assert.equal(r.percentFor(1, 0), 51);
    assert.equal(r.percentFor(1, 0.5), 75.5);
  });

  it('rounds to one decimal', () => {
    const r = reporter(3);
    assert.equal(r.percentFor(0, 1 / 3), 12.9);
    assert.equal(r.percentFor(1, 0.5), 51);
    assert.equal(r.percentFor(2, 0.25), 75.5);
  });

  it('fractions outside 0…1 are clamped', () => {
    const r = reporter(2);
    assert.equal(r.percentFor(0, -0.5), 2);
    assert.equal(r.percentFor(0, 1.7), 51);
  });

  it('never reaches 100 before the job is done', () => {
    const r = reporter(4);
    assert.equal(r.percentFor(3, 1), 99.9);
    assert.equal(r.percentFor(3, 5), 99.9);
  });

  it('a job with no outputs only has the probe stage', () => {
    const r = reporter(0);
    assert.equal(r.percentFor(0, 0.5), 1);
    assert.equal(r.percentFor(null, 1), 2);
  });
});
