import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.js';
import { parseLabelSelector } from './selector.js';

describe('parseLabelSelector', () => {
  const labels = { team: 'a', env: 'prod', 'example.com/tier': 'web' };
  const cases: { name: string; selector: string | undefined; want: boolean }[] = [
    { name: 'empty matches all', selector: undefined, want: true },
    { name: 'blank matches all', selector: '  ', want: true },
    { name: 'equality', selector: 'team=a', want: true },
    { name: 'double equals', selector: 'team==a', want: true },
    { name: 'equality mismatch', selector: 'team=b', want: false },
    { name: 'inequality', selector: 'team!=b', want: true },
    { name: 'inequality of a missing key holds', selector: 'missing!=x', want: true },
    { name: 'in', selector: 'env in (prod, stage)', want: true },
    { name: 'notin', selector: 'env notin (prod)', want: false },
    { name: 'exists', selector: 'example.com/tier', want: true },
    { name: 'does not exist', selector: '!team', want: false },
    { name: 'every requirement must hold', selector: 'team=a,env in (dev),!legacy', want: false },
    { name: 'all requirements hold', selector: 'team=a, env in (prod,dev), !legacy', want: true },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.equal(parseLabelSelector(c.selector).matches(labels), c.want);
    });

  it('matches apps without labels only with negative requirements', () => {
    assert.equal(parseLabelSelector('!team').matches(undefined), true);
    assert.equal(parseLabelSelector('team').matches(undefined), false);
  });

  for (const bad of [
    'team=a,',
    'env in (a',
    'env in ()',
    '=a',
    'te am=a',
    'x=' + 'v'.repeat(64),
    'a in ((b))',
  ])
    it(`refuses ${JSON.stringify(bad.slice(0, 20))} with a 400`, () => {
      assert.throws(
        () => parseLabelSelector(bad),
        (e: unknown) => e instanceof ApiError && e.code === 'ERR_API_INVALID_ARGUMENT',
      );
    });
});
