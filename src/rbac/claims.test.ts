import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRfc3339, issuedAt } from './claims.js';
import { scopeValues, userIdentifier } from './index.js';

describe('userIdentifier', () => {
  const cases = [
    { name: 'sub', claims: { sub: 'alice' }, want: 'alice' },
    {
      name: 'Dex federated user id first',
      claims: { sub: 'x', federated_claims: { user_id: 'bob' } },
      want: 'bob',
    },
    {
      name: 'sub when the federated id is empty',
      claims: { sub: 'x', federated_claims: { user_id: '' } },
      want: 'x',
    },
    { name: 'nothing for a numeric sub', claims: { sub: 1 }, want: '' },
    { name: 'nothing for non-objects', claims: 'alice', want: '' },
  ];
  for (const c of cases) {
    it(`returns ${c.name}`, () => {
      assert.equal(userIdentifier(c.claims), c.want);
    });
  }
});

describe('scopeValues', () => {
  it('reads strings and string lists from every scope, in order, without duplicates', () => {
    const claims = { groups: ['a', 'b', 3, 'a', ''], email: 'x@y', other: ['z'] };
    assert.deepEqual(scopeValues(claims, ['groups', 'email']), ['a', 'b', 'x@y']);
  });

  it('ignores inherited properties and missing scopes', () => {
    assert.deepEqual(scopeValues({}, ['toString', 'groups']), []);
  });
});

describe('issuedAt / formatRfc3339', () => {
  it('formats iat as Go does in UTC', () => {
    assert.equal(issuedAt({ iat: 1_700_000_000 }), 1_700_000_000);
    assert.equal(issuedAt({ iat: '1' }), undefined);
    assert.equal(formatRfc3339(0), '1970-01-01T00:00:00Z');
  });
});
