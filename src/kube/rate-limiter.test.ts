import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter, TokenBucket, type Sleep } from './index.js';

/** A manual clock: time moves only when the test (or the fake sleep) moves it. */
function fakeClock(): { now: () => number; advance: (ms: number) => void; sleep: Sleep } {
  let t = 1_000;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    sleep: (ms) => {
      t += ms;
      return Promise.resolve();
    },
  };
}

describe('TokenBucket', () => {
  it('lets a full burst through at once, then spaces requests at 1/qps', () => {
    const clock = fakeClock();
    const b = new TokenBucket({ qps: 10, burst: 5, now: clock.now });
    const waits = Array.from({ length: 8 }, () => b.reserve());
    assert.deepEqual(waits.slice(0, 5), [0, 0, 0, 0, 0]);
    // the 6th waits for one token (100 ms at 10 qps), the 7th for two, the 8th for three
    assert.deepEqual(
      waits.slice(5).map((w) => Math.round(w)),
      [100, 200, 300],
    );
  });

  it('refills at qps tokens per second but never above burst', () => {
    const clock = fakeClock();
    const b = new TokenBucket({ qps: 2, burst: 3, now: clock.now });
    for (let i = 0; i < 3; i++) assert.equal(b.reserve(), 0);
    clock.advance(1_000); // two tokens back
    assert.equal(b.reserve(), 0);
    assert.equal(b.reserve(), 0);
    assert.ok(b.reserve() > 0);
    clock.advance(3_600_000); // an hour idle: only `burst` tokens saved
    assert.equal(Math.round(b.available()), 3);
  });

  it('is unlimited when qps is zero, negative or infinite', () => {
    for (const qps of [0, -1, Infinity]) {
      const b = new TokenBucket({ qps, burst: 1 });
      assert.equal(b.unlimited, true);
      for (let i = 0; i < 1000; i++) assert.equal(b.reserve(), 0);
    }
  });

  it('gives a cancelled reservation back', () => {
    const clock = fakeClock();
    const b = new TokenBucket({ qps: 1, burst: 1, now: clock.now });
    assert.equal(b.reserve(), 0);
    assert.equal(b.reserve(), 1000);
    b.cancel();
    assert.equal(b.reserve(), 1000);
  });

  it('refuses a NaN qps (a caller bug)', () => {
    assert.throws(() => new TokenBucket({ qps: Number.NaN, burst: 1 }), TypeError);
  });
});

describe('RateLimiter', () => {
  it('waits burst then qps: 100 requests at 50 qps / burst 20 take 1.6 s of fake time', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ qps: 50, burst: 20, now: clock.now, sleep: clock.sleep });
    const start = clock.now();
    let waited = 0;
    for (let i = 0; i < 100; i++) waited += await limiter.acquire();
    // 20 at once, then 80 more at 20 ms each
    assert.equal(Math.round(clock.now() - start), 1_600);
    assert.ok(waited > 0);
  });

  it('returns the token when the wait is aborted', async () => {
    const clock = fakeClock();
    const sleeps: number[] = [];
    const sleep: Sleep = (ms, signal) => {
      sleeps.push(ms);
      return signal?.aborted ? Promise.reject(new Error('aborted')) : Promise.resolve();
    };
    const limiter = new RateLimiter({ qps: 1, burst: 1, now: clock.now, sleep });
    await limiter.acquire();
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(limiter.acquire(ac.signal), /aborted/);
    await limiter.acquire();
    // had the aborted reservation been kept, the last caller would wait for two tokens
    assert.deepEqual(sleeps, [1000, 1000]);
  });
});
