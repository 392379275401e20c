/**
 * Which queued job a free worker slot runs: fair share between accounts. The queue's message
 * says only "a job of this route is waiting" (a token); the slot takes the oldest due job of
 * the account that has the fewest jobs running now, among the accounts under their
 * running-jobs quota; between accounts running as many, the one whose last job started
 * longest ago (round robin). So one account's 500 jobs do not starve another's: the next free
 * slot goes to the account that waited. Within one account the order stays first in, first
 * out. Every queued job has one token, so a token always finds a job unless every waiting
 * account is at its quota (`held`: the token waits and is tried again) or none is due.
 */
export interface WaitingAccount {
  accountId: string;
  /** Its oldest due queued job (ids are time-ordered). */
  oldestJobId: string;
  /** When its most recent job started (epoch ms), or null when none did lately. */
  lastStartedAt: number | null;
}

export type FairPick = { jobId: string; accountId: string; limited: boolean } | 'held' | null;

export function pickFair(
  waiting: readonly WaitingAccount[],
  running: ReadonlyMap<string, number>,
  runningLimitOf: (accountId: string) => number | null,
): FairPick {
  if (waiting.length === 0) return null;
  let best: { w: WaitingAccount; n: number; limited: boolean } | null = null;
  for (const w of waiting) {
    const n = running.get(w.accountId) ?? 0;
    const limit = runningLimitOf(w.accountId);
    if (limit !== null && n >= limit) continue;
    if (!best || n < best.n || (n === best.n && before(w, best.w))) best = { w, n, limited: limit !== null };
  }
  return best ? { jobId: best.w.oldestJobId, accountId: best.w.accountId, limited: best.limited } : 'held';
}

/** Round robin between accounts: the one that started a job least recently, then the oldest job. */
function before(a: WaitingAccount, b: WaitingAccount): boolean {
  const ta = a.lastStartedAt ?? -Infinity;
  const tb = b.lastStartedAt ?? -Infinity;
  return ta !== tb ? ta < tb : a.oldestJobId < b.oldestJobId;
}
