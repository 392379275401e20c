import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { media } from '../helpers/media.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { waitFor } from '../helpers/temp.js';
import { WebhookReceiver, type Received } from '../helpers/webhook-receiver.js';

/**
 * Signed webhooks end to end: the embedded platform, real local receivers, every delivery
 * verified with the standardwebhooks package. Retries wait 300 ms (MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE).
 */
describe('e2e: webhooks', () => {
  let p: TestPlatform;
  const receivers: WebhookReceiver[] = [];
  let good: WebhookReceiver;
  let flaky: WebhookReceiver;
  let gone: WebhookReceiver;
  let other: WebhookReceiver;

  before(async () => {
    for (let i = 0; i < 4; i++) receivers.push(await WebhookReceiver.start());
    [good, flaky, gone, other] = receivers;
    p = await startTestPlatform({
      MEDIAFORGE_WEBHOOK_ALLOWLIST: receivers.map((r) => `127.0.0.1:${r.port}`).join(','),
      MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE: '0,300ms,300ms',
    });
  });
  after(async () => {
    await p.stop();
    for (const r of receivers) await r.close();
  });

  const create = async (url: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) => {
    const res = await p.api('POST', '/v1/webhooks', { url, ...extra }, headers);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; secret: string; events: string[]; disabledAt: string | null };
  };
  const deliveries = async (id: string, query = '') => (await p.api('GET', `/v1/webhooks/${id}/deliveries${query}`)).body.deliveries as any[];

  it("delivers a job's job.started, job.output.ready and job.succeeded, and the upload's upload.ready, each signed", async () => {
    const hook = await create(good.url(), { description: 'lms' });
    assert.match(hook.secret, /^whsec_/);
    assert.equal(hook.disabledAt, null);
    assert.deepEqual(hook.events, ['upload.ready', 'job.started', 'job.output.ready', 'job.succeeded', 'job.failed', 'job.canceled']);
    const shown = await p.api('GET', `/v1/webhooks/${hook.id}`);
    assert.equal(shown.body.secret, undefined, 'the secret is shown once');
    assert.ok(!JSON.stringify(await p.api('GET', '/v1/webhooks')).includes(hook.secret.slice(6)));

    const up = await p.api('POST', '/v1/uploads?filename=clip.mp4', await readFile(await media('clip6.mp4')), { 'content-type': 'application/octet-stream' });
    const job = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail', width: 160 }] });
    assert.equal(job.status, 202);
    const [succeeded] = await good.waitFor((r) => r.json?.type === 'job.succeeded' && r.json.data.id === job.body.id, 1, 'job.succeeded');
    await good.waitFor((r) => r.json?.type === 'job.started' && r.json.data.id === job.body.id, 1, 'job.started');
    await good.waitFor((r) => r.json?.type === 'upload.ready' && r.json.data.id === up.body.id, 1, 'upload.ready');

    for (const r of good.received) {
      const body = WebhookReceiver.verify(r, hook.secret);
      assert.match(String(r.headers['webhook-id']), /^evt_/);
      assert.ok(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000) < 300, 'the timestamp is the time of sending');
      assert.equal(r.headers['content-type'], 'application/json');
      assert.ok(Date.parse(body.timestamp) > 0);
    }
    const data = WebhookReceiver.verify(succeeded, hook.secret).data;
    assert.equal(data.status, 'succeeded');
    assert.deepEqual(Object.keys(data), Object.keys((await p.api('GET', `/v1/jobs/${job.body.id}`)).body), 'data is the job as GET /v1/jobs/{id} shows it');
    const thumb = await fetch(data.outputs[0].files[0].url);
    assert.equal(thumb.status, 200, 'with a signed link that opens');
    const ready = good.of('job.output.ready').find((r) => r.json.data.id === job.body.id)!;
    assert.equal(ready.json.output, 0, 'job.output.ready names the output');

    const log = await deliveries(hook.id, '?status=succeeded');
    assert.ok(log.length >= 4);
    for (const d of log) {
      assert.equal(d.attempts.length, 1);
      assert.equal(d.attempts[0].statusCode, 200);
      assert.equal(d.attempts[0].responseBody, 'ok');
      assert.ok(d.attempts[0].latencyMs >= 0);
    }
    assert.deepEqual(await deliveries(hook.id, '?status=failed'), []);
  });

  it('an HLS output sends a playable job.output.ready while it runs, with the master listed, then the stored one', async () => {
    const hook = await create(good.url(), { events: ['job.output.ready', 'job.succeeded'] });
    const up = await p.api('POST', '/v1/uploads?filename=clip.mp4', await readFile(await media('clip6.mp4')), { 'content-type': 'application/octet-stream' });
    const job = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail', width: 160 }, { type: 'hls', segmentSeconds: 2, storyboard: false }] });
    assert.equal(job.status, 202, JSON.stringify(job.body));
    await good.waitFor((r) => r.json?.type === 'job.succeeded' && r.json.data.id === job.body.id, 1, 'job.succeeded');
    // The receiver also serves the endpoints of the tests before: this endpoint's deliveries are those its secret verifies.
    const signedBy = (r: Received, secret: string) => { try { return WebhookReceiver.verify(r, secret); } catch { return null; } };
    const ready = good.of('job.output.ready').filter((r) => r.json.data.id === job.body.id && signedBy(r, hook.secret)).map((r) => ({ r, body: WebhookReceiver.verify(r, hook.secret) }));
    const hls = ready.filter((x) => x.body.output === 1);
    assert.deepEqual(hls.map((x) => x.body.phase).sort(), ['playable', 'stored'], 'the HLS output tells twice');
    assert.deepEqual(ready.filter((x) => x.body.output === 0).map((x) => x.body.phase), ['stored'], 'the thumbnail once');
    const playable = hls.find((x) => x.body.phase === 'playable')!;
    const stored = hls.find((x) => x.body.phase === 'stored')!;
    assert.notEqual(playable.r.headers['webhook-id'], stored.r.headers['webhook-id'], 'two events');
    const shown = (await p.api('GET', `/v1/jobs/${job.body.id}`)).body;
    // The event happened while the output was still encoding. Its `data` is the job as read
    // at delivery (fresh links at every attempt, docs/notifications.md): on a quick or loaded
    // machine the job may have ended by then, so the running state is read from the row the
    // worker wrote, not from when the receiver got it.
    assert.ok(Date.parse(playable.body.timestamp) < Date.parse(stored.body.timestamp), 'playable before the output was stored');
    assert.ok(Date.parse(playable.body.timestamp) < Date.parse(shown.finishedAt), 'playable before the job ended');
    const running = playable.body.data.outputs[1];
    if (running.status === 'running') assert.deepEqual(running.files.map((f: { name: string }) => f.name), ['master.m3u8'], 'the master is listed while it runs');
    const master = await fetch(running.files.find((f: { name: string }) => f.name === 'master.m3u8').url);
    assert.equal(master.status, 200);
    assert.match(await master.text(), /^#EXTM3U/);
    assert.equal(stored.body.data.outputs[1].status, 'succeeded');
    assert.ok(stored.body.data.outputs[1].files.length > 3, 'the stored one lists the package');
    assert.equal(shown.outputs[1].files.filter((f: { name: string }) => f.name === 'master.m3u8').length, 1, 'the master once in the final list');
  });

  it('tries a failed delivery again with the same webhook-id, and logs every attempt', async () => {
    flaky.answer = (r) => (r.nth === 1 ? { status: 500, body: 'database is down' } : { status: 204 });
    const hook = await create(flaky.url());
    const test = await p.api('POST', `/v1/webhooks/${hook.id}/test`);
    assert.equal(test.status, 202, JSON.stringify(test.body));
    const eventId = test.body.event.id;
    const [first, second] = await flaky.waitFor((r) => r.headers['webhook-id'] === eventId, 2, 'the retry');
    assert.equal(first.headers['webhook-id'], second.headers['webhook-id']);
    for (const r of [first, second]) assert.equal(WebhookReceiver.verify(r, hook.secret).type, 'webhook.test');
    assert.equal(second.json.data.id, hook.id, 'the test event carries the endpoint');
    const [d] = await waitFor(async () => {
      const list = await deliveries(hook.id);
      return list[0]?.status === 'succeeded' ? list : null;
    }, { what: 'the delivery to succeed' });
    assert.deepEqual(d.attempts.map((a: any) => [a.statusCode, a.responseBody]), [[500, 'database is down'], [204, '']]);

    // Sent again by hand: a new delivery of the same event.
    const again = await p.api('POST', `/v1/webhooks/${hook.id}/deliveries/${d.id}/retry`);
    assert.equal(again.status, 202);
    assert.notEqual(again.body.id, d.id);
    await flaky.waitFor((r) => r.headers['webhook-id'] === eventId, 3, 'the manual retry');
  });

  it('a 410 Gone disables the endpoint; enabling it again sends once more', async () => {
    gone.answer = () => ({ status: 410 });
    const hook = await create(gone.url());
    await p.api('POST', `/v1/webhooks/${hook.id}/test`);
    const disabled = await waitFor(async () => {
      const e = (await p.api('GET', `/v1/webhooks/${hook.id}`)).body;
      return e.disabledAt ? e : null;
    }, { what: 'the endpoint to be disabled' });
    assert.match(disabled.disabledReason, /410 Gone/);
    assert.equal(gone.received.length, 1, 'a 410 is not tried again');
    assert.equal((await deliveries(hook.id))[0].status, 'failed');
    const refused = await p.api('POST', `/v1/webhooks/${hook.id}/test`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'webhook_disabled');

    gone.answer = () => ({ status: 200 });
    assert.equal((await p.api('PATCH', `/v1/webhooks/${hook.id}`, { disabled: false })).body.disabledAt, null);
    await p.api('POST', `/v1/webhooks/${hook.id}/test`);
    await gone.waitFor(() => true, 2, 'the delivery after enabling');
  });

  it('refuses URLs the policy does not allow with 422, and unknown events with 400', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ url: 'http://127.0.0.1:1/hook' }, 422, 'url_forbidden'],
      [{ url: 'http://169.254.169.254/latest/meta-data' }, 422, 'url_forbidden'],
      [{ url: 'http://[::1]:8080/' }, 422, 'url_forbidden'],
      [{ url: 'ftp://example.com/hook' }, 422, 'url_forbidden'],
      [{ url: `http://user:pw@127.0.0.1:${good.port}/` }, 422, 'url_forbidden'],
      [{ url: 'http://no-such-host.invalid/hook' }, 422, 'url_unreachable'],
      [{ url: 'not a url' }, 400, 'validation_failed'],
      [{ url: good.url(), events: ['job.exploded'] }, 400, 'validation_failed'],
      [{ url: good.url(), secret: 'mine' }, 400, 'validation_failed'],
    ];
    for (const [body, status, code] of cases) {
      const res = await p.api('POST', '/v1/webhooks', body);
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code, JSON.stringify(body));
    }
    const forbidden = await p.api('POST', '/v1/webhooks', { url: 'http://127.0.0.1:1/hook' });
    assert.match(forbidden.body.error.message, /MEDIAFORGE_WEBHOOK_ALLOWLIST/);
    const hook = await create(good.url());
    const moved = await p.api('PATCH', `/v1/webhooks/${hook.id}`, { url: 'http://10.0.0.5/hook' });
    assert.equal(moved.status, 422, 'a changed URL is checked again');
  });

  it("another account neither sees nor changes an endpoint, and gets none of the other's events", async () => {
    const hook = await create(good.url());
    const b = (await p.api('POST', '/v1/accounts', { name: 'webhooks b' })).body.id;
    const bKey = (await p.api('POST', `/v1/accounts/${b}/keys`, { name: 'b', scopes: ['webhooks:manage', 'uploads:write'] })).body.key;
    const asB = { authorization: `Bearer ${bKey}` };
    for (const [method, path, body] of [
      ['GET', `/v1/webhooks/${hook.id}`],
      ['PATCH', `/v1/webhooks/${hook.id}`, { description: 'mine now' }],
      ['POST', `/v1/webhooks/${hook.id}/test`],
      ['POST', `/v1/webhooks/${hook.id}/rotate-secret`],
      ['GET', `/v1/webhooks/${hook.id}/deliveries`],
      ['POST', `/v1/webhooks/${hook.id}/replay`, { since: new Date(0).toISOString() }],
      ['DELETE', `/v1/webhooks/${hook.id}`],
    ] as const) {
      const res = await p.api(method, path, body, asB);
      assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
    assert.deepEqual((await p.api('GET', '/v1/webhooks', undefined, asB)).body.webhooks, []);
    assert.equal((await p.api('GET', `/v1/webhooks/${hook.id}`)).body.description, null, 'unchanged');

    const bHook = await create(other.url(), {}, asB);
    const up = await p.api('POST', '/v1/uploads?filename=b.bin', new Uint8Array([1, 2, 3]), { ...asB, 'content-type': 'application/octet-stream' });
    const [got] = await other.waitFor((r) => r.json?.type === 'upload.ready', 1, "B's upload.ready");
    assert.equal(WebhookReceiver.verify(got, bHook.secret).data.id, up.body.id);
    const seenByA = (r: Received) => JSON.stringify(r.json).includes(up.body.id);
    assert.equal(good.received.filter(seenByA).length, 0, "A's endpoints get nothing of B's");
    assert.equal(other.received.filter((r) => r.json?.data?.id !== up.body.id).length, 0, "B's endpoint gets nothing of A's");
  });

  it('after rotate-secret, deliveries verify with the new secret and, for a day, the old one', async () => {
    const hook = await create(good.url(), { events: ['job.failed'] });
    const rotated = await p.api('POST', `/v1/webhooks/${hook.id}/rotate-secret`);
    assert.equal(rotated.status, 200);
    assert.equal(rotated.headers.get('cache-control'), 'no-store');
    assert.notEqual(rotated.body.secret, hook.secret);
    const test = await p.api('POST', `/v1/webhooks/${hook.id}/test`);
    const [r] = await good.waitFor((x) => x.headers['webhook-id'] === test.body.event.id, 1, 'the test event');
    assert.equal(String(r.headers['webhook-signature']).split(' ').length, 2);
    assert.equal(WebhookReceiver.verify(r, rotated.body.secret).type, 'webhook.test');
    assert.equal(WebhookReceiver.verify(r, hook.secret).type, 'webhook.test', 'the old secret still verifies');
  });

  it('replays the events since a time with their own webhook-ids', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const hook = await create(other.url(), { events: ['upload.ready'] });
    const up = await p.api('POST', '/v1/uploads?filename=r.bin', new Uint8Array([4, 5, 6]), { 'content-type': 'application/octet-stream' });
    const [first] = await other.waitFor((r) => r.json?.data?.id === up.body.id, 1, 'upload.ready');
    const replay = await p.api('POST', `/v1/webhooks/${hook.id}/replay`, { since });
    assert.equal(replay.status, 202);
    assert.ok(replay.body.replayed >= 1, JSON.stringify(replay.body));
    const again = await other.waitFor((r) => r.headers['webhook-id'] === first.headers['webhook-id'], 2, 'the replayed event');
    assert.equal(WebhookReceiver.verify(again[1], hook.secret).data.id, up.body.id);
    assert.equal((await p.api('POST', `/v1/webhooks/${hook.id}/replay`, { since: 'yesterday' })).status, 400);
    assert.equal((await p.api('DELETE', `/v1/webhooks/${hook.id}`)).status, 200);
    assert.equal((await p.api('GET', `/v1/webhooks/${hook.id}`)).status, 404);
  });
});
