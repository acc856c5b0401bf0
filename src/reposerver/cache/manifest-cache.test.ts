import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LruCache, manifestCacheKey } from './manifest-cache.js';

describe('LruCache', () => {
  it('drops the least recently used entries once over the byte bound', () => {
    const c = new LruCache<string>({ maxBytes: 10, ttlMs: 1000 });
    c.set('a', 'A', 4);
    c.set('b', 'B', 4);
    assert.equal(c.get('a'), 'A'); // a is now the most recent
    c.set('c', 'C', 4);
    assert.equal(c.get('b'), undefined);
    assert.equal(c.get('a'), 'A');
    assert.equal(c.get('c'), 'C');
    assert.equal(c.bytes, 8);
  });

  it('does not keep an entry larger than the whole bound', () => {
    const c = new LruCache<string>({ maxBytes: 10, ttlMs: 1000 });
    c.set('a', 'A', 4);
    c.set('huge', 'H', 11);
    assert.equal(c.get('huge'), undefined);
    assert.equal(c.get('a'), 'A');
  });

  it('expires entries after the TTL', () => {
    let now = 1000;
    const c = new LruCache<string>({ maxBytes: 100, ttlMs: 50, now: () => now });
    c.set('a', 'A', 1);
    now += 49;
    assert.equal(c.get('a'), 'A');
    now += 1;
    assert.equal(c.get('a'), undefined);
    assert.equal(c.size, 0);
  });

  it('replaces an entry and keeps the byte count right', () => {
    const c = new LruCache<string>({ maxBytes: 100, ttlMs: 1000 });
    c.set('a', 'A', 10);
    c.set('a', 'AA', 20);
    assert.equal(c.bytes, 20);
    c.delete('a');
    assert.equal(c.bytes, 0);
  });
});

describe('manifestCacheKey', () => {
  it('is independent of key order and changes with any part', () => {
    const a = manifestCacheKey('m', { repo: 'r', sha: 's', opts: { x: 1, y: [1, 2] } });
    const b = manifestCacheKey('m', { opts: { y: [1, 2], x: 1 }, sha: 's', repo: 'r' });
    assert.equal(a, b);
    assert.notEqual(a, manifestCacheKey('m', { repo: 'r', sha: 't', opts: { x: 1, y: [1, 2] } }));
    assert.notEqual(a, manifestCacheKey('m', { repo: 'r', sha: 's', opts: { x: 1, y: [2, 1] } }));
    assert.notEqual(
      a,
      manifestCacheKey('other', { repo: 'r', sha: 's', opts: { x: 1, y: [1, 2] } }),
    );
  });
});
