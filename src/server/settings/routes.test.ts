import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dexConnectors, publicOidcConfig } from './routes.js';

describe('settings shown to clients', () => {
  it('reduces dex.config to connector id, name and type', () => {
    const cfg =
      'connectors:\n- type: github\n  id: gh\n  name: GitHub\n  config:\n    clientID: x\n    clientSecret: $dex.github.clientSecret\n';
    assert.deepEqual(dexConnectors(cfg), [{ id: 'gh', name: 'GitHub', type: 'github' }]);
    assert.deepEqual(dexConnectors('not: [yaml'), []);
    assert.deepEqual(dexConnectors(undefined), []);
  });

  it('never returns the OIDC client secret or unresolved $references', () => {
    const out = publicOidcConfig(
      'name: Okta\nissuer: https://okta.example\nclientID: $oidc.okta.clientID\nclientSecret: shh\ncliClientID: cli\nrequestedScopes: [openid, groups]\n',
    );
    assert.deepEqual(out, {
      name: 'Okta',
      issuer: 'https://okta.example',
      cliClientID: 'cli',
      scopes: ['openid', 'groups'],
    });
    assert.ok(!JSON.stringify(out).includes('shh'));
  });
});
