import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DbJobQueue } from '../../src/adapters/db-queue/db.job-queue.js';
import type { QueueMessage } from '../../src/ports/queue.port.js';
import { waitFor } from '../helpers/temp.js';
import { postgresDb, sqliteDb, type OldDb } from './old-db.js';

const at = Date.UTC(2026, 11, 6, 12);
const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

for (const [name, open] of [['sqlite', sqliteDb], ['postgres', postgresDb]] as const) {
  describe(`migration 0019_queue_traceparent: ${name}`, () => {
    let o: OldDb;
    after(async () => o?.close());

    it('keeps a message written before it (delivered without a traceparent) and carries the traceparent of one written after', async () => {
      o = await open();
      await o.migrate('0017_notify');
      await o.db.insertInto('queue_messages').values({ queue: 'q', job_id: 'job_old', route: 'thumbnail', available_at: at, lease_owner: null, lease_until: null, deliveries: 0, created_at: at }).execute();
      assert.ok((await o.migrate()).includes('0019_queue_traceparent'));
      const queue = new DbJobQueue(o.db, { queue: 'q', owner: 'w1', clock: { now: () => Date.now() }, caps: o.caps, pollMs: 20 });
      await queue.enqueue({ jobId: 'job_new', route: 'thumbnail', traceparent: TP });
      const seen: QueueMessage[] = [];
      const c = queue.consume(async (m) => void seen.push(m), { concurrency: 1 });
      await waitFor(async () => seen.length === 2, { what: 'both messages' });
      await c.close();
      await queue.close();
      assert.deepEqual(seen.sort((a, b) => a.jobId.localeCompare(b.jobId)), [
        { jobId: 'job_new', route: 'thumbnail', traceparent: TP },
        { jobId: 'job_old', route: 'thumbnail' },
      ]);
      assert.deepEqual(await o.migrate(), [], 'a second start has nothing to do');
    });
  });
}
