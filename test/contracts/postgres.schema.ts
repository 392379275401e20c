import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The shared PostgreSQL on the machine (CI starts it); override with MEDIAFORGE_TEST_PG_URL. */
export const PG_URL = process.env.MEDIAFORGE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A schema name no other test run uses; drop it with dropSchema afterwards. */
export const freshSchema = (prefix = 'mf_test') => `${prefix}_${randomBytes(6).toString('hex')}`;

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
