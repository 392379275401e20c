import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressReporter } from './progress-reporter.js';

const reporter = (outputs: number) => new ProgressReporter({ outputs, intervalMs: 500, clock: { now: () => 0 }, send: async () => undefined });

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

describe('ProgressReporter throttling, on the clock it is given', () => {
  const setup = () => {
    let now = 10_000;
    const sent: Array<[number, string]> = [];
    const r = new ProgressReporter({ outputs: 1, intervalMs: 500, clock: { now: () => now }, send: async (p, s) => void sent.push([p, s]) });
    return { r, sent, advance: (ms: number) => (now += ms) };
  };

  it('sends the first value at once, holds the next ones until the interval has passed on the clock', async () => {
    const { r, sent, advance } = setup();
    r.report(2, 'probing');
    r.report(10, 'frames (1/1)');
    advance(499);
    r.report(20, 'frames (1/1)');
    assert.deepEqual(sent, [[2, 'probing']], 'within the interval: held');
    advance(1);
    r.report(30, 'frames (1/1)');
    assert.deepEqual(sent, [[2, 'probing'], [30, 'frames (1/1)']], 'the interval has passed: the newest value goes');
    r.stop();
  });

  it('flush sends the held value; stop drops it', async () => {
    const { r, sent } = setup();
    r.report(2, 'probing');
    r.report(40, 'frames (1/1)');
    await r.flush();
    assert.deepEqual(sent.at(-1), [40, 'frames (1/1)']);
    r.report(50, 'frames (1/1)');
    r.stop();
    await r.flush();
    assert.equal(sent.length, 2);
  });

  it('writes to the database at most every writeEveryMs, on a new stage, and on flush; every update is still sent live', async () => {
    let now = 0;
    const sent: Array<[number, string, boolean]> = [];
    const r = new ProgressReporter({ outputs: 1, intervalMs: 500, writeEveryMs: 2_000, clock: { now: () => now }, send: async (p, s, w) => void sent.push([p, s, w]) });
    r.report(2, 'probing');
    for (const [t, p] of [[500, 10], [1000, 20], [1500, 30], [2000, 40], [2500, 50]] as const) {
      now = t;
      r.report(p, 'frames (1/1)');
    }
    now = 3000;
    r.report(60, 'frames (1/1)');
    now = 4000;
    r.report(70, 'frames (1/1)');
    now = 4100;
    r.report(80, 'frames (1/1)');
    await r.flush();
    assert.deepEqual(sent, [
      [2, 'probing', true],
      [10, 'frames (1/1)', true], // a new stage is written at once
      [20, 'frames (1/1)', false],
      [30, 'frames (1/1)', false],
      [40, 'frames (1/1)', false],
      [50, 'frames (1/1)', true], // 2 s after the last write
      [60, 'frames (1/1)', false],
      [70, 'frames (1/1)', false],
      [80, 'frames (1/1)', true], // flush writes the final value
    ]);
  });
});
