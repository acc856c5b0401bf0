import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jsonEqual, mergePatch } from './index.js';

describe('mergePatch', () => {
  const cases = [
    {
      name: 'equal values give no patch',
      from: { a: 1, b: [1, 2] },
      to: { b: [1, 2], a: 1 },
      want: undefined,
    },
    { name: 'changed scalar', from: { a: 1 }, to: { a: 2 }, want: { a: 2 } },
    { name: 'removed key becomes null', from: { a: 1, b: 2 }, to: { a: 1 }, want: { b: null } },
    {
      name: 'nested change only',
      from: { s: { x: 1, y: 2 } },
      to: { s: { x: 1, y: 3 } },
      want: { s: { y: 3 } },
    },
    { name: 'arrays are replaced whole', from: { l: [1, 2] }, to: { l: [1] }, want: { l: [1] } },
    {
      name: 'undefined values count as absent',
      from: { a: 1, u: undefined },
      to: { a: 1 },
      want: undefined,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.deepEqual(mergePatch(c.from, c.to), c.want);
    });

  it('compares deeply', () => {
    assert.equal(jsonEqual({ a: [{ b: 1 }] }, { a: [{ b: 1 }] }), true);
    assert.equal(jsonEqual({ a: [{ b: 1 }] }, { a: [{ b: 2 }] }), false);
    assert.equal(jsonEqual([], {}), false);
  });
});
