import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { dexSubject } from './index.js';
import {
  Browser,
  beginLogin,
  hashPassword,
  loginWithPassword,
  relyingParty,
  startDex,
  type RunningDex,
} from '../../test/support/oidc.js';

const DEX_CONFIG = `
enablePasswordDB: true
staticPasswords:
  - email: alice@example.com
    hash: "${hashPassword('alice-password')}"
    username: alice
    userID: 08a8684b-db88-4b73-90a9-3cd1661f5466
    groups: [admins, developers]
`;

describe('DexServer login with the password database', () => {
  let running: RunningDex;
  before(async () => {
    running = await startDex(DEX_CONFIG);
  });
  after(async () => {
    await running.stop();
  });

  it('logs a static user in with code + PKCE and issues a verifiable ID token with groups', async () => {
    const rp = await relyingParty(running.issuer, 'argo-cd');
    const attempt = await beginLogin(rp, `${running.url}/auth/callback`);
    const callback = await loginWithPassword(
      new Browser(),
      attempt,
      'alice@example.com',
      'alice-password',
    );
    const tokens = await client.authorizationCodeGrant(rp, callback, {
      pkceCodeVerifier: attempt.verifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
      idTokenExpected: true,
    });
    assert.ok(tokens.id_token);
    const jwks = createRemoteJWKSet(new URL(`${running.issuer}/keys`));
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token, jwks, {
      issuer: running.issuer,
      audience: 'argo-cd',
      algorithms: ['RS256'],
    });
    assert.equal(protectedHeader.kid, running.dex.keyIds[0]);
    assert.equal(payload.nonce, attempt.nonce);
    assert.equal(payload.sub, dexSubject('08a8684b-db88-4b73-90a9-3cd1661f5466', 'local'));
    assert.deepEqual(payload.groups, ['admins', 'developers']);
    assert.equal(payload.email, 'alice@example.com');
    assert.equal(payload.name, 'alice');
    assert.deepEqual(payload.federated_claims, {
      connector_id: 'local',
      user_id: '08a8684b-db88-4b73-90a9-3cd1661f5466',
    });
    assert.ok(tokens.refresh_token, 'offline_access gives the argo-cd client a refresh token');
  });
});
