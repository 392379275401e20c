import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobQueue } from '../../src/ports/queue.port.js';
import { waitFor } from '../helpers/temp.js';

export interface QueueUnderTest {
  /** Two handles on the same queue, as two worker processes would have. */
  a: JobQueue;
  b: JobQueue;
  /** Makes `a` behave like a SIGKILLed process: no more acks, lease renewals or heartbeats. */
  crashA(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Every queue adapter must pass this suite against the real broker or database. */
export function runQueueContract(name: string, make: () => Promise<QueueUnderTest>, opts: { leaseMs: number }) {
  describe(`queue contract: ${name}`, () => {
    let q: QueueUnderTest;
    before(async () => {
      q = await make();
    });
    after(async () => q.cleanup());

    it('delivers an enqueued message and removes it on ack', async () => {
      const seen: string[] = [];
      const c = q.a.consume(async (m) => void seen.push(m.jobId), { concurrency: 1 });
      await q.a.enqueue({ jobId: 'job_one', route: 'frames' });
      await waitFor(async () => seen.includes('job_one'), { what: 'delivery' });
      await c.close();
      await waitFor(async () => (await q.a.depth()) === 0, { what: 'ack' });
    });

    it('carries a message\'s traceparent inside it, delayed too, and no traceparent when none was given', async () => {
      const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const seen = new Map<string, string | undefined>();
      const c = q.b.consume(async (m) => void seen.set(m.jobId, m.traceparent), { concurrency: 2 });
      await q.a.enqueue({ jobId: 'job_traced', route: 'frames', traceparent: tp });
      await q.a.enqueue({ jobId: 'job_traced_later', route: 'frames', traceparent: tp }, { delayMs: 300 });
      await q.a.enqueue({ jobId: 'job_untraced', route: 'frames' });
      await waitFor(async () => seen.size === 3, { what: 'three deliveries' });
      await c.close();
      assert.equal(seen.get('job_traced'), tp);
      assert.equal(seen.get('job_traced_later'), tp);
      assert.equal(seen.get('job_untraced'), undefined);
    });

    it('holds a delayed message until it is due', async () => {
      const seen: Array<{ id: string; at: number }> = [];
      const c = q.a.consume(async (m) => void seen.push({ id: m.jobId, at: Date.now() }), { concurrency: 1 });
      const t0 = Date.now();
      await q.a.enqueue({ jobId: 'job_later', route: 'frames' }, { delayMs: 700 });
      await waitFor(async () => seen.length === 1, { what: 'delayed delivery' });
      await c.close();
      assert.ok(seen[0].at - t0 >= 650, `delivered after ${seen[0].at - t0} ms`);
    });

    it('never runs more handlers at once than the concurrency', async () => {
      let active = 0;
      let peak = 0;
      let done = 0;
      const c = q.a.consume(
        async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 80));
          active--;
          done++;
        },
        { concurrency: 2 },
      );
      for (let i = 0; i < 6; i++) await q.a.enqueue({ jobId: `job_c${i}`, route: 'frames' });
      await waitFor(async () => done === 6, { what: 'all handled' });
      await c.close();
      assert.equal(peak, 2);
    });

    it('keeps each consumer within its concurrency when consumers start together on a full queue', async () => {
      for (let i = 0; i < 24; i++) await q.a.enqueue({ jobId: `job_full${i}`, route: 'frames' });
      const peaks = Array.from({ length: 8 }, () => 0);
      const seen: string[] = [];
      const make = (k: number) => {
        let active = 0;
        return async (m: { jobId: string }) => {
          active++;
          peaks[k] = Math.max(peaks[k], active);
          seen.push(m.jobId);
          await new Promise((r) => setTimeout(r, 20));
          active--;
        };
      };
      const cs = peaks.map((_, k) => (k % 2 ? q.b : q.a).consume(make(k), { concurrency: 1 }));
      await waitFor(async () => seen.length >= 24, { what: 'all handled', timeoutMs: 30_000 });
      await Promise.all(cs.map((c) => c.close()));
      assert.ok(peaks.every((p) => p <= 1), `peaks ${peaks.join(',')}: a claim took more than the free slots`);
      assert.equal(new Set(seen).size, 24, 'each once');
    });

    it('spreads messages over two consumers, each delivered once', async () => {
      const byA: string[] = [];
      const byB: string[] = [];
      const slow = (list: string[]) => async (m: { jobId: string }) => {
        list.push(m.jobId);
        await new Promise((r) => setTimeout(r, 30));
      };
      const ca = q.a.consume(slow(byA), { concurrency: 1 });
      const cb = q.b.consume(slow(byB), { concurrency: 1 });
      for (let i = 0; i < 10; i++) await q.a.enqueue({ jobId: `job_s${i}`, route: 'frames' });
      await waitFor(async () => byA.length + byB.length === 10, { what: 'ten deliveries' });
      await Promise.all([ca.close(), cb.close()]);
      assert.equal(new Set([...byA, ...byB]).size, 10, 'no message delivered twice');
      assert.ok(byA.length > 0 && byB.length > 0, `both consumers worked (a=${byA.length}, b=${byB.length})`);
    });

    it('redelivers a message whose handler failed', async () => {
      let calls = 0;
      const c = q.a.consume(
        async () => {
          calls++;
          if (calls === 1) throw new Error('boom');
        },
        { concurrency: 1 },
      );
      await q.a.enqueue({ jobId: 'job_retry', route: 'frames' });
      await waitFor(async () => calls >= 2, { what: 'redelivery', timeoutMs: 10_000 });
      await c.close();
    });

    it('gives a consumer only the routes it asked for; one without routes takes every route', async () => {
      const byFrames: string[] = [];
      const framesOnly = q.a.consume(async (m) => void byFrames.push(`${m.jobId}@${m.route}`), { concurrency: 1, routes: ['frames', 'thumbnail'] });
      await q.a.enqueue({ jobId: 'job_big', route: 'hls' });
      await q.a.enqueue({ jobId: 'job_small', route: 'frames' });
      // The hls message went in first; the frames consumer still takes only its own.
      await waitFor(async () => byFrames.includes('job_small@frames'), { what: 'frames delivery' });
      const byHls: string[] = [];
      const hlsOnly = q.b.consume(async (m) => void byHls.push(`${m.jobId}@${m.route}`), { concurrency: 1, routes: ['hls'] });
      await waitFor(async () => byHls.includes('job_big@hls'), { what: 'hls delivery' });
      await Promise.all([framesOnly.close(), hlsOnly.close()]);
      assert.deepEqual(byFrames, ['job_small@frames']);
      assert.deepEqual(byHls, ['job_big@hls']);

      const all: string[] = [];
      const every = q.a.consume(async (m) => void all.push(`${m.jobId}@${m.route}`), { concurrency: 1 });
      await q.a.enqueue({ jobId: 'job_any1', route: 'hls' });
      await q.a.enqueue({ jobId: 'job_any2', route: 'frames' });
      await waitFor(async () => all.length === 2, { what: 'both routes delivered' });
      await every.close();
      assert.deepEqual(all.sort(), ['job_any1@hls', 'job_any2@frames']);
      await waitFor(async () => (await q.a.depth()) === 0, { what: 'acked' });
    });

    it('keeps the route of a delayed message', async () => {
      const wrong: string[] = [];
      const right: string[] = [];
      const framesOnly = q.a.consume(async (m) => void wrong.push(m.jobId), { concurrency: 1, routes: ['frames'] });
      const hlsOnly = q.b.consume(async (m) => void right.push(`${m.jobId}@${m.route}`), { concurrency: 1, routes: ['hls'] });
      await q.a.enqueue({ jobId: 'job_later_hls', route: 'hls' }, { delayMs: 300 });
      await q.a.enqueue({ jobId: 'job_later_frames', route: 'frames' }, { delayMs: 300 });
      await waitFor(async () => right.length === 1 && wrong.length === 1, { what: 'delayed deliveries' });
      await Promise.all([framesOnly.close(), hlsOnly.close()]);
      assert.deepEqual(right, ['job_later_hls@hls']);
      assert.deepEqual(wrong, ['job_later_frames']);
    });

    it('counts depth per route and in total', async () => {
      await q.a.enqueue({ jobId: 'job_d1', route: 'hls' });
      await q.a.enqueue({ jobId: 'job_d2', route: 'hls' });
      await q.a.enqueue({ jobId: 'job_d3', route: 'image' });
      await waitFor(async () => (await q.a.depth()) === 3, { what: 'depth 3' });
      const byRoute = await q.a.depthByRoute();
      assert.equal(byRoute.hls, 2);
      assert.equal(byRoute.image, 1);
      assert.equal(byRoute.frames, 0);
      const seen: string[] = [];
      const c = q.a.consume(async (m) => void seen.push(m.jobId), { concurrency: 3 });
      await waitFor(async () => seen.length === 3, { what: 'drained' });
      await c.close();
      await waitFor(async () => (await q.a.depth()) === 0, { what: 'depth 0' });
    });

    it('keeps the concurrency a budget over all routes together, each message handled once', async () => {
      let active = 0;
      let peak = 0;
      const done: string[] = [];
      const c = q.a.consume(
        async (m) => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 60));
          active--;
          done.push(m.jobId);
        },
        { concurrency: 2, routes: ['hls', 'mp4', 'frames'] },
      );
      for (let i = 0; i < 3; i++) {
        await q.a.enqueue({ jobId: `job_h${i}`, route: 'hls' });
        await q.a.enqueue({ jobId: `job_m${i}`, route: 'mp4' });
        await q.a.enqueue({ jobId: `job_f${i}`, route: 'frames' });
      }
      await waitFor(async () => done.length >= 9, { what: 'all handled', timeoutMs: 20_000 });
      await c.close();
      assert.equal(peak, 2);
      assert.equal(new Set(done).size, 9);
      assert.equal(done.length, 9, 'no message handled twice');
      await waitFor(async () => (await q.a.depth()) === 0, { what: 'acked' });
    });

    it('redelivers to another consumer when the first one dies mid-message', async () => {
      // Consumer a takes the message and never settles (a process that was SIGKILLed).
      let taken = false;
      const stuck = q.a.consume(
        () =>
          new Promise<void>(() => {
            taken = true;
          }),
        { concurrency: 1 },
      );
      await q.a.enqueue({ jobId: 'job_orphan', route: 'frames' });
      await waitFor(async () => taken, { what: 'first delivery' });
      await q.crashA();
      void stuck;
      const seen: string[] = [];
      const c = q.b.consume(async (m) => void seen.push(m.jobId), { concurrency: 1 });
      await waitFor(async () => seen.includes('job_orphan'), { what: 'redelivery to b', timeoutMs: opts.leaseMs * 4 + 5000 });
      await c.close();
    });
  });
}

