import { join } from 'node:path';
import { openPostgresDatabase } from '../../src/adapters/postgres/postgres.database.js';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite.database.js';
import type { Database } from '../../src/ports/db.port.js';
import { dropSchema, freshSchema, PG_URL } from '../contracts/postgres.schema.js';
import { tempDir } from './temp.js';

export type OpenEngine = () => Promise<{ db: Database; done(): Promise<void> }>;

/** A real SQLite file and a fresh PostgreSQL schema, each opened with e-mails on, for tests that run on both engines. */
export const emailEngines: Array<[string, OpenEngine]> = [
  ['sqlite', async () => {
    const t = await tempDir();
    const db = await openSqliteDatabase(join(t.dir, 'db.sqlite'), { emails: true });
    return { db, done: async () => (await db.close(), await t.cleanup()) };
  }],
  ['postgres', async () => {
    const schema = freshSchema();
    const db = await openPostgresDatabase(PG_URL, { schema, poolSize: 3, emails: true });
    return { db, done: async () => (await db.close(), await dropSchema(schema)) };
  }],
];
