import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './memory-adapter.js';
import { ExpiringMap } from './expiring-map.js';

describe('MemoryStore', () => {
  it('stores, finds (as copies) and expires entries by the injected clock', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now, clockToleranceSec: 0 });
    const codes = store.adapterFactory('AuthorizationCode');
    await codes.upsert('c1', { accountId: 'a', grantId: 'g1' }, 60);
    const found = await codes.find('c1');
    assert.deepEqual(found, { accountId: 'a', grantId: 'g1' });
    found.accountId = 'mallory';
    assert.equal((await codes.find('c1'))?.accountId, 'a', 'callers cannot mutate stored entries');
    await codes.consume('c1');
    assert.equal((await codes.find('c1'))?.consumed, 1000);
    now += 60_000;
    assert.equal(await codes.find('c1'), undefined);
  });

  it('bounds each model separately, so an interaction flood cannot push out sessions', async () => {
    const store = new MemoryStore({ maxEntriesPerModel: 3 });
    const sessions = store.adapterFactory('Session');
    const interactions = store.adapterFactory('Interaction');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'alice' }, 3600);
    for (let i = 0; i < 100; i++) await interactions.upsert(`i${i}`, { n: i }, 3600);
    assert.equal(store.count('Interaction'), 3);
    assert.equal(await interactions.find('i0'), undefined, 'the oldest went first');
    assert.deepEqual(await interactions.find('i99'), { n: 99 });
    assert.equal((await sessions.findByUid('u1'))?.accountId, 'alice');
  });

  it('revokes everything issued under a grant, and only that', async () => {
    const store = new MemoryStore();
    const at = store.adapterFactory('AccessToken');
    const rt = store.adapterFactory('RefreshToken');
    await at.upsert('at1', { grantId: 'g1' }, 3600);
    await rt.upsert('rt1', { grantId: 'g1' }, 3600);
    await at.upsert('at2', { grantId: 'g2' }, 3600);
    await rt.revokeByGrantId('g1');
    assert.equal(await at.find('at1'), undefined);
    assert.equal(await rt.find('rt1'), undefined);
    assert.deepEqual(await at.find('at2'), { grantId: 'g2' });
  });

  it('drops the secondary index with the entry', async () => {
    const store = new MemoryStore();
    const sessions = store.adapterFactory('Session');
    await sessions.upsert('s1', { uid: 'u1' }, 3600);
    await sessions.destroy('s1');
    assert.equal(await sessions.findByUid('u1'), undefined);
  });

  it('sweeps expired entries', async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now, clockToleranceSec: 0 });
    const grants = store.adapterFactory('Grant');
    await grants.upsert('g', {}, 10);
    now = 10_000;
    store.sweep();
    assert.equal(store.count('Grant'), 0);
  });
});

describe('ExpiringMap', () => {
  it('expires, caps and hands out entries once', () => {
    let now = 0;
    const map = new ExpiringMap<string>(2, () => now);
    map.set('a', '1', 100);
    map.set('b', '2', 100);
    map.set('c', '3', 100);
    assert.equal(map.size, 2);
    assert.equal(map.get('a'), undefined);
    assert.equal(map.take('b'), '2');
    assert.equal(map.get('b'), undefined);
    now = 100;
    assert.equal(map.get('c'), undefined);
  });
});
