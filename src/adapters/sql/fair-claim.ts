import type { Kysely } from 'kysely';
import { effectiveQuotas, type AccountRecord } from '../../domain/account.js';
import { pickFair, type WaitingAccount } from '../../domain/fair-share.js';
import type { JobRecord } from '../../domain/job.js';
import type { ClaimNext } from '../../ports/db.port.js';
import type { Tables } from './schema.js';

type Claim = (db: Kysely<Tables>, id: string) => Promise<JobRecord | null>;

/**
 * The fair claim (src/domain/fair-share.ts) on the jobs table: the waiting accounts of the
 * route with their oldest due job, the running count per account, the accounts' running-jobs
 * quotas; then the pick, claimed with the usual conditional UPDATE. For an account with a
 * quota the count and the claim happen in one transaction that first writes the account's
 * row, so two workers cannot both take its last free slot (PostgreSQL holds the row lock to
 * the commit; SQLite runs one transaction at a time).
 */
export async function claimFair(db: Kysely<Tables>, req: ClaimNext, claim: Claim): Promise<{ job: JobRecord; limited: boolean } | 'held' | null> {
  for (let round = 0; round < 4; round++) {
    const waiting: WaitingAccount[] = (
      await db
        .selectFrom('jobs')
        .select(['account_id', (eb) => eb.fn.min<string>('id').as('oldest')])
        .where('status', '=', 'queued')
        .where('route', '=', req.route)
        .where('run_after', '<=', req.now)
        .groupBy('account_id')
        .execute()
    ).map((r) => ({ accountId: r.account_id, oldestJobId: r.oldest, lastStartedAt: null as number | null }));
    if (waiting.length === 0) return null;
    if (waiting.length > 1) {
      // Round robin needs only the order of recent starts: the last hour's (index jobs_account_started).
      const starts = await db
        .selectFrom('jobs')
        .select(['account_id', (eb) => eb.fn.max<number>('started_at').as('last')])
        .where('account_id', 'in', waiting.map((w) => w.accountId))
        .where('started_at', '>=', req.now - 3_600_000)
        .groupBy('account_id')
        .execute();
      const last = new Map(starts.map((r) => [r.account_id, Number(r.last)]));
      for (const w of waiting) w.lastStartedAt = last.get(w.accountId) ?? null;
    }
    const running = new Map(
      (
        await db
          .selectFrom('jobs')
          .select(['account_id', (eb) => eb.fn.countAll<number>().as('n')])
          .where('status', '=', 'running')
          .where('account_id', 'in', waiting.map((w) => w.accountId))
          .groupBy('account_id')
          .execute()
      ).map((r) => [r.account_id, Number(r.n)]),
    );
    const accounts = new Map<string, Pick<AccountRecord, 'quotas'>>(
      (await db.selectFrom('accounts').select(['id', 'quotas']).where('id', 'in', waiting.map((w) => w.accountId)).execute()).map((r) => [r.id, { quotas: parseQuotas(r.quotas) }]),
    );
    const limitOf = (id: string) => effectiveQuotas(accounts.get(id) ?? { quotas: {} }, { ...req.defaults }).runningJobs;
    const pick = pickFair(waiting, running, limitOf);
    if (pick === null || pick === 'held') return pick;
    if (!pick.limited) {
      const job = await claim(db, pick.jobId);
      if (job) return { job, limited: false };
      continue; // another slot took it first: look again
    }
    const limit = limitOf(pick.accountId)!;
    const job = await db.transaction().execute(async (trx) => {
      await trx.updateTable('accounts').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', pick.accountId).execute();
      const row = await trx.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'running').where('account_id', '=', pick.accountId).executeTakeFirstOrThrow();
      return Number(row.n) < limit ? claim(trx, pick.jobId) : null;
    });
    if (job) return { job, limited: true };
  }
  return null;
}

function parseQuotas(text: string): AccountRecord['quotas'] {
  try {
    return JSON.parse(text) as AccountRecord['quotas'];
  } catch {
    return {};
  }
}
