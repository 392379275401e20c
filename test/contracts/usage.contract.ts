import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import { decideCancel, decideCreate, decideFailure, decideSuccess } from '../../src/domain/job-lifecycle.js';
import type { JobUsage, OutputState } from '../../src/domain/job.js';
import type { Principal } from '../../src/domain/principal.js';
import type { Database } from '../../src/ports/db.port.js';
import { SYSTEM_PRINCIPAL } from '../../src/domain/principal.js';
import { ADMIN, inAccount } from '../helpers/principals.js';
import type { DbUnderTest } from './db.contract.js';

const outputs: OutputState[] = [{ spec: { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' }, status: 'pending', files: [] }];
const DAY = 86_400_000;
/** 2025-03-01T00:00Z and the days after it. */
const day = (n: number) => Date.UTC(2025, 2, 1) + n * DAY;
const usage = (cpuSeconds: number, mp4Seconds: number, bytes: number): JobUsage => ({
  inputSeconds: mp4Seconds, cpuSeconds, outputs: [{ type: 'mp4', seconds: mp4Seconds, bytes }], storageBytes: bytes,
});

/** The jobs table's usage column and the usage report, on every database adapter. */
export function runUsageContract(name: string, make: () => Promise<DbUnderTest>) {
  describe(`usage contract: ${name}`, () => {
    let h: DbUnderTest;
    let db: Database;
    before(async () => {
      h = await make();
      db = h.db;
    });
    after(async () => h.cleanup());

    /** A job of `owner` whose one attempt settles at `at`: succeeded, failed, or requeued for a retry. */
    async function settled(owner: Principal, at: number, u: JobUsage, how: 'succeed' | 'fail' | 'requeue' = 'succeed') {
      const id = newId('job', at - 10);
      await db.jobs.create(owner, { id, uploadId: 'upl_u', outputs, userMetadata: null, maxAttempts: how === 'requeue' ? 2 : 1, createdAt: at - 10, initial: decideCreate(id, at - 10).write });
      const claimed = (await db.jobs.claim(id, 'w1', at - 5, 60_000))!;
      const result = { outputs, warnings: [], usage: u };
      const error = { code: 'ffmpeg_failed' as const, message: 'x' };
      const write = how === 'succeed' ? decideSuccess(claimed, result, at).write : decideFailure(claimed, error, result, at, { baseMs: 1000 }).write;
      assert.equal(await db.jobs.settle({ id, attempt: claimed.attempts }, write), true);
      return { id, attempt: claimed.attempts };
    }

    it('keeps the usage a settle wrote, and reads it back with get and list', async () => {
      const u = usage(1.234, 6.02, 123_456);
      const { id } = await settled(ADMIN, day(40), u);
      assert.deepEqual((await db.jobs.get(ADMIN, id))?.usage, u);
      assert.deepEqual((await db.jobs.list(ADMIN, { limit: 100 })).jobs.find((j) => j.id === id)?.usage, u);
      const fresh = newId('job', day(40));
      const { job } = await db.jobs.create(ADMIN, { id: fresh, uploadId: 'upl_u', outputs, userMetadata: null, maxAttempts: 1, createdAt: day(40), initial: decideCreate(fresh, day(40)).write });
      assert.equal(job.usage, null, 'a new job has none');
    });

    it('sums finished jobs by UTC day within [from, to), only those the principal may see', async () => {
      const [a, b] = [inAccount('acc_ua'), inAccount('acc_ub')];
      await settled(a, day(0), usage(1, 10, 100)); // at `from`: in
      await settled(a, day(0) + 3_600_000, usage(2, 5, 50), 'fail');
      await settled(a, day(1) + 10, usage(4, 1, 10));
      await settled(a, day(2) - 1, usage(8, 2, 20)); // the last ms of day 1
      await settled(a, day(3), usage(16, 3, 30)); // at `to`: out
      await settled(a, day(0) - 1, usage(32, 3, 30)); // before `from`: out
      await settled(a, day(1) + 20, usage(64, 4, 40), 'requeue'); // waiting to retry: not finished, out
      await settled(b, day(1) + 30, usage(128, 7, 70));
      const range = { from: day(0), to: day(3) };

      const mine = await db.jobs.usageByDay(a, range);
      assert.deepEqual(mine, [
        { day: '2025-03-01', jobs: 2, inputSeconds: 15, cpuSeconds: 3, outputs: [{ type: 'mp4', seconds: 15, bytes: 150 }], storageBytes: 150 },
        { day: '2025-03-02', jobs: 2, inputSeconds: 3, cpuSeconds: 12, outputs: [{ type: 'mp4', seconds: 3, bytes: 30 }], storageBytes: 30 },
      ]);
      assert.deepEqual((await db.jobs.usageByDay(b, range)).map((d) => [d.day, d.jobs, d.cpuSeconds]), [['2025-03-02', 1, 128]], "the other account's jobs only");
      assert.deepEqual((await db.jobs.usageByDay(inAccount('acc_nobody'), range)), []);
      const all = await db.jobs.usageByDay(SYSTEM_PRINCIPAL, range);
      assert.deepEqual(all.map((d) => [d.day, d.jobs, d.cpuSeconds]), [['2025-03-01', 2, 3], ['2025-03-02', 3, 140]], 'the system principal sees every account');
    });

    it('counts a canceled job by the usage its stopped attempt recorded; a job canceled before it ran has none', async () => {
      const owner = inAccount('acc_uc');
      const at = day(20);
      const id = newId('job', at);
      await db.jobs.create(owner, { id, uploadId: 'upl_u', outputs, userMetadata: null, maxAttempts: 1, createdAt: at, initial: decideCreate(id, at).write });
      const claimed = (await db.jobs.claim(id, 'w1', at, 60_000))!;
      const fence = { id, attempt: claimed.attempts };
      const u = usage(5, 0, 0);
      assert.equal(await db.jobs.recordCanceledUsage(fence, u), false, 'not while it runs');
      assert.equal(await db.jobs.transition(id, decideCancel(claimed, at + 1)), true);
      assert.equal(await db.jobs.recordCanceledUsage({ ...fence, attempt: fence.attempt + 1 }, u), false, 'not for another attempt');
      assert.equal(await db.jobs.recordCanceledUsage(fence, u), true);
      const never = newId('job', at + 2);
      const { job } = await db.jobs.create(owner, { id: never, uploadId: 'upl_u', outputs, userMetadata: null, maxAttempts: 1, createdAt: at + 2, initial: decideCreate(never, at + 2).write });
      await db.jobs.transition(never, decideCancel(job, at + 3));
      assert.deepEqual((await db.jobs.usageByDay(owner, { from: day(20), to: day(21) })).map((d) => [d.jobs, d.cpuSeconds]), [[1, 5]]);
    });
  });
}
