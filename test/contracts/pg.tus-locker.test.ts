import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PgTusLocker } from '../../src/adapters/postgres/pg.tus-locker.js';
import { PG_URL } from './postgres.schema.js';

/**
 * The tus locker on PostgreSQL advisory locks, two lockers as two API processes would have
 * (each its own pool and LISTEN connection) on the real server.
 */
describe('PgTusLocker (PostgreSQL advisory locks)', () => {
  let a: PgTusLocker;
  let b: PgTusLocker;
  const channel = `mf_tus_test_${randomBytes(4).toString('hex')}`;
  const id = () => `upl_test_${randomBytes(6).toString('hex')}`;
  const never = () => new AbortController().signal;

  before(async () => {
    a = await PgTusLocker.connect(PG_URL, { channel, acquireTimeoutMs: 1500, pollMs: 20, poolSize: 4 });
    b = await PgTusLocker.connect(PG_URL, { channel, acquireTimeoutMs: 1500, pollMs: 20, poolSize: 4 });
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it('a second locker waits while the first holds the lock, asks it to let go, and gets it on release', async () => {
    const upload = id();
    const first = a.newLock(upload);
    let asked = 0;
    await first.lock(never(), () => {
      asked++;
    });
    let got = false;
    const second = b.newLock(upload);
    const waiting = second.lock(never(), () => undefined).then(() => (got = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(got, false, 'the second waits while the first holds it');
    assert.ok(asked >= 1, 'the holder was asked to release (NOTIFY across lockers)');
    await first.unlock();
    await waiting;
    assert.equal(got, true);
    await second.unlock();
  });

  it('refuses after its timeout when the holder does not let go', async () => {
    const upload = id();
    const first = a.newLock(upload);
    await first.lock(never(), () => undefined);
    const started = Date.now();
    await assert.rejects(b.newLock(upload).lock(never(), () => undefined), (err: { status_code?: number; body?: string }) => /lock/.test(err.body ?? ''));
    assert.ok(Date.now() - started >= 1400, 'it waited for its timeout');
    await first.unlock();
  });

  it('a waiter whose request is aborted stops waiting and leaves no lock behind; different uploads do not block each other', async () => {
    const upload = id();
    const first = a.newLock(upload);
    await first.lock(never(), () => undefined);
    const other = b.newLock(id());
    await other.lock(never(), () => undefined);
    await other.unlock();
    const stop = new AbortController();
    const waiting = b.newLock(upload).lock(stop.signal, () => undefined);
    setTimeout(() => stop.abort(), 100);
    await assert.rejects(waiting);
    await first.unlock();
    const third = b.newLock(upload);
    await third.lock(never(), () => undefined);
    await third.unlock();
  });

  it('a locker whose connections end (its process died) releases what it held', async () => {
    const dying = await PgTusLocker.connect(PG_URL, { channel, acquireTimeoutMs: 1500, pollMs: 20, poolSize: 2 });
    const upload = id();
    await dying.newLock(upload).lock(never(), () => undefined);
    // The session holding the advisory lock ends, as it does when its process is SIGKILLed.
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const { rows } = await admin.query(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_locks WHERE locktype = 'advisory' AND granted
         AND objid::bigint = (hashtextextended($1, 0) & 4294967295) AND classid::bigint = ((hashtextextended($1, 0) >> 32) & 4294967295)`,
      [`mediaforge:tus:${upload}`],
    );
    await admin.end();
    assert.equal(rows.length, 1, 'the holder session was found by its lock');
    const next = b.newLock(upload);
    await next.lock(never(), () => undefined);
    await next.unlock();
    await dying.close().catch(() => undefined);
  });
});
