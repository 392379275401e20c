import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PG_URL } from '../contracts/postgres.schema.js';
import { ChaosReceiver, type Accepted } from '../helpers/chaos-receiver.js';
import { startCluster, type Cluster, type ClusterProcess } from '../helpers/distributed-cluster.js';
import { media } from '../helpers/media.js';
import { TEST_KEY } from '../helpers/platform.js';
import { waitFor } from '../helpers/temp.js';

/**
 * The chaos test of issue 11 (docs/notifications.md#what-the-chaos-test-proves): 200 jobs on
 * one `mediaforge api` and two `mediaforge worker` processes (PostgreSQL, the db queue, S3),
 * an endpoint subscribed to the final states, and a receiver that answers 500 to about half
 * its requests, drops connections (before answering, and after recording the event), and is
 * down for 2 s mid-run; one worker is SIGKILLed while it holds a running job (and, when it can
 * be caught so, deliveries in flight) and a replacement is started. Every job's final state,
 * as the API reads it, must reach the receiver, verified with the standardwebhooks package;
 * every duplicate must carry the same webhook-id.
 *
 * Timings are bounds on waiting, never claims: a short retry schedule, 3 s job leases. The
 * senders' delivery lease is the transport's 15 s timeout + 15 s, so the deliveries a killed
 * worker had in flight come back after 30 s.
 */

const JOBS = 200;
const SCHEDULE = '0,200ms,500ms,1s,1s,2s,2s,3s,3s,5s';
const FINAL_EVENTS = ['job.succeeded', 'job.failed', 'job.canceled'];
/** Which jobs are made to fail (an audio output of a clip without audio) and which are canceled right after they are created. */
const kindOf = (i: number) => (i % 20 === 7 ? 'fail' : i % 20 === 13 ? 'cancel' : 'thumbnail');

