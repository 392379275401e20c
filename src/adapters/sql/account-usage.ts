import type { Kysely } from 'kysely';
import type { AccountUsage } from '../../ports/db.port.js';
import type { Tables } from './schema.js';

/**
 * What one account holds and runs now. Stored bytes: its uploads whose source is still stored
 * (not expired, not deleted) and its jobs' `output_bytes` (0 once their outputs are removed),
 * so a removal lowers the figure the storage quota is checked against at its commit.
 */
export async function accountUsage(db: Kysely<Tables>, accountId: string): Promise<AccountUsage> {
  const jobs = await db
    .selectFrom('jobs')
    .select((eb) => [
      eb.fn.sum<number>('output_bytes').as('bytes'),
      eb.fn.sum<number>(eb.case().when('status', '=', 'running').then(1).else(0).end()).as('running'),
      eb.fn.sum<number>(eb.case().when('status', '=', 'queued').then(1).else(0).end()).as('queued'),
    ])
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  const uploads = await db
    .selectFrom('uploads')
    .select((eb) => eb.fn.sum<number>('size').as('bytes'))
    .where('account_id', '=', accountId)
    .where('status', 'not in', ['expired', 'deleted'])
    .executeTakeFirstOrThrow();
  const outputBytes = Number(jobs.bytes ?? 0);
  const uploadBytes = Number(uploads.bytes ?? 0);
  return { storageBytes: outputBytes + uploadBytes, uploadBytes, outputBytes, runningJobs: Number(jobs.running ?? 0), queuedJobs: Number(jobs.queued ?? 0) };
}
