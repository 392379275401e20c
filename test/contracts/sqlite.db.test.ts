import { join } from 'node:path';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite.database.js';
import type { SqlDatabaseOptions } from '../../src/adapters/sql/sql.database.js';
import { runBrokerEventsContract } from './broker-events.contract.js';
import { tempDir } from '../helpers/temp.js';
import { runDbContract } from './db.contract.js';
import { runJobTransitionsContract } from './job-transitions.contract.js';
import { runOutboxContract } from './outbox.contract.js';
import { runUsageContract } from './usage.contract.js';
import { runUsersContract } from './users.contract.js';
import { runWebhooksContract } from './webhooks.contract.js';
import { runLifecycleContract } from './lifecycle.contract.js';
import { runIngestContract } from './ingest.contract.js';

/** A fresh database in its own temp dir, for each contract. */
const openFresh = async (opts: SqlDatabaseOptions = {}) => {
  const t = await tempDir();
  const db = await openSqliteDatabase(join(t.dir, 'test.db'), opts);
  return {
    db,
    cleanup: async () => {
      await db.close();
      await t.cleanup();
    },
  };
};

runDbContract('sqlite (node-sqlite3-wasm)', openFresh);
runJobTransitionsContract('sqlite (node-sqlite3-wasm)', openFresh);
runOutboxContract('sqlite (node-sqlite3-wasm)', openFresh);
runUsageContract('sqlite (node-sqlite3-wasm)', openFresh);
runUsersContract('sqlite (node-sqlite3-wasm)', openFresh);
runWebhooksContract('sqlite (node-sqlite3-wasm)', openFresh);
runBrokerEventsContract('sqlite (node-sqlite3-wasm)', openFresh);
runLifecycleContract('sqlite (node-sqlite3-wasm)', openFresh);
runIngestContract('sqlite (node-sqlite3-wasm)', openFresh);
