import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError, MemoryRevocationStore } from './index.js';
import { TestClock } from './test-helpers.js';

describe('MemoryRevocationStore', () => {
  it('refuses a revoked jti until the token would have expired, then forgets it', async () => {
    const clock = new TestClock();
    const store = new MemoryRevocationStore({ clock });
    await store.revoke('a', clock.now() + 60_000);
    assert.equal(store.isRevoked('a'), true);
    assert.equal(store.isRevoked('b'), false);
    clock.advance(60_000);
    assert.equal(store.isRevoked('a'), false);
    assert.equal(store.size, 0);
  });

  it('keeps revocations of never-expiring tokens for good', async () => {
    const clock = new TestClock();
    const store = new MemoryRevocationStore({ clock });
    await store.revoke('forever', undefined);
    clock.advance(10 * 365 * 86_400_000);
    assert.equal(store.isRevoked('forever'), true);
  });

  it('never shortens a revocation and ignores already-expired tokens', async () => {
    const clock = new TestClock();
    const store = new MemoryRevocationStore({ clock });
    await store.revoke('a', clock.now() + 60_000);
    await store.revoke('a', clock.now() + 1_000);
    clock.advance(30_000);
    assert.equal(store.isRevoked('a'), true);
    await store.revoke('old', clock.now() - 1);
    assert.equal(store.isRevoked('old'), false);
  });

  it('prunes expired entries when full, and refuses rather than drops a live revocation', async () => {
    const clock = new TestClock();
    const store = new MemoryRevocationStore({ clock, maxEntries: 2 });
    await store.revoke('a', clock.now() + 1_000);
    await store.revoke('b', clock.now() + 10_000);
    clock.advance(1_000);
    await store.revoke('c', clock.now() + 10_000); // 'a' expired: pruned to make room
    assert.equal(store.size, 2);
    await assert.rejects(
      store.revoke('d', clock.now() + 10_000),
      (err: unknown) => err instanceof AuthError && err.code === 'ERR_AUTH_STORE',
    );
    assert.equal(store.isRevoked('b'), true);
    assert.equal(store.isRevoked('c'), true);
  });
});
