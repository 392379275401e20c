import { sql, type Kysely } from 'kysely';
import { effectiveQuotas, type AccountRecord } from '../../domain/account.js';
import { pickFair, type WaitingAccount } from '../../domain/fair-share.js';
import type { JobRecord } from '../../domain/job.js';
import type { ClaimNext } from '../../ports/db.port.js';
import type { Tables } from './schema.js';

type Claim = (db: Kysely<Tables>, id: string) => Promise<JobRecord | null>;

/** What one statement tells a claim: the route's waiting accounts, and whether the hinted job's lease ran out. */
interface Look {
  waiting: WaitingAccount[];
  running: Map<string, number>;
  quotas: Map<string, Pick<AccountRecord, 'quotas'>>;
  /** The job named by `expiredHint` runs with a lease that ran out (its worker is gone). */
  hintExpired: boolean;
}

/**
 * The fair claim (src/domain/fair-share.ts) on the jobs table: the waiting accounts of the
 * route with their oldest due job, their running count, their recent start and their quotas,
 * all read by one statement (`look`); then the pick, claimed with the usual conditional
 * UPDATE. For an account with a quota the count and the claim happen in one transaction that
 * first writes the account's row, so two workers cannot both take its last free slot
 * (PostgreSQL holds the row lock to the commit; SQLite runs one transaction at a time).
 * `expired`, when the same statement found the hinted job's lease run out: it is taken over first.
 */
export async function claimFair(
  db: Kysely<Tables>,
  req: ClaimNext,
  claim: Claim,
  expired: Claim,
): Promise<{ job: JobRecord; limited: boolean } | 'held' | null> {
  for (let round = 0; round < 4; round++) {
    const seen = await look(db, req, round === 0 ? req.expiredHint : undefined);
    if (seen.hintExpired) {
      const taken = await expired(db, req.expiredHint!);
      if (taken) return { job: taken, limited: false };
    }
    if (seen.waiting.length === 0) return null;
    const limitOf = (id: string) => effectiveQuotas(seen.quotas.get(id) ?? { quotas: {} }, { ...req.defaults }).runningJobs;
    const pick = pickFair(seen.waiting, seen.running, limitOf);
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

/**
 * One round trip: a row per waiting account (`w`: its oldest due job of the route, how many
 * it runs, when it last started one within the hour — index jobs_account_started — and its
 * quotas), and a row `x` when the hinted job runs with an expired lease.
 */
async function look(db: Kysely<Tables>, req: ClaimNext, hint: string | undefined): Promise<Look> {
  const waiting = db
    .selectFrom('jobs')
    .select(['account_id', (eb) => eb.fn.min<string>('id').as('oldest')])
    .where('status', '=', 'queued')
    .where('route', '=', req.route)
    .where('run_after', '<=', req.now)
    .groupBy('account_id')
    .as('w');
  const accounts = db
    .selectFrom(waiting)
    .leftJoin('accounts', 'accounts.id', 'w.account_id')
    .select((eb) => [
      sql<string>`'w'`.as('kind'),
      'w.account_id as account_id',
      'w.oldest as oldest',
      eb.selectFrom('jobs as r').select((c) => c.fn.countAll<number>().as('n')).where('r.status', '=', 'running').whereRef('r.account_id', '=', 'w.account_id').as('running'),
      eb
        .selectFrom('jobs as s')
        .select((c) => c.fn.max<number>('s.started_at').as('m'))
        .whereRef('s.account_id', '=', 'w.account_id')
        .where('s.started_at', '>=', req.now - 3_600_000)
        .as('last_started'),
      'accounts.quotas as quotas',
    ]);
  const rows = hint
    ? await accounts
        .unionAll(
          db
            .selectFrom('jobs')
            .select([
              sql<string>`'x'`.as('kind'),
              'account_id',
              'id as oldest',
              sql<number>`0`.as('running'),
              sql<number | null>`null`.as('last_started'),
              sql<string | null>`null`.as('quotas'),
            ])
            .where('id', '=', hint)
            .where('status', '=', 'running')
            .where('lease_expires_at', '<', req.now)
            .where((eb) => eb('attempts', '<', eb.ref('max_attempts'))),
        )
        .execute()
    : await accounts.execute();
  const seen: Look = { waiting: [], running: new Map(), quotas: new Map(), hintExpired: false };
  for (const r of rows) {
    if (r.kind === 'x') {
      seen.hintExpired = true;
      continue;
    }
    seen.waiting.push({ accountId: r.account_id, oldestJobId: r.oldest, lastStartedAt: r.last_started === null ? null : Number(r.last_started) });
    seen.running.set(r.account_id, Number(r.running ?? 0));
    if (r.quotas !== null) seen.quotas.set(r.account_id, { quotas: parseQuotas(r.quotas) });
  }
  return seen;
}

function parseQuotas(text: string): AccountRecord['quotas'] {
  try {
    return JSON.parse(text) as AccountRecord['quotas'];
  } catch {
    return {};
  }
}
