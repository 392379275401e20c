import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onFrameGrid, outputFps, peakFrameRate, snapRate } from './frame-rate.js';

describe('peakFrameRate: the rate a source really reaches', () => {
  it('variable frame rate: r_frame_rate (the peak), not the average', () => {
    // ffprobe of 3 s at 30 fps then 3 s at 10 fps in mp4: r 30/1, avg 1200/59.
    assert.equal(peakFrameRate(30, 20.339, 'progressive'), 30);
    assert.equal(peakFrameRate(29.97, 22.731, 'progressive'), 29.97);
  });
  it('constant rate: both agree', () => {
    assert.equal(peakFrameRate(25, 25, 'progressive'), 25);
    assert.equal(peakFrameRate(30, null, 'unknown'), 30, 'MPEG-TS often has no average');
    assert.equal(peakFrameRate(null, 24, 'unknown'), 24);
    assert.equal(peakFrameRate(null, null, 'unknown'), null);
  });
  it('an r_frame_rate that is a time base, or below the average, is not believed', () => {
    assert.equal(peakFrameRate(1000, 29.97, 'progressive'), 29.97);
    assert.equal(peakFrameRate(90000, 25, 'unknown'), 25);
    assert.equal(peakFrameRate(12, 25, 'progressive'), 25);
    assert.equal(peakFrameRate(480, 480, 'progressive'), 480, 'a real high-speed source');
  });
  it('interlaced H.264 whose r_frame_rate is the field rate: the frame rate is the average', () => {
    assert.equal(peakFrameRate(50, 25, 'tt'), 25);
    assert.equal(peakFrameRate(59.94, 29.97, 'bb'), 29.97);
    assert.equal(peakFrameRate(50, 25, 'progressive'), 50, 'a progressive VFR source keeps its peak');
  });
});

describe('outputFps: a standard constant rate from the peak, capped', () => {
  const fps = (source: number | null, max = 60) => outputFps(source, max);
  it('standard rates stay exact', () => {
    assert.deepEqual(fps(29.97), { value: 30000 / 1001, expr: '30000/1001' });
    assert.deepEqual(fps(23.976), { value: 24000 / 1001, expr: '24000/1001' });
    assert.deepEqual(fps(59.94), { value: 60000 / 1001, expr: '60000/1001' });
    assert.deepEqual(fps(25), { value: 25, expr: '25' });
    assert.deepEqual(fps(12.5), { value: 12.5, expr: '25/2' });
  });
  it('within 0.5 % of a standard rate: that rate', () => {
    assert.deepEqual(fps(30.02), { value: 30, expr: '30' });
    assert.deepEqual(fps(49.9), { value: 50, expr: '50' });
  });
  it('a real rate that is not standard is kept as it is', () => {
    assert.deepEqual(fps(16), { value: 16, expr: '16' });
    assert.deepEqual(snapRate(20.339), { value: 20.339, expr: '20.339' });
  });
  it('above the cap: an integer divisor, then snapped again', () => {
    assert.deepEqual(fps(120), { value: 60, expr: '60' });
    assert.deepEqual(fps(119.88), { value: 60000 / 1001, expr: '60000/1001' });
    assert.deepEqual(fps(50), { value: 50, expr: '50' });
    assert.deepEqual(fps(50, 30), { value: 25, expr: '25' });
    assert.deepEqual(fps(59.94, 30), { value: 30000 / 1001, expr: '30000/1001' });
    assert.deepEqual(fps(144, 60), { value: 48, expr: '48' });
    assert.deepEqual(fps(30, 24), { value: 15, expr: '15' });
  });
  it('unknown or absurd: 30', () => {
    assert.deepEqual(fps(null), { value: 30, expr: '30' });
    assert.deepEqual(fps(0), { value: 30, expr: '30' });
    assert.deepEqual(fps(5000), { value: 30, expr: '30' });
  });
});

describe('onFrameGrid: packet times on one constant-rate grid', () => {
  const grid = (n: number, fps: number) => Array.from({ length: n }, (_, k) => k / fps);
  it('a constant rate, in any order, with millisecond timestamps, is on the grid', () => {
    assert.equal(onFrameGrid(grid(90, 30), 30), true);
    assert.equal(onFrameGrid([0, 0.067, 0.033, 0.1, 0.133], 30), true);
    assert.equal(onFrameGrid(grid(60, 30000 / 1001).map((t) => Math.round(t * 1000) / 1000), 30000 / 1001), true);
  });
  it('a dropped frame, a slower part or nothing at all is not', () => {
    const times = grid(90, 30);
    times.splice(40, 1);
    assert.equal(onFrameGrid(times, 30), false);
    assert.equal(onFrameGrid([...grid(30, 30), ...grid(10, 10).map((t) => 1 + t)], 30), false);
    assert.equal(onFrameGrid([], 30), false);
    assert.equal(onFrameGrid(grid(10, 25), 30), false);
  });
});