describe('e2e chaos: webhook delivery loses nothing (1 api + 2 workers, PostgreSQL + db queue + S3)', () => {
  let receiver: ChaosReceiver;
  let c: Cluster;
  let db: pg.Client;

  before(async () => {
    receiver = await ChaosReceiver.start({ seed: 11, error: 0.5, drop: 0.1, loseAnswer: 0.08, maxFaultsPerId: 3 });
    c = await startCluster(
      () => ({
        MEDIAFORGE_QUEUE: 'db',
        MEDIAFORGE_WORKER_CONCURRENCY: '2',
        MEDIAFORGE_WEBHOOK_ALLOWLIST: receiver.address,
        MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE: SCHEDULE,
      }),
      2,
    );
    db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await c?.stop();
    await receiver?.close();
  });

  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const isJson = body !== undefined && !(body instanceof Uint8Array);
    const res = await fetch(`${c.api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_KEY}`, ...(isJson ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : isJson ? JSON.stringify(body) : (body as unknown as BodyInit),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);
  const ended = () => count(`SELECT count(*) AS n FROM "${c.schema}".jobs WHERE status IN ('succeeded', 'failed', 'canceled')`);
  /** What a worker process holds now, from the database: its running jobs and the deliveries it has in flight. */
  const holdings = async (w: ClusterProcess) => {
    const owner = `%:worker:${w.pid}:%`;
    const jobs = await count(`SELECT count(*) AS n FROM "${c.schema}".jobs WHERE status = 'running' AND lease_owner LIKE $1`, [owner]);
    const deliveries = await count(`SELECT count(*) AS n FROM "${c.schema}".webhook_deliveries WHERE status = 'pending' AND lease_owner LIKE $1 AND lease_until > $2`, [owner, Date.now()]);
    return { jobs, deliveries };
  };

  it('every final job state reaches a receiver that fails, drops and goes down, across a worker SIGKILL', { timeout: 240_000 }, async () => {
    const hook = await api('POST', '/v1/webhooks', { url: receiver.url(), events: FINAL_EVENTS, description: 'chaos' });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    receiver.verifyWith(hook.body.secret);

    const up = await api('POST', '/v1/uploads?filename=tiny.mp4', new Uint8Array(await readFile(await media('tiny1.mp4'))), { 'content-type': 'application/octet-stream' });
    assert.equal(up.status, 201, JSON.stringify(up.body));

    // 200 jobs, 8 requests at a time; the workers start on them as they come.
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, JOBS - i) }, async (_, k) => {
          const kind = kindOf(i + k);
          const outputs = kind === 'fail' ? [{ type: 'audio' }] : [{ type: 'thumbnail', width: 64 }];
          const job = await api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs });
          assert.equal(job.status, 202, JSON.stringify(job.body));
          ids[i + k] = job.body.id;
          if (kind === 'cancel') {
            const canceled = await api('POST', `/v1/jobs/${job.body.id}/cancel`);
            // A job a worker finished first cannot be canceled; its state is then what the API says.
            assert.ok(canceled.status === 200 || canceled.body.error?.code === 'job_not_cancelable', JSON.stringify(canceled.body));
          }
        }),
      );
    }

    // The receiver goes down for 2 s once some jobs have ended.
    await waitFor(async () => (await ended()) >= 30, { what: '30 jobs to end before the receiver goes down', timeoutMs: 90_000, intervalMs: 20 });
    await receiver.outage(2000);

    // A worker is SIGKILLed once more have ended, while it runs a job; if it can be caught with
    // deliveries in flight as well (within 5 s), then.
    await waitFor(async () => (await ended()) >= 80, { what: '80 jobs to end before the kill', timeoutMs: 90_000, intervalMs: 20 });
    const victim = c.workers[0]!;
    const both = await waitFor(async () => {
      const h = await holdings(victim);
      return h.jobs > 0 && h.deliveries > 0 ? h : null;
    }, { what: 'the worker to hold a job and a delivery', timeoutMs: 5000, intervalMs: 5 }).catch(() => null);
    const held = both ?? (await waitFor(async () => {
      const h = await holdings(victim);
      return h.jobs > 0 ? h : null;
    }, { what: `worker ${victim.pid} to run a job (${await ended()} of ${JOBS} ended)`, timeoutMs: 30_000, intervalMs: 5 }));
    victim.child.kill('SIGKILL');
    await victim.exited;
    const replacement = c.startWorker();

    // Every job ends (the killed worker's job is taken over when its 3 s lease runs out) …
    await waitFor(async () => (await ended()) === JOBS, { what: `all ${JOBS} jobs to end`, timeoutMs: 120_000, intervalMs: 100 }).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${await ended()} ended`);
    });
    await replacement;
    const finals = new Map<string, string>();
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page = await api('GET', `/v1/jobs?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      for (const j of page.body.jobs) finals.set(j.id, j.status);
      cursor = page.body.nextCursor;
    }
    assert.deepEqual(ids.filter((id) => !finals.has(id)), [], 'the API lists every job');

    // … and every delivery settles: the receiver has every final state, and no delivery is
    // still pending (a duplicate may still be on its way from the killed worker's leases).
    const expected = (a: Accepted) => finals.get(a.subjectId) !== undefined && a.type === `job.${finals.get(a.subjectId)}`;
    const missing = () => ids.filter((id) => !receiver.accepted.some((a) => a.subjectId === id && expected(a)));
    const pending = () => count(`SELECT count(*) AS n FROM "${c.schema}".webhook_deliveries WHERE status = 'pending'`);
    const settled = await waitFor(async () => missing().length === 0 && (await pending()) === 0, { what: 'every delivery to settle', timeoutMs: 90_000, intervalMs: 100 })
      .then(() => true)
      .catch(() => false);

    const finalAccepted = receiver.accepted.filter((a) => FINAL_EVENTS.includes(a.type));
    const byJob = new Map<string, Set<string>>();
    for (const a of finalAccepted) byJob.set(a.subjectId, (byJob.get(a.subjectId) ?? new Set()).add(a.webhookId));
    const delivered = ids.length - missing().length;
    const duplicated = finalAccepted.length - new Set(finalAccepted.map((a) => a.webhookId)).size;
    const lost = missing().length;
    const states = [...finals.values()].reduce<Record<string, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {});
    const rc = receiver.counts;
    const refused = await count(`SELECT count(*) AS n FROM "${c.schema}".webhook_attempts WHERE error LIKE '%ECONNREFUSED%'`);
    // Attempts a claim counted but nobody recorded: the ones the killed worker had in flight.
    const cut = await count(`SELECT coalesce(sum(d.attempts - (SELECT count(*) FROM "${c.schema}".webhook_attempts a WHERE a.delivery_id = d.id)), 0) AS n FROM "${c.schema}".webhook_deliveries d`);
    console.log(
      `webhook chaos: ${JOBS} jobs ${JSON.stringify(states)}; receiver: ${rc.requests} requests, ${rc.error} answered 500, ${rc.drop} dropped, ` +
        `${rc.loseAnswer} recorded then dropped, ${rc.accept} answered 204, ${rc.unverified} unverified; ${refused} attempts refused during the outage; ` +
        `the killed worker held ${held.jobs} job(s) and ${held.deliveries} delivery(ies) in flight (${cut} attempts cut); delivered ${delivered}, duplicated ${duplicated}, lost ${lost}`,
    );

    assert.equal(rc.unverified, 0, 'every request verifies with standardwebhooks');
    assert.ok(rc.error > 0 && rc.drop > 0 && rc.loseAnswer > 0 && refused > 0, `the receiver misbehaved in every way: ${JSON.stringify({ ...rc, refused })}`);
    assert.equal(lost, 0, `final states that never reached the receiver: ${missing().slice(0, 10).map((id) => `${id} (${finals.get(id)})`).join(', ')}`);
    assert.ok(settled, `deliveries still pending after the bound: ${await pending()}`);
    assert.deepEqual(finalAccepted.filter((a) => !expected(a)), [], 'no final event that contradicts the state the API reads');
    assert.deepEqual([...byJob].filter(([, evts]) => evts.size > 1).map(([id]) => id), [], 'a job whose final state arrived under two webhook-ids');
    assert.ok(duplicated >= rc.loseAnswer, 'each answer the receiver lost after recording came again (same webhook-id)');
    for (const status of ['failed', 'pending']) {
      const log = await api('GET', `/v1/webhooks/${hook.body.id}/deliveries?status=${status}&limit=100`);
      assert.deepEqual(log.body.deliveries.map((d: any) => d.id), [], `no delivery is ${status} in the log`);
    }
  });
});
