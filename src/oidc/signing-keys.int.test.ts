import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { MemoryKeyStore } from './index.js';
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
  - email: carol@example.com
    hash: "${hashPassword('carol-password')}"
    username: carol
    userID: carol-1
`;

async function issueIdToken(running: RunningDex): Promise<string> {
  const rp = await relyingParty(running.issuer, 'argo-cd');
  const attempt = await beginLogin(rp, `${running.url}/auth/callback`, 'openid groups');
  const callback = await loginWithPassword(
    new Browser(),
    attempt,
    'carol@example.com',
    'carol-password',
  );
  const tokens = await client.authorizationCodeGrant(rp, callback, {
    pkceCodeVerifier: attempt.verifier,
    expectedState: attempt.state,
    expectedNonce: attempt.nonce,
  });
  assert.ok(tokens.id_token);
  return tokens.id_token;
}

/** Verifies against a freshly fetched JWKS served at `keysUrl`. */
function verifyAt(keysUrl: string, issuer: string, token: string) {
  return jwtVerify(token, createRemoteJWKSet(new URL(keysUrl)), {
    issuer,
    audience: 'argo-cd',
    algorithms: ['RS256'],
  });
}

describe('DexServer signing keys', () => {
  const store = new MemoryKeyStore();
  let first: RunningDex;
  before(async () => {
    first = await startDex(DEX_CONFIG, { keyStore: store });
  });
  after(async () => {
    await first.stop();
  });

  it('keeps tokens signed before a rotation verifiable and signs new ones with the new kid', async () => {
    const before = await issueIdToken(first);
    const oldKid = decodeProtectedHeader(before).kid;
    assert.equal(oldKid, first.dex.keyIds[0]);

    await first.dex.rotateKeys();
    const [newKid, retiredKid] = first.dex.keyIds;
    assert.notEqual(newKid, oldKid);
    assert.equal(retiredKid, oldKid);

    const jwks = (await (await fetch(`${first.issuer}/keys`)).json()) as {
      keys: Record<string, unknown>[];
    };
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      [newKid, oldKid],
    );
    for (const k of jwks.keys) {
      assert.equal(k.d, undefined, 'the JWKS publishes public keys only');
      assert.equal(k.p, undefined);
    }

    await verifyAt(`${first.issuer}/keys`, first.issuer, before);
    const after = await issueIdToken(first);
    assert.equal(decodeProtectedHeader(after).kid, newKid);
    await verifyAt(`${first.issuer}/keys`, first.issuer, after);
  });

  it('serves the same keys after a restart, so issued tokens still verify', async () => {
    const token = await issueIdToken(first);
    const kids = first.dex.keyIds;
    // a second process on another port, configured with the same Argo CD url (same issuer)
    const second = await startDex(DEX_CONFIG, { keyStore: store, extra: { url: first.url } });
    try {
      assert.equal(second.issuer, first.issuer);
      assert.deepEqual(second.dex.keyIds, kids);
      await verifyAt(`${second.listener.url}/api/dex/keys`, first.issuer, token);
    } finally {
      await second.stop();
    }
  });
});
