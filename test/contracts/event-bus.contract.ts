import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventBus, JobEvent } from '../../src/ports/events.port.js';
import { waitFor } from '../helpers/temp.js';

export interface EventBusUnderTest {
  /** Publisher and subscriber sides (the same bus in-process; two connections when distributed). */
  pub: EventBus;
  sub: EventBus;
  cleanup(): Promise<void>;
}

const ev = (jobId: string, progress: number): JobEvent => ({ jobId, type: 'progress', status: 'running', progress, stage: 'x', at: Date.now() });

export function runEventBusContract(name: string, make: () => Promise<EventBusUnderTest>) {
  describe(`event bus contract: ${name}`, () => {
    let h: EventBusUnderTest;
    before(async () => {
      h = await make();
    });
    after(async () => h.cleanup());

    it('delivers a job’s events in order to its subscribers and to "*"', async () => {
      const mine: number[] = [];
      const all: string[] = [];
      const off1 = h.sub.subscribe('job_e1', (e) => void mine.push(e.progress));
      const off2 = h.sub.subscribe('*', (e) => void all.push(e.jobId));
      await new Promise((r) => setTimeout(r, 50));
      for (const p of [10, 20, 30]) await h.pub.publish(ev('job_e1', p));
      await h.pub.publish(ev('job_e2', 5));
      await waitFor(async () => mine.length === 3 && all.length === 4, { what: 'events' });
      assert.deepEqual(mine, [10, 20, 30]);
      assert.deepEqual(all.sort(), ['job_e1', 'job_e1', 'job_e1', 'job_e2']);
      off1();
      off2();
    });

    it('stops delivering after unsubscribe', async () => {
      const got: number[] = [];
      const off = h.sub.subscribe('job_e3', (e) => void got.push(e.progress));
      await new Promise((r) => setTimeout(r, 50));
      await h.pub.publish(ev('job_e3', 1));
      await waitFor(async () => got.length === 1);
      off();
      await h.pub.publish(ev('job_e3', 2));
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(got, [1]);
    });

    it('keeps delivering to the other subscribers of a job when one of them unsubscribes', async () => {
      // Distributed buses share one broker subscription per job between local listeners.
      const first: number[] = [];
      const second: number[] = [];
      const off1 = h.sub.subscribe('job_e4', (e) => void first.push(e.progress));
      const off2 = h.sub.subscribe('job_e4', (e) => void second.push(e.progress));
      await new Promise((r) => setTimeout(r, 50));
      await h.pub.publish(ev('job_e4', 1));
      await waitFor(async () => first.length === 1 && second.length === 1, { what: 'both subscribers' });
      off1();
      off1(); // a second call must not take the other subscriber's share
      await new Promise((r) => setTimeout(r, 50));
      await h.pub.publish(ev('job_e4', 2));
      await waitFor(async () => second.length === 2, { what: 'the remaining subscriber' });
      assert.deepEqual(first, [1]);
      assert.deepEqual(second, [1, 2]);
      off2();
    });
  });
}
