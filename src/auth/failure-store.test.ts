import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFailureStore, type FailureLimits, type LoginSubject } from './index.js';
import { SeededRandom, TestClock } from './test-helpers.js';

const limits: FailureLimits = { pairLimit: 5, usernameLimit: 20, windowMs: 300_000 };

function store(maxEntries = 10_000) {
  const clock = new TestClock();
  const failures = new MemoryFailureStore({ maxEntries, clock, random: new SeededRandom() });
  /** One complete failed attempt. */
  const fail = async (s: LoginSubject, l: FailureLimits = limits): Promise<void> => {
    const a = await failures.admit(s, l);
    assert.equal(a.state, 'admitted');
    await failures.settle(s, false, l);
  };
  return { clock, failures, fail };
}

describe('MemoryFailureStore', () => {
  it('counts failures of the pair and of the username, and locks at the limit', async () => {
    const { failures } = store();
    const s = { username: 'admin', clientAddress: '10.0.0.1' };
    for (let i = 1; i <= 5; i++) {
      assert.deepEqual(await failures.admit(s, limits), {
        state: 'admitted',
        pairFailures: i - 1,
        usernameFailures: i - 1,
      });
      assert.deepEqual(await failures.settle(s, false, limits), {
        pairFailures: i,
        usernameFailures: i,
      });
    }
    assert.deepEqual(await failures.admit(s, limits), {
      state: 'locked',
      pairFailures: 5,
      usernameFailures: 5,
    });
  });

  it('holds attempts in flight against the limit: the sixth concurrent one waits', async () => {
    const { failures } = store();
    const s = { username: 'admin', clientAddress: '10.0.0.1' };
    for (let i = 0; i < 5; i++) assert.equal((await failures.admit(s, limits)).state, 'admitted');
    assert.equal((await failures.admit(s, limits)).state, 'saturated');
    await failures.settle(s, true, limits); // a success frees its slot and clears failures
    assert.equal((await failures.admit(s, limits)).state, 'admitted');
    for (let i = 0; i < 5; i++) await failures.settle(s, false, limits);
    assert.equal((await failures.admit(s, limits)).state, 'locked');
  });

  it('forgets failures a window after the last one; window 0 keeps them', async () => {
    const { clock, failures, fail } = store();
    const s = { username: 'u', clientAddress: 'a' };
    await fail(s);
    clock.advance(200_000);
    await fail(s);
    clock.advance(200_000); // 400 s after the first, 200 s after the last
    assert.equal(failures.peek(s, limits.windowMs).pairFailures, 2);
    clock.advance(100_000);
    assert.equal(failures.peek(s, limits.windowMs).pairFailures, 0);
    assert.equal(failures.size, 0);

    const forever = { ...limits, windowMs: 0 };
    await fail(s, forever);
    clock.advance(365 * 86_400_000);
    assert.equal(failures.peek(s, 0).pairFailures, 1);
  });

  it('a success forgets both counters', async () => {
    const { failures, fail } = store();
    const s = { username: 'u', clientAddress: 'a' };
    await fail(s);
    await failures.admit(s, limits);
    await failures.settle(s, true, limits);
    assert.deepEqual(failures.peek(s, limits.windowMs), { pairFailures: 0, usernameFailures: 0 });
    assert.equal(failures.size, 0);
  });

  it("never evicts the admin's counter when 10,000 other entries flood a full cache (CVE-2024-21662)", async () => {
    const { failures, fail } = store(10_000);
    const admin = { username: 'admin', clientAddress: '203.0.113.9' };
    for (let i = 0; i < 4; i++) await fail(admin);
    // each other login subject adds two entries (pair + username): 10,000 others overflow it
    for (let i = 0; i < 10_000; i++)
      await fail({ username: `user${i}`, clientAddress: `198.51.${i >> 8}.${i & 255}` });
    assert.ok(failures.size <= 10_000, `bounded: ${failures.size}`);
    const counts = failures.peek({ username: 'admin', clientAddress: '10.9.9.9' }, limits.windowMs);
    assert.equal(counts.usernameFailures, 4, "the admin's username counter survived");
  });

  it("keeps the admin's username counter even when the flood is of admin pairs", async () => {
    const { failures, fail } = store(100);
    const wide = { ...limits, usernameLimit: 10_000 };
    for (let i = 0; i < 500; i++)
      await fail({ username: 'admin', clientAddress: `198.51.100.${i}` }, wide);
    assert.ok(failures.size <= 100);
    const counts = failures.peek({ username: 'admin', clientAddress: 'x' }, limits.windowMs);
    assert.equal(counts.usernameFailures, 500);
  });

  it('never evicts an entry with an attempt in flight', async () => {
    const { failures, fail } = store(4);
    const busy = { username: 'busy', clientAddress: 'a' };
    assert.equal((await failures.admit(busy, limits)).state, 'admitted');
    for (let i = 0; i < 20; i++) await fail({ username: `flood${i}`, clientAddress: 'b' });
    assert.deepEqual(await failures.settle(busy, false, limits), {
      pairFailures: 1,
      usernameFailures: 1,
    });
  });

  it('prunes lapsed entries before evicting live ones', async () => {
    const { clock, failures, fail } = store(10);
    for (let i = 0; i < 5; i++) await fail({ username: `old${i}`, clientAddress: 'a' });
    assert.equal(failures.size, 10);
    clock.advance(300_000);
    const live = { username: 'live', clientAddress: 'a' };
    await fail(live);
    assert.equal(failures.size, 2);
    assert.equal(failures.peek(live, limits.windowMs).pairFailures, 1);
  });

  it('refuses a bound too small to hold one subject', () => {
    assert.throws(() => new MemoryFailureStore({ maxEntries: 2 }), TypeError);
  });
});
