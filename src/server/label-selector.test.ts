import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesLabelSelector } from './label-selector.js';

describe('matchesLabelSelector', () => {
  const labels = { team: 'a', tier: 'prod' };
  const cases = [
    { name: 'empty selector', sel: {}, want: true },
    { name: 'matchLabels hit', sel: { matchLabels: { team: 'a' } }, want: true },
    { name: 'matchLabels miss', sel: { matchLabels: { team: 'b' } }, want: false },
    {
      name: 'In',
      sel: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['prod', 'stage'] }] },
      want: true,
    },
    {
      name: 'NotIn',
      sel: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['prod'] }] },
      want: false,
    },
    {
      name: 'Exists',
      sel: { matchExpressions: [{ key: 'team', operator: 'Exists' }] },
      want: true,
    },
    {
      name: 'DoesNotExist',
      sel: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] },
      want: false,
    },
    {
      name: 'an unknown operator matches nothing',
      sel: { matchExpressions: [{ key: 'team', operator: 'Like' }] },
      want: false,
    },
    { name: 'not an object matches nothing', sel: 'team=a', want: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(matchesLabelSelector(c.sel, labels), c.want);
    });
  }
});
