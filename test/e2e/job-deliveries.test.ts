import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { media } from '../helpers/media.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { waitFor } from '../helpers/temp.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/** GET /v1/jobs/{id}/deliveries: one job's webhook deliveries, to every endpoint of the caller's account only. */
describe('e2e: the deliveries of one job', () => {
  let p: TestPlatform;
  let a: WebhookReceiver;
  let b: WebhookReceiver;
  before(async () => {
    [a, b] = [await WebhookReceiver.start(), await WebhookReceiver.start()];
    p = await startTestPlatform({ MEDIAFORGE_WEBHOOK_ALLOWLIST: [a, b].map((r) => `127.0.0.1:${r.port}`).join(',') });
  });
  after(async () => {
    await p?.stop();
    await a?.close();
    await b?.close();
  });

  const job = async (headers?: Record<string, string>) => {
    const up = await p.api('POST', '/v1/uploads?filename=clip.mp4', await readFile(await media('clip6.mp4')), { ...headers, 'content-type': 'application/octet-stream' });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail', width: 160 }] }, headers);
    assert.equal(created.status, 202, JSON.stringify(created.body));
    return created.body.id as string;
  };

  it("lists the job's deliveries to each endpoint, none of its upload's or another job's, with status and paging", async () => {
    const hookA = (await p.api('POST', '/v1/webhooks', { url: a.url() })).body.id;
    const hookB = (await p.api('POST', '/v1/webhooks', { url: b.url(), events: ['job.succeeded'] })).body.id;
    const first = await job();
    const second = await job();
    for (const id of [first, second]) await a.waitFor((r) => r.json?.type === 'job.succeeded' && r.json.data.id === id, 1, `job.succeeded of ${id}`);
    await b.waitFor((r) => r.json?.type === 'job.succeeded' && r.json.data.id === first, 1, 'job.succeeded at b');

    // Settled: every delivery of the first job has its attempt.
    const list = await waitFor(async () => {
      const res = await p.api('GET', `/v1/jobs/${first}/deliveries`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.deliveries.every((d: any) => d.status === 'succeeded') && res.body.deliveries.length >= 4 ? res.body : null;
    }, { timeoutMs: 20_000, what: 'the settled deliveries' });
    const seen = list.deliveries.map((d: any) => `${d.endpointId} ${d.event.type}`).sort();
    assert.deepEqual(seen, [`${hookA} job.output.ready`, `${hookA} job.started`, `${hookA} job.succeeded`, `${hookB} job.succeeded`].sort());
    assert.ok(list.deliveries.every((d: any) => d.event.subjectId === first), 'only the first job');
    assert.equal(list.deliveries[0].attempts[0].statusCode, 200);
    const ids = list.deliveries.map((d: any) => d.id);
    assert.deepEqual(ids, [...ids].sort().reverse(), 'newest first');
    assert.equal(list.nextCursor, null);

    const page1 = (await p.api('GET', `/v1/jobs/${first}/deliveries?limit=3`)).body;
    assert.equal(page1.deliveries.length, 3);
    const page2 = (await p.api('GET', `/v1/jobs/${first}/deliveries?limit=3&cursor=${page1.nextCursor}`)).body;
    assert.deepEqual([...page1.deliveries, ...page2.deliveries].map((d: any) => d.id), ids);
    assert.deepEqual((await p.api('GET', `/v1/jobs/${first}/deliveries?status=failed`)).body.deliveries, []);
  });

  it('another account, an unknown job, a bad query and a key without webhooks:manage are refused', async () => {
    const mine = await job();
    const acc = (await p.api('POST', '/v1/accounts', { name: 'deliveries b' })).body.id;
    const other = { authorization: `Bearer ${(await p.api('POST', `/v1/accounts/${acc}/keys`, { name: 'b', scopes: ['webhooks:manage', 'uploads:write', 'jobs:write', 'jobs:read'] })).body.key}` };
    const foreign = await p.api('GET', `/v1/jobs/${mine}/deliveries`, undefined, other);
    assert.equal(foreign.status, 404, JSON.stringify(foreign.body));
    assert.equal(foreign.body.error.code, 'not_found');
    assert.match(foreign.body.error.message, new RegExp(`no job with id ${mine}`));
    // Its own job: its own (no) deliveries, none of the first account's.
    const theirs = await job(other);
    assert.deepEqual((await p.api('GET', `/v1/jobs/${theirs}/deliveries`, undefined, other)).body.deliveries, []);

    const unknown = await p.api('GET', '/v1/jobs/job_nothing0000/deliveries');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    const bad = await p.api('GET', `/v1/jobs/${mine}/deliveries?limit=0`);
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.equal(bad.body.error.code, 'validation_failed');
    const readOnly = { authorization: `Bearer ${(await p.api('POST', `/v1/accounts/${acc}/keys`, { name: 'read', scopes: ['jobs:read'] })).body.key}` };
    const refused = await p.api('GET', `/v1/jobs/${theirs}/deliveries`, undefined, readOnly);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /webhooks:manage/);
  });
});
