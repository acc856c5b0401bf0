import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuthError,
  MemoryRefreshTokenStore,
  OAUTH_STATE_TTL_MS,
  deriveOAuthStateKey,
  newOAuthLogin,
  openBytes,
  openOAuthState,
  randomUrlToken,
  sealBytes,
} from './index.js';

const clock = {
  ms: 1_800_000_000_000,
  now(): number {
    return this.ms;
  },
};

describe('OAuth login state', () => {
  it('round-trips a login through the sealed cookie', async () => {
    const key = await deriveOAuthStateKey('c2VjcmV0LWtleS1mb3ItdGVzdHMtMzItYnl0ZXMh');
    const { login, cookieValue } = newOAuthLogin(
      key,
      {
        returnUrl: 'https://argocd.example.com/applications',
        redirectUri: 'https://argocd.example.com/auth/callback',
        pkce: true,
      },
      clock,
    );
    assert.ok(login.state.length >= 32 && login.nonce.length >= 32);
    assert.ok(login.codeVerifier.length >= 43, 'RFC 7636 needs 43+ characters');
    assert.ok(!cookieValue.includes(login.state), 'the cookie does not show the state');
    const opened = openOAuthState(key, cookieValue, login.state, clock);
    assert.deepEqual(opened, login);
  });

  it('uses fresh random values for every login', async () => {
    const key = await deriveOAuthStateKey('k'.repeat(44));
    const a = newOAuthLogin(key, { returnUrl: 'u', redirectUri: 'r', pkce: true }, clock).login;
    const b = newOAuthLogin(key, { returnUrl: 'u', redirectUri: 'r', pkce: true }, clock).login;
    assert.notEqual(a.state, b.state);
    assert.notEqual(a.nonce, b.nonce);
    assert.notEqual(a.codeVerifier, b.codeVerifier);
    assert.notEqual(randomUrlToken(), randomUrlToken());
  });

  const cases: {
    name: string;
    tamper: (cookie: string, state: string) => [string | undefined, string | undefined];
    re: RegExp;
    later?: number;
    otherKey?: boolean;
  }[] = [
    { name: 'a missing cookie', tamper: (_c, s) => [undefined, s], re: /cookie is missing/ },
    {
      name: 'a state mismatch (forged callback)',
      tamper: (c) => [c, 'attacker-state'],
      re: /does not match/,
    },
    { name: 'a missing state', tamper: (c) => [c, undefined], re: /does not match/ },
    {
      name: 'an altered cookie',
      tamper: (c, s) => [`${c.slice(0, 20)}${c[20] === 'A' ? 'B' : 'A'}${c.slice(21)}`, s],
      re: /not valid/,
    },
    {
      name: 'an expired login',
      tamper: (c, s) => [c, s],
      re: /longer than 5 minutes/,
      later: OAUTH_STATE_TTL_MS + 1,
    },
    {
      name: 'a cookie sealed under another key',
      tamper: (c, s) => [c, s],
      re: /not valid/,
      otherKey: true,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const key = await deriveOAuthStateKey('a'.repeat(44));
      const { login, cookieValue } = newOAuthLogin(
        key,
        { returnUrl: 'u', redirectUri: 'r', pkce: false },
        clock,
      );
      const [cookie, state] = c.tamper(cookieValue, login.state);
      const openKey = c.otherKey ? await deriveOAuthStateKey('b'.repeat(44)) : key;
      const at = {
        ms: clock.ms + (c.later ?? 0),
        now(): number {
          return this.ms;
        },
      };
      assert.throws(
        () => openOAuthState(openKey, cookie, state, at),
        (err: unknown) =>
          err instanceof AuthError &&
          err.code === 'ERR_AUTH_TOKEN_INVALID' &&
          c.re.test(err.message),
      );
    });
  }

  it('seals bytes so that only the same key opens them', async () => {
    const k1 = await deriveOAuthStateKey('x'.repeat(44));
    const k2 = await deriveOAuthStateKey('y'.repeat(44));
    const sealed = sealBytes(k1, Buffer.from('refresh-token'));
    assert.equal(openBytes(k1, sealed)?.toString(), 'refresh-token');
    assert.equal(openBytes(k2, sealed), undefined);
    assert.equal(openBytes(k1, 'not base64url!'), undefined);
  });
});

describe('MemoryRefreshTokenStore', () => {
  it('expires entries and stays bounded', async () => {
    const c = {
      ms: 0,
      now(): number {
        return this.ms;
      },
    };
    const store = new MemoryRefreshTokenStore({ maxEntries: 2, clock: c });
    await store.set('a', '1', 100);
    await store.set('b', '2', 1000);
    await store.set('c', '3', 1000);
    assert.equal(store.size, 2);
    assert.equal(await store.get('a'), undefined, 'the oldest went first');
    c.ms = 1000;
    assert.equal(await store.get('b'), undefined, 'expired');
    await store.delete('c');
    assert.equal(await store.get('c'), undefined);
  });
});
