import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteDatabase, type SqliteHandle } from '../adapters/sqlite/sqlite.database.js';
import { newId } from '../domain/ids.js';
import { decideCreate } from '../domain/job-lifecycle.js';
import { jobEventMessage } from '../domain/outbox.js';
import type { Principal } from '../domain/principal.js';
import type { WebhookAnswer, WebhookTransport } from '../ports/webhooks.port.js';
import { tempDir } from '../../test/helpers/temp.js';
import { inAccount } from '../../test/helpers/principals.js';
import { WebhookSecretBox } from './webhook-secrets.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhooksService } from './webhooks.service.js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { OtelTracer } from '../adapters/otel/otel.tracer.js';

const S = 1000;
const MIN = 60 * S;

/** A transport whose answers the test scripts per URL; `hang` answers only when the sender stops. */
class ScriptedTransport implements WebhookTransport {
  readonly calls: Array<{ url: string; headers: Record<string, string>; body: any }> = [];
  script: (url: string) => WebhookAnswer | 'hang' = () => ({ status: 200, retryAfter: null, body: 'ok' });
  async check() {}
  post(url: string, headers: Record<string, string>, body: string, _timeoutMs: number, signal?: AbortSignal): Promise<WebhookAnswer> {
    this.calls.push({ url, headers, body: JSON.parse(body) });
    const answer = this.script(url);
    if (answer !== 'hang') return Promise.resolve(answer);
    return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
  }
  to(url: string) {
    return this.calls.filter((c) => c.url === url);
  }
}

/**
 * The sender's rules with an injected clock and a scripted transport, on a real SQLite
 * database: the schedule, Retry-After, 410, the per-endpoint bound, the rotation's overlap.
 */
