import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFailureStore, type FailureLimits } from './index.js';
import { SeededRandom, TestClock } from './test-helpers.js';

const limits: FailureLimits = { pairLimit: 5, usernameLimit: 20, windowMs: 300_000 };

function store(maxEntries = 10_000) {
  const clock = new TestClock();
  return {
    clock,
    failures: new MemoryFailureStore({ maxEntries, clock, random: new SeededRandom() }),
  };
}

describe('MemoryFailureStore', () => {
  it('counts both the pair and the username, and stops counting once either limit is reached', async () => {
    const { failures } = store();
    const s = { username: 'admin', clientAddress: '10.0.0.1' };
    for (let i = 1; i <= 5; i++) {
      const a = await failures.admit(s, limits);
      assert.deepEqual(a, { admitted: true, pairCount: i, usernameCount: i });
    }
    assert.deepEqual(await failures.admit(s, limits), {
      admitted: false,
      pairCount: 5,
      usernameCount: 5,
    });
    assert.deepEqual(failures.peek(s, limits.windowMs), { pairCount: 5, usernameCount: 5 });
  });

  it('forgets a counter a window after its last counted attempt; window 0 keeps it', async () => {
    const { clock, failures } = store();
    const s = { username: 'u', clientAddress: 'a' };
    await failures.admit(s, limits);
    clock.advance(200_000);
    await failures.admit(s, limits);
    clock.advance(200_000); // 400 s after the first, 200 s after the last
    assert.equal(failures.peek(s, limits.windowMs).pairCount, 2);
    clock.advance(100_000);
    assert.equal(failures.peek(s, limits.windowMs).pairCount, 0);

    await failures.admit(s, { ...limits, windowMs: 0 });
    clock.advance(365 * 86_400_000);
    assert.equal(failures.peek(s, 0).pairCount, 1);
  });

  it('reset forgets both counters', async () => {
    const { failures } = store();
    const s = { username: 'u', clientAddress: 'a' };
    await failures.admit(s, limits);
    await failures.reset(s);
    assert.deepEqual(failures.peek(s, limits.windowMs), { pairCount: 0, usernameCount: 0 });
    assert.equal(failures.size, 0);
  });

  it("never evicts the admin's counter when 10,000 other entries flood a full cache (CVE-2024-21662)", async () => {
    const { failures } = store(10_000);
    const admin = { username: 'admin', clientAddress: '203.0.113.9' };
    for (let i = 0; i < 4; i++) await failures.admit(admin, limits);
    // each other login subject adds two entries (pair + username): 10,000 others overflow it
    for (let i = 0; i < 10_000; i++)
      await failures.admit(
        { username: `user${i}`, clientAddress: `198.51.${i >> 8}.${i & 255}` },
        limits,
      );
    assert.ok(failures.size <= 10_000, `bounded: ${failures.size}`);
    const adminCounts = failures.peek(
      { username: 'admin', clientAddress: '10.9.9.9' },
      limits.windowMs,
    );
    assert.equal(adminCounts.usernameCount, 4, "the admin's username counter survived");
  });

  it("keeps the admin's username counter even when the flood is of admin pairs", async () => {
    const { failures } = store(100);
    for (let i = 0; i < 500; i++) {
      await failures.admit(
        { username: 'admin', clientAddress: `198.51.100.${i}` },
        {
          ...limits,
          usernameLimit: 10_000,
        },
      );
    }
    assert.ok(failures.size <= 100);
    assert.equal(
      failures.peek({ username: 'admin', clientAddress: 'x' }, limits.windowMs).usernameCount,
      500,
    );
  });

  it('prunes expired entries before evicting live ones', async () => {
    const { clock, failures } = store(10);
    for (let i = 0; i < 5; i++)
      await failures.admit({ username: `old${i}`, clientAddress: 'a' }, limits);
    assert.equal(failures.size, 10);
    clock.advance(300_000);
    const live = { username: 'live', clientAddress: 'a' };
    await failures.admit(live, limits);
    assert.equal(failures.size, 2);
    assert.equal(failures.peek(live, limits.windowMs).pairCount, 1);
  });

  it('refuses a bound too small to hold one subject', () => {
    assert.throws(() => new MemoryFailureStore({ maxEntries: 2 }), TypeError);
  });
});
