import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { DialectCapabilities } from '../../src/adapters/sql/dialect.js';
import { sqlDatabase } from '../../src/adapters/sql/sql.database.js';
import { OutboxRelay } from '../../src/services/outbox-relay.js';
import { RecordingQueue } from './outbox.contract.js';

/**
 * Migration 0007_outbox on a database the previous schema (0006) filled: every job that
 * still carried 0005's dispatch mark becomes an unsent outbox row offered from the mark's
 * time, the mark is cleared, and the relay then sends what 0005's sweeper would have sent.
 */
export async function checkOutboxUpgrade(db: Kysely<any>, caps: DialectCapabilities, migrate: (upTo: string) => Promise<string[]>) {
  await migrate('0006_damage_policy');
  const thumb = JSON.stringify([{ spec: { type: 'thumbnail' }, status: 'pending', files: [] }]);
  const hls = JSON.stringify([{ spec: { type: 'hls' }, status: 'pending', files: [] }]);
  const job = { max_attempts: 3, attempts: 0, upload_id: 'upl_x', outputs: thumb, created_at: 1, updated_at: 1 };
  await db
    .insertInto('jobs')
    .values([
      // Its message never reached the queue: still marked.
      { ...job, id: 'job_a_waiting', status: 'queued', run_after: 7, dispatch_due: 7, outputs: hls },
      // A retry with backoff whose message was refused, marked with its runAfter.
      { ...job, id: 'job_b_retry', status: 'queued', run_after: 9, dispatch_due: 9 },
      // Its message was taken: the mark was cleared.
      { ...job, id: 'job_c_sent', status: 'queued', run_after: 5, dispatch_due: null },
      // Claimed before its mark was cleared (the old sweeper skipped it, as the relay will).
      { ...job, id: 'job_d_running', status: 'running', run_after: 3, dispatch_due: 3, attempts: 1 },
      { ...job, id: 'job_e_done', status: 'succeeded', run_after: 2, dispatch_due: null },
    ])
    .execute();

  assert.deepEqual(await migrate('0007_outbox'), ['0007_outbox']);
  const rows = await db.selectFrom('outbox').selectAll().orderBy('id').execute();
  assert.deepEqual(
    rows.map((r) => [r.kind, r.job_id, JSON.parse(r.payload), Number(r.available_at), Number(r.attempts), r.sent_at, r.lease_owner]),
    [
      ['queue.dispatch', 'job_d_running', { kind: 'queue.dispatch', jobId: 'job_d_running' }, 3, 0, null, null],
      ['queue.dispatch', 'job_a_waiting', { kind: 'queue.dispatch', jobId: 'job_a_waiting' }, 7, 0, null, null],
      ['queue.dispatch', 'job_b_retry', { kind: 'queue.dispatch', jobId: 'job_b_retry' }, 9, 0, null, null],
    ],
  );
  const marks = await db.selectFrom('jobs').select('dispatch_due').where('dispatch_due', 'is not', null).execute();
  assert.deepEqual(marks, [], 'the mark is no longer used');

  // The upgraded database works with the new code: the relay sends the marked queued jobs on their routes.
  const queue = new RecordingQueue();
  const relay = new OutboxRelay({ db: sqlDatabase(db, caps), queue, clock: { now: () => 100_000 } }, { graceMs: 15_000 });
  const { sent } = await relay.pass();
  assert.deepEqual(sent, ['job_d_running', 'job_a_waiting', 'job_b_retry']);
  assert.deepEqual(queue.sent, [{ jobId: 'job_a_waiting', route: 'hls' }, { jobId: 'job_b_retry', route: 'thumbnail' }], 'the running job needs no message');
  const left = await db.selectFrom('outbox').select('id').where('sent_at', 'is', null).execute();
  assert.deepEqual(left, []);
}
