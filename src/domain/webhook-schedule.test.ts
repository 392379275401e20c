import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyAnswer, decideAttempt, DEFAULT_RETRY_SCHEDULE, firstAttemptAt, jittered, nextAttemptAt, parseRetrySchedule, retryAfterMs } from './webhook-schedule.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const schedule = parseRetrySchedule(DEFAULT_RETRY_SCHEDULE);
/** The midpoint of the jitter: the wait as written. */
const MID = 0.5;

describe('webhook retry schedule', () => {
  it('is Standard Webhooks\' schedule by default: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h', () => {
    assert.deepEqual(schedule, [0, 5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H]);
    const total = schedule.reduce((a, b) => a + b, 0);
    assert.ok(total > 75 * H && total < 76 * H, `about 75 h in all: ${total / H} h`);
  });

  it('waits longer after each failure, and gives up when the schedule is used up', () => {
    const now = 1_000_000;
    const waits = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((made) => nextAttemptAt(made, schedule, now, MID)! - now);
    assert.deepEqual(waits, [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H]);
    for (let i = 1; i < waits.length; i++) assert.ok(waits[i] > waits[i - 1], `wait ${i + 1} is longer than wait ${i}`);
    assert.equal(nextAttemptAt(10, schedule, now, MID), null, 'ten attempts, then the delivery has failed');
    assert.equal(firstAttemptAt(schedule, now, 0.99), now, 'the first attempt is at once');
  });

  it('jitters every wait by up to 10 % either way, never a wait of 0', () => {
    assert.equal(jittered(10 * S, 0), 9 * S);
    assert.equal(jittered(10 * S, 0.999999), 11 * S);
    assert.equal(jittered(10 * S, MID), 10 * S);
    assert.equal(jittered(0, 0.9), 0);
    const spread = new Set([0, 0.25, 0.5, 0.75].map((r) => nextAttemptAt(1, schedule, 0, r)));
    assert.equal(spread.size, 4, 'different random numbers give different times');
  });

  it('honours a Retry-After longer than the scheduled wait, never a shorter one', () => {
    assert.equal(nextAttemptAt(1, schedule, 0, MID, 60 * S), 60 * S);
    assert.equal(nextAttemptAt(2, schedule, 0, MID, 60 * S), 5 * M);
    assert.equal(nextAttemptAt(10, schedule, 0, MID, 60 * S), null, 'it does not add attempts');
  });

  it('reads Retry-After (seconds or a date) on 429, 502 and 504 only, at most an hour', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    assert.equal(retryAfterMs(429, '120', now), 120 * S);
    assert.equal(retryAfterMs(502, new Date(now + 30 * S).toUTCString(), now), 30 * S);
    assert.equal(retryAfterMs(504, '86400', now), H);
    assert.equal(retryAfterMs(503, '120', now), null, '503 is an ordinary failure');
    assert.equal(retryAfterMs(429, 'soon', now), null);
    assert.equal(retryAfterMs(429, undefined, now), null);
    assert.equal(retryAfterMs(429, new Date(now - 5 * S).toUTCString(), now), 0, 'a date in the past: no extra wait');
  });

  it('parses units and refuses what is not a schedule, naming the entry', () => {
    assert.deepEqual(parseRetrySchedule('0, 250ms,2,1.5m,1d'), [0, 250, 2 * S, 90 * S, 24 * H]);
    assert.throws(() => parseRetrySchedule('0,5x'), /"5x"/);
    assert.throws(() => parseRetrySchedule(''), /""/);
    assert.throws(() => parseRetrySchedule('8d'), /"8d"/);
    assert.throws(() => parseRetrySchedule(Array(51).fill('1s').join(',')), /at most 50/);
  });

  it('2xx is delivered, 410 disables, everything else (redirects too) fails', () => {
    assert.deepEqual([200, 204, 299, 301, 302, 400, 410, 429, 500].map(classifyAnswer), ['succeeded', 'succeeded', 'succeeded', 'failed', 'failed', 'failed', 'gone', 'failed', 'failed']);
  });

  it('decides each attempt: delivered, tried again on schedule, paused by Retry-After, disabled by 410, failed when used up', () => {
    const now = 1_000_000;
    assert.deepEqual(decideAttempt(1, { status: 204, retryAfter: null }, schedule, now, MID), { status: 'succeeded', nextAttemptAt: null, disableEndpoint: null, pauseEndpointUntil: null });
    assert.deepEqual(decideAttempt(1, { status: 500, retryAfter: '60' }, schedule, now, MID), { status: 'pending', nextAttemptAt: now + 5 * S, disableEndpoint: null, pauseEndpointUntil: null }, 'Retry-After only on 429, 502, 504');
    assert.deepEqual(decideAttempt(1, { status: 429, retryAfter: '60' }, schedule, now, MID), { status: 'pending', nextAttemptAt: now + 60 * S, disableEndpoint: null, pauseEndpointUntil: now + 60 * S });
    assert.deepEqual(decideAttempt(3, { error: 'connect ECONNREFUSED' }, schedule, now, MID), { status: 'pending', nextAttemptAt: now + 30 * M, disableEndpoint: null, pauseEndpointUntil: null });
    assert.deepEqual(decideAttempt(10, { status: 500, retryAfter: null }, schedule, now, MID), { status: 'failed', nextAttemptAt: null, disableEndpoint: null, pauseEndpointUntil: null });
    const gone = decideAttempt(1, { status: 410, retryAfter: null }, schedule, now, MID);
    assert.equal(gone.status, 'failed');
    assert.match(gone.disableEndpoint ?? '', /410 Gone/);
    assert.equal(gone.nextAttemptAt, null, 'a 410 is not tried again');
  });
});