describe('webhook sender', () => {
  let t: { dir: string; cleanup(): Promise<void> };
  let db: SqliteHandle;
  let now = Date.UTC(2026, 0, 5, 9);
  const clock = { now: () => now };
  const box = new WebhookSecretBox('sender-test-secret-0123456789abcdef0123');
  const schedule = [0, 10 * S, MIN];
  let transport: ScriptedTransport;
  let service: WebhooksService;
  const senders: WebhookSender[] = [];
  const sender = (opts: { perEndpoint?: number } = {}) => {
    const s = new WebhookSender(
      { db, transport, clock, box, schedule, random: () => 0.5, presenter: { job: (j) => ({ id: j.id, status: j.status }), upload: (u) => ({ id: u.id }) } },
      { owner: newId('sender'), ...opts },
    );
    senders.push(s);
    return s;
  };
  const account = (): Principal => inAccount(newId('acc'), ['webhooks:manage']);
  const hook = async (p: Principal, url: string) => (await service.create(p, { url, events: ['job.succeeded'] })).endpoint.id;
  const succeededJob = async (p: Principal) => {
    const id = newId('job', now);
    await db.jobs.create(p, { id, uploadId: 'upl_x', outputs: [], userMetadata: null, maxAttempts: 1, createdAt: now, initial: decideCreate(id, now).write });
    await db.outbox.add([jobEventMessage('job.succeeded', id, now)], now);
    return id;
  };
  /** One pass and the attempts it started, done. */
  const run = async (s: WebhookSender) => {
    await s.tick();
    await s.drain();
  };

  before(async () => {
    t = await tempDir();
    db = await openSqliteDatabase(join(t.dir, 'w.db'));
    transport = new ScriptedTransport();
    service = new WebhooksService({ db, clock, transport, box, schedule, random: () => 0.5 });
  });
  after(async () => {
    for (const s of senders) await s.stop();
    await db.close();
    await t.cleanup();
  });

  it('passes at once when poked and when an attempt frees its endpoint slot, not at the next poll', async () => {
    const p = account();
    const url = 'https://poked.example.com/in';
    await hook(p, url);
    for (let i = 0; i < 3; i++) await succeededJob(p);
    // One attempt at a time to the endpoint, each answered a little later (so a pass finds the
    // endpoint busy), and a poll that never comes during the test.
    const slow: WebhookTransport = {
      check: async () => undefined,
      post: async (u, h, b, ms) => {
        await new Promise((r) => setTimeout(r, 20));
        return transport.post(u, h, b, ms);
      },
    };
    const s = new WebhookSender(
      { db, transport: slow, clock, box, schedule, random: () => 0.5, presenter: { job: (j) => ({ id: j.id }), upload: (u) => ({ id: u.id }) } },
      { owner: newId('sender'), perEndpoint: 1, pollMs: 3_600_000 },
    );
    senders.push(s);
    const delivered = async (n: number) => {
      for (let i = 0; i < 500 && transport.to(url).length < n; i++) await new Promise((r) => setTimeout(r, 10));
      await s.drain();
      return transport.to(url).length;
    };
    s.start();
    assert.equal(await delivered(3), 3, 'each attempt that ends makes room for the next at once');
    await succeededJob(p);
    s.poke();
    assert.equal(await delivered(4), 4, 'a poke brings the new event now');
    await s.stop();
  });

  it('polls less and less while it finds nothing when given idlePollMaxMs, and a poke brings work at once', async () => {
    const p = account();
    const url = 'https://idle.example.com/in';
    await hook(p, url);
    let passes = 0;
    const s = new WebhookSender(
      { db, transport, clock, box, schedule, random: () => 0.5, presenter: { job: (j) => ({ id: j.id }), upload: (u) => ({ id: u.id }) } },
      { owner: newId('sender'), pollMs: 10, idlePollMaxMs: 2000 },
    );
    senders.push(s);
    const tick = s.tick.bind(s);
    s.tick = () => (passes++, tick());
    s.start();
    await new Promise((r) => setTimeout(r, 400));
    // At a plain 10 ms period that is ~40 passes; doubling (10, 20, 40, 80, 160, 320 ms), 6.
    assert.ok(passes <= 8, `${passes} passes in 400 ms idle`);
    await succeededJob(p);
    s.poke();
    // The next poll is ~230 ms away: only the poke can deliver within 150 ms.
    for (let i = 0; i < 30 && transport.to(url).length < 1; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(transport.to(url).length, 1, 'the poke brought the new event within the base period, not at the slowed poll');
    await s.stop();
  });

  it('tries a failing delivery again on the schedule, not before, and stops when it is used up', async () => {
    const p = account();
    const url = 'https://fails.example/hook';
    const id = await hook(p, url);
    transport.script = () => ({ status: 500, retryAfter: null, body: 'no' });
    const jobId = await succeededJob(p);
    const s = sender();
    await run(s);
    assert.equal(transport.to(url).length, 1, 'at once');
    assert.deepEqual(transport.to(url)[0].body, { type: 'job.succeeded', timestamp: new Date(now).toISOString(), data: { id: jobId, status: 'queued' } });
    now += 9_999;
    await run(s);
    assert.equal(transport.to(url).length, 1, 'not before the 10 s of the schedule');
    now += 1;
    await run(s);
    assert.equal(transport.to(url).length, 2, 'after 10 s');
    now += MIN - 1;
    await run(s);
    assert.equal(transport.to(url).length, 2, 'not before the next minute');
    now += 1;
    await run(s);
    now += 24 * 3600 * S;
    await run(s);
    assert.equal(transport.to(url).length, 3, 'three attempts in all');
    const ids = new Set(transport.to(url).map((c) => c.headers['webhook-id']));
    assert.equal(ids.size, 1, 'one webhook-id for every attempt');
    const [d] = (await service.deliveries(p, id, {})).deliveries;
    assert.deepEqual([d.status, d.attempts, d.log.map((a) => a.statusCode)], ['failed', 3, [500, 500, 500]]);
  });

  it("honours a 429's Retry-After for the endpoint's other deliveries too; a 410 disables it", async () => {
    const p = account();
    const url = 'https://busy.example/hook';
    const id = await hook(p, url);
    let answer: WebhookAnswer = { status: 429, retryAfter: '120', body: 'slow down' };
    transport.script = () => answer;
    const s = sender({ perEndpoint: 1 });
    await succeededJob(p);
    await run(s);
    await succeededJob(p);
    now += 60 * S;
    await run(s);
    assert.equal(transport.to(url).length, 1, 'paused: the second delivery waits too');
    answer = { status: 410, retryAfter: null, body: '' };
    now += 60 * S;
    await run(s);
    assert.equal(transport.to(url).length, 2);
    assert.match((await service.get(p, id)).disabledReason ?? '', /410 Gone/);
    now += 3600 * S;
    await run(s);
    assert.equal(transport.to(url).length, 2, 'nothing more is sent to a disabled endpoint');
  });

  it('a receiver that never answers holds its own slots only: the other endpoints are delivered', async () => {
    const p = account();
    const [stuck, fine] = ['https://stuck.example/hook', 'https://fine.example/hook'];
    await hook(p, stuck);
    const s = sender({ perEndpoint: 2 });
    transport.script = (u) => (u === stuck ? 'hang' : { status: 200, retryAfter: null, body: 'ok' });
    for (let i = 0; i < 5; i++) await succeededJob(p);
    await s.tick();
    await s.tick();
    assert.equal(transport.to(stuck).length, 2, 'two in flight to it, the other three wait');
    await hook(p, fine);
    for (let i = 0; i < 3; i++) await succeededJob(p);
    // Passes until the other endpoint's three are through (two at a time): the stuck ones never finish.
    for (let pass = 0; pass < 100 && transport.to(fine).length < 3; pass++) {
      await s.tick();
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(transport.to(fine).length, 3, 'every delivery to the other endpoint went');
    assert.equal(transport.to(stuck).length, 2);
  });

  it('signs with the new and the old secret for a day after a rotation, then with the new one', async () => {
    const p = account();
    const url = 'https://rotating.example/hook';
    transport.script = () => ({ status: 204, retryAfter: null, body: '' });
    const { endpoint } = await service.create(p, { url });
    await service.rotateSecret(p, endpoint.id);
    const s = sender();
    await service.test(p, endpoint.id);
    await run(s);
    now += 24 * 3600 * S;
    await service.test(p, endpoint.id);
    await run(s);
    assert.deepEqual(transport.to(url).map((c) => c.headers['webhook-signature'].split(' ').length), [2, 1]);
    assert.deepEqual(transport.to(url).map((c) => c.body.type), ['webhook.test', 'webhook.test']);
  });
  it('makes each delivery attempt its own webhook.deliver trace: endpoint, event, status, outcome', async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = new OtelTracer({ exporter, serviceName: 'test-worker', serviceVersion: '0' });
    const p = account();
    const url = 'https://traced.example.com/in';
    const endpointId = await hook(p, url);
    await succeededJob(p);
    transport.script = (u) => (u === url ? { status: 503, retryAfter: null, body: 'busy' } : { status: 200, retryAfter: null, body: 'ok' });
    const s = new WebhookSender(
      { db, transport, clock, box, schedule, random: () => 0.5, presenter: { job: (j) => ({ id: j.id }), upload: (u) => ({ id: u.id }) }, tracer },
      { owner: newId('sender') },
    );
    senders.push(s);
    await run(s);
    await tracer.flush();
    const spans = exporter.getFinishedSpans().filter((x) => x.attributes['mediaforge.webhook.endpoint_id'] === endpointId);
    assert.equal(spans.length, 1);
    const [span] = spans;
    assert.equal(span.name, 'webhook.deliver');
    assert.equal(span.parentSpanContext, undefined, 'a trace of its own');
    assert.equal(span.attributes['mediaforge.webhook.event'], 'job.succeeded');
    assert.equal(span.attributes['http.response.status_code'], 503);
    assert.equal(span.attributes['mediaforge.webhook.outcome'], 'pending');
    assert.equal(span.attributes['mediaforge.account.id'], p.accountId);
    transport.script = () => ({ status: 200, retryAfter: null, body: 'ok' });
    await tracer.shutdown();
  });
});
