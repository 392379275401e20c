import { join } from 'node:path';
import { DbJobQueue } from '../../src/adapters/db-queue/db.job-queue.js';
import { sqliteCapabilities } from '../../src/adapters/sql/dialect.js';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite.database.js';
import type { Clock } from '../../src/ports/clock.port.js';
import { tempDir } from '../helpers/temp.js';
import { runQueueContract } from './queue.contract.js';

const leaseMs = 600;

runQueueContract(
  'db-queue on sqlite',
  async () => {
    const t = await tempDir();
    const db = await openSqliteDatabase(join(t.dir, 'queue.db'));
    // a's clock stops at "crash": its lease renewals then write a lease that has already run out.
    let crashed = false;
    const clockA: Clock = { now: () => (crashed ? 0 : Date.now()) };
    const common = { queue: `q_${Math.random().toString(36).slice(2)}`, caps: sqliteCapabilities, leaseMs, pollMs: 50 };
    const a = new DbJobQueue(db.kysely, { ...common, owner: 'worker-a', clock: clockA });
    const b = new DbJobQueue(db.kysely, { ...common, owner: 'worker-b', clock: { now: () => Date.now() } });
    return {
      a,
      b,
      crashA: async () => {
        crashed = true;
      },
      cleanup: async () => {
        // a's stuck handler never settles, so do not wait for it; stopping its loop is enough.
        void a.close();
        await b.close();
        await db.close();
        await t.cleanup();
      },
    };
  },
  { leaseMs },
);
