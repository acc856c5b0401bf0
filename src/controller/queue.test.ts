import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue, runWorkers, type QueueClock } from './index.js';

/** A manual clock: timers fire when the test advances time. */
function fakeClock(): QueueClock & { advance(ms: number): void } {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => {
      timers.delete(h as number);
    },
    advance(ms) {
      now += ms;
      for (const [id, t] of [...timers.entries()].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at <= now) {
          timers.delete(id);
          t.fn();
        }
      }
    },
  };
}

describe('WorkQueue', () => {
  it('queues a key once however often it is added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len(), 0);
  });

  it('never hands a key to two workers at once and re-queues a key added while processing', async () => {
    const q = new WorkQueue();
    q.add('a');
    const k = await q.get();
    assert.equal(k, 'a');
    q.add('a');
    assert.equal(q.len(), 0, 'a key being processed waits until done');
    q.done('a');
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'a');
  });

  it('keeps the earliest of several delayed adds', () => {
    const clock = fakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 100);
    q.addAfter('a', 5000);
    clock.advance(99);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
  });

  it('backs off per key exponentially up to the cap, and forget resets it', () => {
    const clock = fakeClock();
    const q = new WorkQueue({ clock, baseDelayMs: 100, factor: 2, maxDelayMs: 500 });
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => q.addRateLimited('a')),
      [100, 200, 400, 500, 500],
    );
    assert.equal(q.retries('a'), 5);
    assert.equal(q.nextDelay('b'), 100, 'other keys are independent');
    q.forget('a');
    assert.equal(q.nextDelay('a'), 100);
  });

  it('wakes waiting workers and ends them at shut down', async () => {
    const q = new WorkQueue();
    const seen: string[] = [];
    const done = runWorkers(
      q,
      3,
      async (k) => {
        seen.push(k);
        await Promise.resolve();
      },
      () => undefined,
    );
    q.add('x');
    q.add('y');
    await new Promise((r) => setImmediate(r));
    q.shutDown();
    await done;
    assert.deepEqual(seen.sort(), ['x', 'y']);
  });

  it('reports handler errors without stopping the worker', async () => {
    const q = new WorkQueue();
    const errors: string[] = [];
    const handled: string[] = [];
    const done = runWorkers(
      q,
      1,
      (k) => {
        handled.push(k);
        return k === 'bad' ? Promise.reject(new Error('boom')) : Promise.resolve();
      },
      (k) => errors.push(k),
    );
    q.add('bad');
    q.add('good');
    await new Promise((r) => setImmediate(r));
    q.shutDown();
    await done;
    assert.deepEqual(errors, ['bad']);
    assert.deepEqual(handled, ['bad', 'good']);
  });
});
