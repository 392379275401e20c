import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { media } from '../helpers/media.js';
import { parseExposition, sampleValue } from '../helpers/metrics-text.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';

const TOKEN = 'metrics-token-0123456789';

describe('e2e: GET /metrics of an embedded platform that has run a job', () => {
  let p: TestPlatform;
  let jobId: string;
  let uploadBytes: number;
  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_METRICS_TOKEN: TOKEN });
    const bytes = await readFile(await media('clip6.mp4'));
    uploadBytes = bytes.length;
    const up = await p.api('POST', '/v1/uploads?filename=clip.mp4', bytes, { 'content-type': 'application/octet-stream' });
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'frames', fps: 1 }, { type: 'thumbnail', width: 96 }] });
    jobId = created.body.id;
    const events = await collectEvents(p.base, jobId);
    assert.equal(events.at(-1)?.data.status, 'succeeded');
    await p.api('GET', `/v1/jobs/${jobId}`);
    await fetch(`${p.base}/no/such/path/${jobId}`);
  });
  after(() => p.stop());

  const scrape = async (headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) => fetch(`${p.base}/metrics`, { headers });

  it('needs the metrics token when one is set: 401 with a code without it or with another, 200 with it', async () => {
    const none = await scrape({});
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="metrics"');
    const noneBody = await none.json();
    assert.equal(noneBody.error.code, 'unauthorized');
    assert.match(noneBody.error.message, /MEDIAFORGE_METRICS_TOKEN/);
    // An API key is not the metrics token.
    assert.equal((await scrape({ authorization: `Bearer ${TOKEN}x` })).status, 401);
    const ok = await scrape();
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  });

  it('labels HTTP requests by route template, never by the raw path, and unknown paths by one fixed label', async () => {
    const text = await (await scrape()).text();
    assert.ok(!text.includes(jobId), 'no job id appears in any label');
    const samples = parseExposition(text);
    assert.ok((sampleValue(samples, 'http_requests_total', { method: 'GET', route: '/v1/jobs/:id', status: '200' }) ?? 0) >= 1);
    assert.ok((sampleValue(samples, 'http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }) ?? 0) >= 1);
    assert.ok((sampleValue(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/jobs', status: '202' }) ?? 0) >= 1);
    const routes = new Set(samples.filter((s) => s.name === 'http_requests_total').map((s) => s.labels.route));
    for (const r of routes) assert.ok(r === 'unmatched' || r.startsWith('/'), `route label ${r}`);
  });

  it('counts the job, its outputs, frames, CPU, upload bytes, ffmpeg speed and the queue gauges', async () => {
    const s = parseExposition(await (await scrape()).text());
    assert.equal(sampleValue(s, 'mediaforge_jobs_total', { route: 'frames', status: 'succeeded' }), 1);
    assert.equal(sampleValue(s, 'mediaforge_job_duration_seconds_count', { route: 'frames' }), 1);
    assert.equal(sampleValue(s, 'mediaforge_job_queue_wait_seconds_count', { route: 'frames' }), 1);
    assert.equal(sampleValue(s, 'mediaforge_outputs_total', { type: 'frames', status: 'succeeded' }), 1);
    assert.equal(sampleValue(s, 'mediaforge_outputs_total', { type: 'thumbnail', status: 'succeeded' }), 1);
    assert.equal(sampleValue(s, 'mediaforge_frames_extracted_total'), 6);
    assert.equal(sampleValue(s, 'mediaforge_upload_bytes_total'), uploadBytes);
    assert.ok((sampleValue(s, 'mediaforge_job_cpu_seconds_total', { route: 'frames' }) ?? 0) > 0);
    assert.ok((sampleValue(s, 'mediaforge_ffmpeg_speed_ratio_count', { type: 'frames' }) ?? 0) >= 1);
    assert.equal(sampleValue(s, 'mediaforge_queue_depth', { route: 'frames' }), 0);
    assert.equal(sampleValue(s, 'mediaforge_jobs_running'), 0);
    assert.equal(sampleValue(s, 'mediaforge_worker_slots'), 1);
    assert.equal(sampleValue(s, 'mediaforge_worker_busy_slots'), 0);
    assert.ok((sampleValue(s, 'process_resident_memory_bytes') ?? 0) > 0, 'default process metrics');
    assert.ok(sampleValue(s, 'nodejs_eventloop_lag_seconds') !== undefined, 'default Node.js metrics');
  });
});

describe('e2e: /metrics and /readyz without a token', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '2' });
  });
  after(() => p.stop());

  it('answers anyone, with no API key, and is never rate limited', async () => {
    for (let i = 0; i < 6; i++) {
      const m = await fetch(`${p.base}/metrics`);
      assert.equal(m.status, 200, `scrape ${i}`);
      await m.text();
      const r = await fetch(`${p.base}/readyz`);
      assert.equal(r.status, 200, `readyz ${i}`);
      assert.deepEqual(await r.json(), { status: 'ready', down: [], checks: { database: 'ok', queue: 'ok', storage: 'ok' } });
    }
    // The limit itself still holds for the API.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${p.base}/v1/jobs`)).status);
    assert.ok(statuses.includes(429), statuses.join(','));
  });

  it('answers 404 with MEDIAFORGE_METRICS=off', async () => {
    const off = await startTestPlatform({ MEDIAFORGE_METRICS: 'off' });
    try {
      const res = await fetch(`${off.base}/metrics`);
      assert.equal(res.status, 404);
      assert.match((await res.json()).error.message, /MEDIAFORGE_METRICS=off/);
    } finally {
      await off.stop();
    }
  });
});
