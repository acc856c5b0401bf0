import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, paginate, QueryParams } from './index.js';

const q = (o: Record<string, string>): QueryParams => new QueryParams(o);
const names = (n: number): { name: string }[] =>
  Array.from({ length: n }, (_, i) => ({ name: `item-${String(i).padStart(3, '0')}` }));
const key = (i: { name: string }): string => i.name;

describe('paginate', () => {
  it('returns the whole list without limit (Argo CD behaviour) and copies the resourceVersion', () => {
    const p = paginate(names(5), key, q({}), '42');
    assert.equal(p.items.length, 5);
    assert.deepEqual(p.metadata, { resourceVersion: '42' });
  });

  it('walks the list in key order with limit and continue, with the remaining count', () => {
    const items = names(7).reverse();
    const seen: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const p = paginate(items, key, q({ limit: '3', ...(token ? { continue: token } : {}) }));
      seen.push(...p.items.map(key));
      token = p.metadata.continue;
      if (token === undefined) break;
      assert.equal(p.metadata.remainingItemCount, 7 - seen.length);
    }
    assert.deepEqual(seen, names(7).map(key));
  });

  it('neither repeats nor skips items when the list changes between pages', () => {
    const first = paginate(names(6), key, q({ limit: '2' }));
    const changed = [
      ...names(6).filter((i) => i.name !== 'item-000' && i.name !== 'item-003'),
      { name: 'item-000a' },
    ];
    const second = paginate(
      changed,
      key,
      q({ limit: '2', continue: first.metadata.continue ?? '' }),
    );
    assert.deepEqual(second.items.map(key), ['item-002', 'item-004']);
  });

  it('refuses a bad limit and a continue token it did not issue', () => {
    for (const bad of [
      { limit: '-1' },
      { limit: 'x' },
      { limit: '100000' },
      { continue: 'not-a-token' },
      { continue: Buffer.from('{"v":2}').toString('base64url') },
    ])
      assert.throws(
        () => paginate(names(2), key, q(bad)),
        (e: unknown) => e instanceof ApiError && e.code === 'ERR_API_INVALID_ARGUMENT',
        JSON.stringify(bad),
      );
  });
});
