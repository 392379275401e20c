import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import { decideCreate, decideSuccess, outputsReadyMessages } from '../../src/domain/job-lifecycle.js';
import type { OutputState } from '../../src/domain/job.js';
import type { OutboxMessage } from '../../src/domain/outbox.js';
import type { Principal } from '../../src/domain/principal.js';
import type { WebhookEventType } from '../../src/domain/webhooks.js';
import type { Database } from '../../src/ports/db.port.js';
import { emailEngines } from '../helpers/engines.js';
import { inAccount } from '../helpers/principals.js';

/**
 * A job's writes and the outbox rows they carry, the same on both paths: PostgreSQL writes a
 * claim, a settle and an output-ready write as one statement (src/adapters/sql/one-statement.ts),
 * SQLite as an UPDATE and INSERTs in a transaction. Which rows, in which order, under which
 * conditions (an endpoint subscribing, an address to tell), nothing for a stale write, and
 * what the process remembers it wrote (the relays' wake-ups).
 */
const engines = emailEngines;

const outputs: OutputState[] = [
  { spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' }, status: 'pending', files: [] },
  { spec: { type: 'thumbnail', format: 'png', deinterlace: 'auto' }, status: 'pending', files: [] },
];
const stored: OutputState[] = outputs.map((o, i) => ({ ...o, status: 'succeeded', files: [{ name: `t${i}`, key: `k/${i}`, size: 10, contentType: 'image/jpeg' }] }));

for (const [engine, open] of engines) describe(`a job's writes and their outbox rows: ${engine}`, () => {
  let opened: { db: Database; done(): Promise<void> };
  let db: Database;
  let now = Date.UTC(2026, 11, 6, 9);
  before(async () => {
    opened = await open();
    db = opened.db;
  });
  after(async () => opened?.done());

  const account = async (opts: { email?: string; events?: WebhookEventType[] }): Promise<Principal> => {
    const id = newId('acc');
    await db.accounts.create({ id, name: id, quotas: {}, ...(opts.email ? { notifyEmail: opts.email } : {}), createdAt: now, updatedAt: now });
    const p = inAccount(id, ['webhooks:manage']);
    if (opts.events) {
      await db.webhooks.createEndpoint(p, {
        id: newId('whk'), accountId: id, url: 'https://hooks.example.com/in', events: opts.events, description: null, secret: 'sealed', previousSecret: null,
        previousSecretUntil: null, pausedUntil: null, createdAt: now, updatedAt: now, disabledAt: null, disabledReason: null,
      });
    }
    return p;
  };
  const job = async (p: Principal) => {
    const id = newId('job', now);
    await db.jobs.create(p, { id, uploadId: 'upl_x', outputs, userMetadata: null, maxAttempts: 3, createdAt: now, initial: decideCreate(id, now).write });
    return id;
  };
  /** The job's event and e-mail rows, oldest first, as kind:type. */
  const rows = async (jobId: string) => {
    const all = await db.outbox.claimDue({ owner: 'peek', now: now + 1e9, leaseMs: 1, kinds: ['webhook.event', 'email.notify'], limit: 1000, freshAfterMs: 0 });
    await db.outbox.release(all.map((r) => r.id), 'peek', null);
    return all
      .filter((r) => ('id' in r.message && r.message.id === jobId) || ('subjectId' in r.message && r.message.subjectId === jobId))
      .map((r) => (r.message.kind === 'webhook.event' ? `${r.message.type}${r.message.output !== undefined ? `#${r.message.output}` : ''}` : `email:${(r.message as { topic: string }).topic}`));
  };
  const took = (id: string) => ['webhook.event', 'email.notify'].filter((k) => db.outbox.takeWritten(k as OutboxMessage['kind'], id));

  it('writes the subscribed events and the e-mail with the claim, the outputs and the settle, in order', async () => {
    const p = await account({ email: 'office@school.example', events: ['job.started', 'job.output.ready', 'job.succeeded'] });
    const id = await job(p);
    const claimed = await db.jobs.claim(id, 'w', ++now, 60_000);
    assert.equal(claimed?.status, 'running');
    assert.equal(claimed?.attempts, 1, 'the claim returns the row as written');
    assert.deepEqual(took(id), ['webhook.event']);
    const fence = { id, attempt: 1 };
    assert.equal(await db.jobs.updateProgress(fence, { at: ++now, outputs: stored, progress: 90, messages: outputsReadyMessages(id, stored, [0, 1], now) }), true);
    assert.equal(await db.jobs.settle(fence, decideSuccess(claimed!, { outputs: stored, warnings: [] }, ++now).write), true);
    assert.deepEqual(took(id), ['webhook.event', 'email.notify']);
    assert.deepEqual(took(id), [], 'told once');
    assert.deepEqual(await rows(id), ['job.started', 'job.output.ready#0', 'job.output.ready#1', 'job.succeeded', 'email:job.succeeded']);
    const shown = await db.jobs.get(p, id);
    assert.deepEqual([shown?.status, shown?.outputs.map((o) => o.status), shown?.progress], ['succeeded', ['succeeded', 'succeeded'], 100]);
  });

  it('writes no rows for an account with no endpoint for the type and no address, and none for a stale write', async () => {
    const quiet = await account({ events: ['upload.ready'] });
    const id = await job(quiet);
    const claimed = await db.jobs.claim(id, 'w', ++now, 60_000);
    assert.ok(claimed);
    assert.equal(await db.jobs.settle({ id, attempt: 2 }, decideSuccess(claimed, { outputs: stored, warnings: [] }, ++now).write), false, 'a stale attempt changes nothing');
    assert.equal((await db.jobs.get(quiet, id))?.status, 'running');
    assert.equal(await db.jobs.settle({ id, attempt: 1 }, decideSuccess(claimed, { outputs: stored, warnings: [] }, ++now).write), true);
    assert.equal((await db.jobs.get(quiet, id))?.status, 'succeeded');
    assert.deepEqual(await rows(id), []);
    assert.deepEqual(took(id), []);

    // The address alone: the e-mail row, no webhook row.
    const told = await account({ email: 'a@b.example' });
    const id2 = await job(told);
    const c2 = await db.jobs.claim(id2, 'w', ++now, 60_000);
    assert.equal(await db.jobs.settle({ id: id2, attempt: 1 }, decideSuccess(c2!, { outputs: stored, warnings: [] }, ++now).write), true);
    assert.deepEqual(await rows(id2), ['email:job.succeeded']);
    assert.deepEqual(took(id2), ['email.notify']);
    assert.equal(await db.jobs.claim(id2, 'w2', ++now, 60_000), null, 'a finished job is not claimed');
  });
});
