import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_EVENT_TYPES, deliveryBody, progressEventDue, subscribes, WEBHOOK_EVENT_TYPES } from './webhooks.js';

describe('webhook events', () => {
  it('an endpoint without `events` gets every type but job.progress, which is asked for by name', () => {
    assert.deepEqual(DEFAULT_EVENT_TYPES, ['upload.ready', 'job.started', 'job.output.ready', 'job.succeeded', 'job.failed', 'job.canceled']);
    assert.ok(WEBHOOK_EVENT_TYPES.includes('job.progress'));
    assert.equal(subscribes({ events: ['job.failed'] }, 'job.succeeded'), false);
    assert.equal(subscribes({ events: ['job.failed'] }, 'webhook.test'), true, 'the test event goes to the endpoint it was sent for');
  });

  it('job.progress comes at most every 10 s', () => {
    assert.equal(progressEventDue(19_999, 10_000), false);
    assert.equal(progressEventDue(20_000, 10_000), true);
  });

  it('the body is { type, timestamp, data }, with the output index and phase for job.output.ready', () => {
    const at = Date.UTC(2026, 0, 1);
    assert.equal(deliveryBody({ type: 'job.succeeded', at, output: null }, { id: 'job_1' }), '{"type":"job.succeeded","timestamp":"2026-01-01T00:00:00.000Z","data":{"id":"job_1"}}');
    assert.deepEqual(JSON.parse(deliveryBody({ type: 'job.output.ready', at, output: 2 }, {})), { type: 'job.output.ready', timestamp: '2026-01-01T00:00:00.000Z', output: 2, phase: 'stored', data: {} });
    assert.equal(JSON.parse(deliveryBody({ type: 'job.output.ready', at, output: 0, phase: 'playable' }, {})).phase, 'playable');
    assert.equal(JSON.parse(deliveryBody({ type: 'job.succeeded', at, output: null, phase: 'playable' }, {})).phase, undefined, 'other events have none');
  });
});
