import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SmtpMailer } from '../../src/adapters/smtp/smtp.mailer.js';
import type { Database } from '../../src/ports/db.port.js';
import { newId } from '../../src/domain/ids.js';
import { decideCreate } from '../../src/domain/job-lifecycle.js';
import { jobEventMessage } from '../../src/domain/outbox.js';
import type { Principal } from '../../src/domain/principal.js';
import type { WebhookAnswer, WebhookTransport } from '../../src/ports/webhooks.port.js';
import { EmailRelay } from '../../src/services/email-relay.js';
import { WebhookSecretBox } from '../../src/services/webhook-secrets.js';
import { WebhookSender } from '../../src/services/webhook-sender.js';
import { presentEndpoint, WebhooksService } from '../../src/services/webhooks.service.js';
import { emailEngines } from '../helpers/engines.js';
import { inAccount } from '../helpers/principals.js';
import { SmtpSink } from '../helpers/smtp-sink.js';

const S = 1000;
const H = 3600 * S;
const DAY = 24 * H;

/** Answers every POST with the status the test sets. */
class StatusTransport implements WebhookTransport {
  status = 500;
  posts = 0;
  async check() {}
  async post(): Promise<WebhookAnswer> {
    this.posts++;
    return { status: this.status, retryAfter: null, body: this.status === 200 ? 'ok' : 'down' };
  }
}

/**
 * A webhook delivery that runs out of attempts, and an endpoint that fails every attempt for
 * the disable period, tell the account by e-mail: a real SQLite and PostgreSQL database opened
 * with e-mails on, the sender and the e-mail relay on an injected clock, a real SMTP server.
 */
const engines = emailEngines;

for (const [engine, open] of engines) describe(`webhook failures told by e-mail: ${engine}`, () => {
  let opened: { db: Database; done(): Promise<void> };
  let db: Database;
  let smtp: SmtpSink;
  let mailer: SmtpMailer;
  let now = Date.UTC(2026, 2, 1, 9);
  const clock = { now: () => now };
  const box = new WebhookSecretBox('notify-test-secret-0123456789abcdef0123');
  const presenter = { job: (j: { id: string; status: string }) => ({ id: j.id, status: j.status, outputs: [], metadata: null, error: null, finishedAt: null }), upload: (u: { id: string }) => ({ id: u.id }) };

  const account = async (email: string): Promise<Principal> => {
    const id = newId('acc');
    await db.accounts.create({ id, name: id, quotas: {}, notifyEmail: email, createdAt: now, updatedAt: now });
    return inAccount(id, ['webhooks:manage']);
  };
  const event = async (p: Principal) => {
    const id = newId('job', now);
    await db.jobs.create(p, { id, uploadId: 'upl_x', outputs: [], userMetadata: null, maxAttempts: 1, createdAt: now, initial: decideCreate(id, now).write });
    await db.outbox.add([jobEventMessage('job.succeeded', id, now)], now);
  };
  const parts = (schedule: number[], transport: WebhookTransport, disableAfterMs = 5 * DAY) => {
    const sender = new WebhookSender({ db, transport, clock, box, schedule, random: () => 0.5, presenter }, { owner: newId('sender'), disableAfterMs });
    const relay = new EmailRelay({ db, mailer, clock, presenter, schedule, apiBase: () => 'http://api.test', linkTtlSeconds: 3600, random: () => 0.5 }, { owner: newId('mail') });
    const service = new WebhooksService({ db, clock, transport, box, schedule, random: () => 0.5 });
    return { sender, relay, service, run: async () => (await sender.tick(), await sender.drain()) };
  };
  /** The webhook e-mails to `to` (its account's jobs send theirs too: the account has an address). */
  const mailsTo = (to: string) => smtp.received.filter((m) => m.to.includes(to) && m.mail.subject?.includes('webhook'));

  before(async () => {
    opened = await open();
    db = opened.db;
    smtp = await SmtpSink.start();
    mailer = new SmtpMailer(smtp.url(), 'mediaforge@example.com');
  });
  after(async () => {
    await mailer.close();
    await smtp.close();
    await opened.done();
  });

  it('a delivery out of attempts sends the account one e-mail naming the endpoint, the event and the last answer', async () => {
    const transport = new StatusTransport();
    const { run, relay, service } = parts([0, 10 * S], transport);
    const p = await account('owner-a@example.com');
    const { endpoint } = await service.create(p, { url: 'https://a.example/hook', events: ['job.succeeded'] });
    await event(p);
    await run();
    await relay.tick();
    assert.equal(mailsTo('owner-a@example.com').length, 0, 'one failure with attempts left tells nobody');
    now += 10 * S;
    await run();
    assert.equal(transport.posts, 2);
    assert.equal((await relay.tick()).failed, 0);
    const [m] = mailsTo('owner-a@example.com');
    assert.equal(m.mail.subject, `mediaforge: a webhook delivery to ${endpoint.id} failed for good (job.succeeded)`);
    assert.ok(m.mail.text?.includes('https://a.example/hook') && m.mail.text.includes('answered 500'), m.mail.text);
    await relay.tick();
    assert.equal(mailsTo('owner-a@example.com').length, 1, 'once');
  });

  it('an endpoint failing every attempt for the disable period is disabled with a reason and its account told; a success resets the clock', async () => {
    const transport = new StatusTransport();
    const { run, relay, service } = parts([0, 30 * DAY], transport, DAY);
    const p = await account('owner-b@example.com');
    const { endpoint } = await service.create(p, { url: 'https://b.example/hook', events: ['job.succeeded'] });
    const read = async () => presentEndpoint((await db.webhooks.getEndpoint(p, endpoint.id))!);
    const start = now;
    await event(p);
    await run();
    assert.equal((await read()).failingSince, new Date(start).toISOString(), 'the first failure starts the clock');
    now = start + 12 * H;
    transport.status = 200;
    await event(p);
    await run();
    assert.equal((await read()).failingSince, null, 'a success stops it');
    transport.status = 500;
    now = start + 13 * H;
    await event(p);
    await run();
    now = start + 13 * H + DAY - 1;
    await event(p);
    await run();
    assert.equal((await read()).disabledAt, null, 'not before a whole period of failures');
    now = start + 13 * H + DAY;
    await event(p);
    await run();
    const shown = await read();
    assert.equal(shown.disabledAt, new Date(now).toISOString());
    assert.ok(String(shown.disabledReason).startsWith(`every attempt failed since ${new Date(start + 13 * H).toISOString()} (1 days)`), String(shown.disabledReason));
    await relay.tick();
    const [m] = mailsTo('owner-b@example.com');
    assert.equal(m?.mail.subject, `mediaforge: webhook endpoint ${endpoint.id} was disabled`);
    assert.ok(m.mail.text?.includes(String(shown.disabledReason)), m.mail.text);
    assert.equal(mailsTo('owner-b@example.com').length, 1);
    // Enabled again, the clock starts over.
    await service.update(p, endpoint.id, { disabled: false });
    assert.deepEqual([(await read()).disabledAt, (await read()).failingSince], [null, null]);
  });
});
