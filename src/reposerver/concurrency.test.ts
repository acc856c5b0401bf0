import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedMutex, Semaphore } from './concurrency.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Semaphore', () => {
  it('runs at most limit tasks at once, in arrival order', async () => {
    const s = new Semaphore(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const gates: (() => void)[] = [];
    const tasks = [0, 1, 2, 3].map((i) =>
      s.run(async () => {
        active++;
        peak = Math.max(peak, active);
        order.push(i);
        await new Promise<void>((r) => gates.push(r));
        active--;
      }),
    );
    const running = (): number => active;
    await tick();
    assert.equal(running(), 2);
    assert.equal(s.pending, 2);
    while (gates.length > 0 || running() > 0) {
      gates.shift()?.();
      await tick();
    }
    await Promise.all(tasks);
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3]);
  });

  it('is unlimited with 0 and refuses negative limits', async () => {
    const s = new Semaphore(0);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        s.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await tick();
          active--;
        }),
      ),
    );
    assert.equal(peak, 10);
    assert.throws(() => new Semaphore(-1), TypeError);
  });

  it('frees the slot when a task throws', async () => {
    const s = new Semaphore(1);
    await assert.rejects(s.run(() => Promise.reject(new Error('boom'))));
    assert.equal(await s.run(() => Promise.resolve(7)), 7);
  });
});

describe('KeyedMutex', () => {
  it('serialises work per key and lets other keys run', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    let release: () => void = () => undefined;
    const first = m.run('a', async () => {
      log.push('a1 start');
      await new Promise<void>((r) => (release = r));
      log.push('a1 end');
    });
    const second = m.run('a', () => {
      log.push('a2');
      return Promise.resolve();
    });
    const other = m.run('b', () => {
      log.push('b');
      return Promise.resolve();
    });
    await other;
    await tick();
    assert.deepEqual(log, ['a1 start', 'b']);
    release();
    await Promise.all([first, second]);
    assert.deepEqual(log, ['a1 start', 'b', 'a1 end', 'a2']);
  });
});
