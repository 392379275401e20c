import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { PgNotify } from '../../src/adapters/postgres/pg-notify.js';
import { PG_URL } from './postgres.schema.js';

/** Counts the statements every pg client of this process sends while `work` runs. */
async function countingStatements<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string };
    statements.push(typeof q === 'string' ? q : (q.text ?? ''));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    return { result: await work(), statements };
  } finally {
    pg.Client.prototype.query = original;
  }
}

describe('PgNotify', () => {
  const opened: PgNotify[] = [];
  after(async () => {
    for (const n of opened) await n.close();
  });

  it('sends a burst of notifications in one statement per turn, delivered in the order sent', async () => {
    const sender = await PgNotify.connect(PG_URL);
    const listener = await PgNotify.connect(PG_URL);
    opened.push(sender, listener);
    const channel = `mf_test_${randomBytes(4).toString('hex')}`;
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      void listener.listen(channel, (p) => {
        got.push(p);
        if (got.length === 60) resolve();
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    const { statements } = await countingStatements(async () => {
      // 60 sends in one tick, as a settle's events come; then one more after they left.
      await Promise.all(Array.from({ length: 59 }, (_, i) => sender.notify(channel, `event ${i}`)));
      await sender.notify(channel, 'event 59');
    });
    await all;
    assert.deepEqual(got, Array.from({ length: 60 }, (_, i) => `event ${i}`));
    const notifies = statements.filter((s) => s.includes('pg_notify'));
    assert.equal(notifies.length, 2, `60 notifications left in ${notifies.length} statements`);
  });

  it('rejects every notification of a batch while the connection is down', async () => {
    const sender = await PgNotify.connect(PG_URL);
    opened.push(sender);
    await sender.close();
    await assert.rejects(Promise.all([sender.notify('mf_x', 'a'), sender.notify('mf_x', 'b')]), /connection is down/);
  });
});
