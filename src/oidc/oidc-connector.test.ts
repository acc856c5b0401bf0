import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OidcError, parseDexConfig } from './index.js';
import { OidcConnector } from './oidc-connector.js';

function connector(extra = ''): OidcConnector {
  const { config } = parseDexConfig(`
connectors:
  - type: oidc
    id: corp
    name: Corp
    config:
      issuer: https://idp.example
      clientID: c
      clientSecret: s
${extra}`);
  const c = config.connectors[0];
  assert.ok(c);
  return new OidcConnector(c, { callbackUrl: 'https://argocd.example/api/dex/callback' });
}

describe('OidcConnector', () => {
  it('requests openid, profile and email by default and groups when groups are enabled', () => {
    assert.deepEqual(connector().scopes, ['openid', 'profile', 'email']);
    assert.deepEqual(connector('      insecureEnableGroups: true').scopes, [
      'openid',
      'profile',
      'email',
      'groups',
    ]);
    assert.equal(connector().redirectUri, 'https://argocd.example/api/dex/callback');
  });

  it('maps upstream claims to an identity', () => {
    const id = connector('      insecureEnableGroups: true').identityFrom({
      sub: 'u-1',
      name: 'Bob B',
      preferred_username: 'bob',
      email: 'bob@example.com',
      email_verified: true,
      groups: ['a', 7, 'b'],
    });
    assert.deepEqual(id, {
      connectorId: 'corp',
      userId: 'u-1',
      username: 'Bob B',
      preferredUsername: 'bob',
      email: 'bob@example.com',
      emailVerified: true,
      groups: ['a', 'b'],
    });
  });

  const groupCases = [
    {
      name: 'ignores groups unless insecureEnableGroups, as Dex does',
      extra: '',
      claims: { groups: ['a'] },
      want: [],
    },
    {
      name: 'reads a mapped groups claim',
      extra: '      insecureEnableGroups: true\n      claimMapping: {groups: roles}',
      claims: { roles: ['r1'], groups: ['no'] },
      want: ['r1'],
    },
    {
      name: 'reads a single group given as a string',
      extra: '      insecureEnableGroups: true',
      claims: { groups: 'solo' },
      want: ['solo'],
    },
  ];
  for (const c of groupCases) {
    it(c.name, () => {
      const id = connector(c.extra).identityFrom({ sub: 'u', email_verified: false, ...c.claims });
      assert.deepEqual(id.groups, c.want);
    });
  }

  it('refuses an email without email_verified unless told to skip the check', () => {
    assert.throws(
      () => connector().identityFrom({ sub: 'u', email: 'x@example.com' }),
      (err: unknown) => err instanceof OidcError && /insecureSkipEmailVerified/.test(err.message),
    );
    const id = connector('      insecureSkipEmailVerified: true').identityFrom({
      sub: 'u',
      email: 'x@example.com',
    });
    assert.equal(id.emailVerified, true);
  });

  it('uses userIDKey and falls back for the display name', () => {
    const id = connector('      userIDKey: oid').identityFrom({
      sub: 'ignored',
      oid: 'o-1',
      email_verified: true,
      email: 'e@x.example',
    });
    assert.equal(id.userId, 'o-1');
    assert.equal(id.username, 'e@x.example');
    assert.throws(() => connector().identityFrom({ name: 'n' }), /no "sub" claim/);
  });
});
