import pg from 'pg';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/server';
import { PgNotify } from './pg-notify.js';

export interface PgTusLockerOptions {
  /** Give up waiting for a lock after this long (@tus/server then answers 423 upload_locked). Default 30 s. */
  acquireTimeoutMs?: number;
  /** Time between tries while another session holds the lock. Default 100 ms. */
  pollMs?: number;
  /** Connections held at most: one per upload being written in this process. Default 50. */
  poolSize?: number;
  /** LISTEN/NOTIFY channel of release requests. */
  channel?: string;
}

/**
 * @tus/server's Locker across API processes, on PostgreSQL session advisory locks
 * (`pg_try_advisory_lock` on a hash of the upload id), so two processes never write one
 * upload at once. A lock holds its own connection until `unlock`; a process that dies
 * loses its session and with it every lock it held. As @tus/server's own in-memory locker
 * does, a request that finds the lock taken asks the holder to let go (a NOTIFY on the
 * channel: the holder's process cancels its request, which stores what it received and
 * unlocks), then waits for it: a client that resumes after a half-open connection is not
 * kept waiting by the dead request, and the holder's bytes are never interleaved with the
 * newcomer's (the newcomer then finds a new offset, and tus answers 409 if it sent another).
 */
export class PgTusLocker implements Locker {
  /** Release callbacks of the locks this process holds, by upload id. */
  readonly held = new Map<string, RequestRelease>();
  /** The connections of the locks held now (a pool's end would wait for them forever). */
  readonly connections = new Set<pg.PoolClient>();
  private stopListening: (() => void) | null = null;

  private constructor(
    readonly pool: pg.Pool,
    readonly notify: PgNotify,
    readonly opts: Required<PgTusLockerOptions>,
  ) {}

  static async connect(url: string, options: PgTusLockerOptions = {}): Promise<PgTusLocker> {
    const opts: Required<PgTusLockerOptions> = { acquireTimeoutMs: 30_000, pollMs: 100, poolSize: 50, channel: 'mf_tus_release', ...options };
    const pool = new pg.Pool({ connectionString: url, max: opts.poolSize });
    pool.on('error', () => undefined);
    const notify = await PgNotify.connect(url);
    const locker = new PgTusLocker(pool, notify, opts);
    locker.stopListening = await notify.listen(opts.channel, (id) => {
      const release = id ? locker.held.get(id) : undefined;
      if (release) void Promise.resolve(release()).catch(() => undefined);
    });
    return locker;
  }

  newLock(id: string): Lock {
    return new PgTusLock(this, id);
  }

  /** Ends every connection, those of locks still held too: their sessions' end releases the locks. */
  async close(): Promise<void> {
    this.stopListening?.();
    await this.notify.close();
    for (const client of this.connections) client.release(new Error('the tus locker is closing'));
    this.connections.clear();
    this.held.clear();
    await this.pool.end();
  }
}

const keyOf = (id: string) => `mediaforge:tus:${id}`;

/** A held connection that fails (the server restarted, the session was ended) must not crash the process; `unlock` throws it away. */
const ignore = () => undefined;

class PgTusLock implements Lock {
  private client: pg.PoolClient | null = null;
  constructor(private readonly locker: PgTusLocker, private readonly id: string) {}

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const { pool, notify, opts } = this.locker;
    const client = await pool.connect();
    client.on('error', ignore);
    const deadline = Date.now() + opts.acquireTimeoutMs;
    let askedAt = 0;
    try {
      for (;;) {
        if (signal.aborted) throw ERRORS.ERR_LOCK_TIMEOUT;
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [keyOf(this.id)]);
        if (rows[0].ok) break;
        // Ask the holder to let go, again every second while it has not.
        if (Date.now() - askedAt > 1000) {
          askedAt = Date.now();
          await notify.notify(opts.channel, this.id);
        }
        if (Date.now() >= deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
        await sleep(opts.pollMs, signal);
      }
    } catch (err) {
      client.release();
      client.off('error', ignore);
      throw err;
    }
    this.client = client;
    this.locker.connections.add(client);
    this.locker.held.set(this.id, requestRelease);
  }

  async unlock(): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('Releasing an unlocked lock!');
    this.client = null;
    this.locker.held.delete(this.id);
    // Ended by close() already: nothing left to release.
    if (!this.locker.connections.delete(client)) return;
    try {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [keyOf(this.id)]);
      client.release();
    } catch (err) {
      // A connection that cannot unlock is thrown away: its session's end releases the lock.
      client.release(err as Error);
    }
    client.off('error', ignore);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
