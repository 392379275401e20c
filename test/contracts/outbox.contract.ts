import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import { outboxJobId } from '../../src/domain/outbox.js';
import { decideCancel, decideCreate, decideFailure } from '../../src/domain/job-lifecycle.js';
import type { OutputState } from '../../src/domain/job.js';
import type { Database } from '../../src/ports/db.port.js';
import type { JobQueue, QueueMessage } from '../../src/ports/queue.port.js';
import { OutboxRelay } from '../../src/services/outbox-relay.js';
import type { DbUnderTest } from './db.contract.js';
import { ADMIN } from '../helpers/principals.js';

const outputs: OutputState[] = [{ spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' }, status: 'pending', files: [] }];

/** Records what it was given; refuses everything while `down`. The queue is not under test here. */
export class RecordingQueue implements JobQueue {
  down = false;
  readonly sent: Array<QueueMessage & { delayMs?: number }> = [];
  async enqueue(message: QueueMessage, opts?: { delayMs?: number }) {
    if (this.down) throw new Error('queue connection refused');
    this.sent.push({ ...message, ...(opts?.delayMs ? { delayMs: opts.delayMs } : {}) });
  }
  consume(): never {
    throw new Error('not used');
  }
  async depth() {
    return this.sent.length;
  }
  async depthByRoute(): Promise<never> {
    throw new Error('not used');
  }
  async close() {}
  /** How many messages each of these jobs got. */
  counts(ids: string[]) {
    return ids.map((id) => this.sent.filter((m) => m.jobId === id).length);
  }
}

/**
 * The outbox and its relay, on every database adapter: a transition's row is sent and
 * marked, a refusal leaves it for later, leases keep two relays off one row, and a relay
 * that dies between the send and the mark costs at most that row once more.
 */
export function runOutboxContract(name: string, make: () => Promise<DbUnderTest>) {
  describe(`outbox contract: ${name}`, () => {
    let h: DbUnderTest;
    let db: Database;
    const clock = { t: 1_000_000, now() { return this.t; } };
    before(async () => {
      h = await make();
      db = h.db;
    });
    after(async () => h.cleanup());

    const create = async (now = clock.now()) => {
      const id = newId('job', now);
      await db.jobs.create(ADMIN, { id, uploadId: 'upl_x', outputs, userMetadata: null, maxAttempts: 3, createdAt: now, initial: decideCreate(id, now).write });
      return id;
    };
    const relay = (queue: JobQueue, opts: ConstructorParameters<typeof OutboxRelay>[1] = {}, database: Database = db) =>
      new OutboxRelay({ db: database, queue, clock }, { graceMs: 1000, leaseMs: 5000, ...opts });
    const unsent = async (id: string) => (await db.outbox.forJob(id)).filter((r) => r.sentAt === null);

    it('sends the row a transition committed, with the job\'s route, and marks it sent', async () => {
      const queue = new RecordingQueue();
      const id = await create();
      assert.deepEqual(await relay(queue).sendForJob(id), { status: 'sent' });
      assert.deepEqual(queue.sent, [{ jobId: id, route: 'thumbnail' }]);
      const [row] = await db.outbox.forJob(id);
      assert.equal(row.sentAt, clock.now());
      assert.deepEqual(await relay(queue).sendForJob(id), { status: 'nothing' }, 'a marked row is not sent again');
      clock.t += 10_000;
      await relay(queue).pass();
      assert.deepEqual(queue.counts([id]), [1]);
    });

    it('sends a retry with its remaining delay', async () => {
      const queue = new RecordingQueue();
      const id = await create();
      const c = await db.jobs.claim(id, 'w1', clock.now(), 1000);
      const d = decideFailure(c!, { code: 'ffmpeg_failed', message: 'x' }, { outputs, warnings: [] }, clock.now(), { baseMs: 4000 });
      await db.jobs.settle({ id, attempt: c!.attempts }, d.write);
      clock.t += 1000;
      await relay(queue).sendForJob(id);
      assert.deepEqual(queue.sent, [{ jobId: id, route: 'thumbnail', delayMs: 3000 }], 'one message covers both rows, due at runAfter');
      assert.deepEqual(await unsent(id), []);
    });

    it('leaves a fresh row to its writer for the grace period, then a pass sends it', async () => {
      const queue = new RecordingQueue();
      clock.t += 10_000;
      const id = await create();
      clock.t += 999;
      assert.equal((await relay(queue).pass()).sent.includes(id), false, 'within the grace period');
      clock.t += 1;
      assert.equal((await relay(queue).pass()).sent.includes(id), true);
      assert.deepEqual(queue.counts([id]), [1]);
    });

    it('keeps a refused row with its error and backoff; a later pass sends it', async () => {
      const queue = new RecordingQueue();
      clock.t += 10_000;
      const id = await create();
      queue.down = true;
      const r = relay(queue, { retryBaseMs: 2000 });
      const refused = await r.sendForJob(id);
      assert.equal(refused.status, 'refused');
      const [row] = await unsent(id);
      assert.deepEqual([row.attempts, row.availableAt, row.leaseOwner, row.lastError], [1, clock.now() + 2000, null, 'queue connection refused']);
      queue.down = false;
      clock.t += 1999;
      assert.equal((await r.pass()).sent.includes(id), false, 'not before its backoff');
      clock.t += 1;
      assert.equal((await r.pass()).sent.includes(id), true);
      assert.deepEqual([queue.counts([id]), await unsent(id)], [[1], []]);
    });

    it('stops a pass at the first refusal and gives the untried rows back', async () => {
      const queue = new RecordingQueue();
      clock.t += 10_000;
      const ids = [await create(), await create(), await create()];
      clock.t += 1000;
      queue.down = true;
      const r = relay(queue);
      const { refused } = await r.pass();
      assert.ok(refused);
      const rows = await Promise.all(ids.map(async (id) => (await unsent(id))[0]));
      assert.equal(rows.filter((row) => row.lastError !== null).length, 1, 'only one send was tried');
      assert.deepEqual(rows.map((row) => row.leaseOwner), [null, null, null], 'no row stays leased');
      queue.down = false;
      clock.t += 60_000;
      await r.pass();
      assert.deepEqual(queue.counts(ids), [1, 1, 1]);
    });

    it('marks the row of a job that is no longer queued without sending it', async () => {
      const queue = new RecordingQueue();
      clock.t += 10_000;
      const id = await create();
      await db.jobs.transition(id, decideCancel((await db.jobs.get(ADMIN, id))!, clock.now()));
      assert.deepEqual(await relay(queue).sendForJob(id), { status: 'sent' });
      assert.deepEqual([queue.counts([id]), await unsent(id)], [[0], []]);
    });

    it('never lets two relays send the same row at once', async () => {
      const queue = new RecordingQueue();
      clock.t += 10_000;
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(await create());
      clock.t += 1000;
      await Promise.all([relay(queue, { owner: 'r1' }).pass(5), relay(queue, { owner: 'r2' }).pass(5), relay(queue, { owner: 'r3' }).pass(5)]);
      await Promise.all([relay(queue, { owner: 'r1' }).pass(5), relay(queue, { owner: 'r2' }).pass(5)]);
      assert.deepEqual(queue.counts(ids), ids.map(() => 1), 'each job once');

      // A row another relay holds is not taken until its lease runs out.
      const held = await create();
      clock.t += 1000;
      const taken = await db.outbox.claimDue({ owner: 'r-held', now: clock.now(), leaseMs: 5000, kinds: ['queue.dispatch'], limit: 100, freshAfterMs: 1000 });
      assert.ok(taken.some((e) => outboxJobId(e.message) === held));
      assert.deepEqual(await relay(queue).sendForJob(held), { status: 'nothing' });
      clock.t += 4999;
      await relay(queue).pass();
      assert.deepEqual(queue.counts([held]), [0], 'leased');
      clock.t += 2;
      const retaken = await db.outbox.claimForJob(held, { owner: 'r-next', now: clock.now(), leaseMs: 5000 });
      assert.equal(retaken.length, 1, 'the lease ran out: the next relay takes it');
      const heldIds = taken.filter((e) => outboxJobId(e.message) === held).map((e) => e.id);
      assert.equal(await db.outbox.complete(heldIds, 'r-held', clock.now()), 0, 'the first relay lost the row: its late mark changes nothing');
      await db.outbox.release(heldIds, 'r-held', { availableAt: 0, error: 'late' });
      assert.deepEqual((await unsent(held)).map((r) => [r.leaseOwner, r.lastError]), [['r-next', null]], 'nor does its late release');
      assert.equal(await db.outbox.complete(retaken.map((e) => e.id), 'r-next', clock.now()), 1);
      await db.outbox.release(taken.map((e) => e.id), 'r-held', null);
    });

    it('a claim leases at most `limit` rows, each to one claimer, also when many claim at once', async () => {
      clock.t += 100_000;
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push(await create());
      clock.t += 1000;
      const claim = (owner: string) => db.outbox.claimDue({ owner, now: clock.now(), leaseMs: 60_000, kinds: ['queue.dispatch'], limit: 1, freshAfterMs: 1000 });
      const got = await Promise.all(Array.from({ length: 40 }, (_, i) => claim(`c${i}`)));
      assert.ok(got.every((g) => g.length <= 1), `limit 1, got ${got.map((g) => g.length).join(',')}`);
      const returned = got.flat().map((e) => outboxJobId(e.message)!);
      assert.equal(new Set(returned).size, returned.length, 'no row to two claimers');
      const leased = (await Promise.all(ids.map((id) => unsent(id)))).flat().filter((r) => r.leaseOwner !== null);
      assert.equal(leased.length, returned.length, 'every leased row was handed to its claimer: none waits out a lease nobody works on');
      const all = got.flat();
      for (const [i, g] of got.entries()) if (g.length) await db.outbox.release(g.map((e) => e.id), `c${i}`, null);
      assert.ok(all.length > 0);
    });

    it('re-sends only the row a relay sent but died before marking', async () => {
      const queue = new RecordingQueue();
      clock.t += 10_000;
      // The relay's process dies right after the queue took the message: its mark never happens.
      const dying: Database = { ...db, outbox: Object.assign(Object.create(db.outbox) as Database['outbox'], { complete: async () => Promise.reject(new Error('process died')) }) };
      const [a, b] = [await create(), await create()];
      await relay(queue, { owner: 'dying' }, dying).sendForJob(a);
      await relay(queue, { owner: 'alive' }).sendForJob(b);
      assert.deepEqual(queue.counts([a, b]), [1, 1]);
      clock.t += 5001;
      const { sent } = await relay(queue, { owner: 'alive' }).pass();
      assert.deepEqual(sent.filter((id) => id === a || id === b), [a]);
      assert.deepEqual(queue.counts([a, b]), [2, 1], 'the unmarked row once more, nothing else');
      assert.deepEqual([await unsent(a), await unsent(b)], [[], []]);
    });

    it('prunes sent rows after a while and keeps unsent ones', async () => {
      const queue = new RecordingQueue();
      clock.t += 10_000;
      const [sent, waiting] = [await create(), await create()];
      await relay(queue).sendForJob(sent);
      assert.ok((await db.outbox.backlog()) >= 1);
      clock.t += 60_000;
      assert.ok((await relay(queue, { keepSentMs: 60_001 }).prune()) >= 0);
      assert.equal((await db.outbox.forJob(sent)).length, 1, 'not yet');
      clock.t += 1;
      assert.ok((await relay(queue, { keepSentMs: 60_000 }).prune()) >= 1);
      assert.deepEqual([(await db.outbox.forJob(sent)).length, (await unsent(waiting)).length], [0, 1]);
    });
  });
}
