import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import {
  AuthError,
  MemoryRevocationStore,
  OidcTokenVerifier,
  oidcRevocationId,
  type OidcFetch,
} from './index.js';

const ISSUER = 'https://idp.example.com';
const JWKS_URI = `${ISSUER}/keys`;
const NOW = 1_800_000_000_000;

class FakeClock {
  ms = NOW;
  now(): number {
    return this.ms;
  }
}

async function keyPair(alg: 'RS256' | 'ES256', kid: string, modulusLength = 2048) {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    modulusLength,
  });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { privateKey, jwk };
}

/** A JWKS endpoint in memory: serves `keys`, counts fetches, can answer with another status. */
function jwksFetch(state: { keys: JWK[]; status?: number; calls: number }): OidcFetch {
  return (url, init) => {
    state.calls++;
    assert.equal(url, JWKS_URI);
    assert.equal(init.redirect, 'manual');
    const status = state.status ?? 200;
    if (status !== 200)
      return Promise.resolve(
        new Response(null, { status, headers: { location: 'https://evil.example/keys' } }),
      );
    return Promise.resolve(Response.json({ keys: state.keys }));
  };
}

type Signer = Awaited<ReturnType<typeof keyPair>>;

function sign(
  k: Signer,
  claims: Record<string, unknown>,
  alg: 'RS256' | 'ES256' = 'RS256',
  nowSec = NOW / 1000,
): Promise<string> {
  return new SignJWT({
    iss: ISSUER,
    sub: 'user-1',
    aud: 'argo-cd',
    iat: nowSec,
    exp: nowSec + 3600,
    ...claims,
  })
    .setProtectedHeader({ alg, kid: k.jwk.kid })
    .sign(k.privateKey);
}

let sharedRsa: Promise<Signer> | undefined;

async function setup(
  opts: { skipNoAud?: boolean; algorithms?: string[]; revocations?: MemoryRevocationStore } = {},
) {
  sharedRsa ??= keyPair('RS256', 'rsa-1');
  const rsa = await sharedRsa;
  const state = { keys: [rsa.jwk], calls: 0 } as { keys: JWK[]; status?: number; calls: number };
  const clock = new FakeClock();
  const verifier = new OidcTokenVerifier(
    {
      issuer: ISSUER,
      jwksUri: JWKS_URI,
      allowedAudiences: ['argo-cd', 'argo-cd-cli'],
      ...(opts.skipNoAud ? { skipAudienceCheckWhenTokenHasNoAudience: true } : {}),
      ...(opts.algorithms ? { algorithms: opts.algorithms } : {}),
    },
    {
      fetch: jwksFetch(state),
      clock,
      ...(opts.revocations ? { revocations: opts.revocations } : {}),
      jwks: { cooldownMs: 30_000, maxAgeMs: 600_000 },
    },
  );
  return { rsa, state, clock, verifier };
}

async function rejects(p: Promise<unknown>, code: string, re?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AuthError, `expected AuthError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (re) assert.match(err.message, re);
    return true;
  });
}

function b64(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

describe('OidcTokenVerifier', () => {
  it('accepts a token signed by the provider for an allowed audience', async () => {
    const { rsa, verifier, state } = await setup();
    const token = await sign(rsa, { groups: ['ops'], at_hash: 'h1' });
    const v = await verifier.verify(token);
    assert.equal(v.subject, 'user-1');
    assert.deepEqual(v.audiences, ['argo-cd']);
    assert.deepEqual(v.claims.groups, ['ops']);
    assert.equal(v.revocationId, 'h1');
    assert.equal(v.expired, false);
    await verifier.verify(token);
    assert.equal(state.calls, 1, 'the key set is cached');
  });

  const badTokens: { name: string; make: (k: Signer) => Promise<string>; re: RegExp }[] = [
    {
      name: 'alg none',
      make: () =>
        Promise.resolve(
          `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: ISSUER, sub: 'admin', aud: 'argo-cd', exp: NOW / 1000 + 60 })}.`,
        ),
      re: /algorithm "none" is not allowed/,
    },
    {
      name: 'HS256 keyed with the provider public key (key confusion)',
      make: (k) => {
        const header = b64({ alg: 'HS256', typ: 'JWT', kid: k.jwk.kid });
        const payload = b64({ iss: ISSUER, sub: 'admin', aud: 'argo-cd', exp: NOW / 1000 + 60 });
        const secret = JSON.stringify(k.jwk);
        const sig = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
        return Promise.resolve(`${header}.${payload}.${sig}`);
      },
      re: /algorithm "HS256" is not allowed/,
    },
    {
      name: 'a tampered payload',
      make: async (k) => {
        const [h, , s] = (await sign(k, {})).split('.');
        return `${h ?? ''}.${b64({ iss: ISSUER, sub: 'admin', aud: 'argo-cd', exp: NOW / 1000 + 60 })}.${s ?? ''}`;
      },
      re: /signature is not valid/,
    },
    {
      name: 'a tampered signature',
      make: async (k) => {
        const t = await sign(k, {});
        const last = t.at(-2) === 'A' ? 'B' : 'A';
        return `${t.slice(0, -2)}${last}${t.slice(-1)}`;
      },
      re: /signature is not valid/,
    },
    {
      name: 'another issuer',
      make: (k) => sign(k, { iss: 'https://other.example.com' }),
      re: /not issued by https:\/\/idp\.example\.com/,
    },
    {
      name: 'a wrong audience',
      make: (k) => sign(k, { aud: 'some-other-app' }),
      re: /not for one of the allowed audiences/,
    },
    {
      name: 'no audience',
      make: (k) => sign(k, { aud: undefined }),
      re: /has no audience/,
    },
    {
      name: 'no expiry',
      make: (k) => sign(k, { exp: undefined }),
      re: /no expiry/,
    },
    {
      name: 'crit header',
      make: (k) =>
        new SignJWT({ iss: ISSUER, sub: 'u', aud: 'argo-cd', exp: NOW / 1000 + 60 })
          .setProtectedHeader({ alg: 'RS256', kid: k.jwk.kid, crit: ['b64'], b64: true })
          .sign(k.privateKey),
      re: /crit/,
    },
    {
      name: 'garbage',
      make: () => Promise.resolve('not-a-jwt'),
      re: /not a signed JSON Web Token/,
    },
  ];
  for (const c of badTokens) {
    it(`rejects ${c.name}`, async () => {
      const { rsa, verifier } = await setup();
      await rejects(verifier.verify(await c.make(rsa)), 'ERR_AUTH_TOKEN_INVALID', c.re);
    });
  }

  it('accepts a token without audience only when told to', async () => {
    const { rsa, verifier } = await setup({ skipNoAud: true });
    const v = await verifier.verify(await sign(rsa, { aud: undefined }));
    assert.deepEqual(v.audiences, []);
    await rejects(verifier.verify(await sign(rsa, { aud: 'other' })), 'ERR_AUTH_TOKEN_INVALID');
  });

  it('refuses a multi-audience token whose azp is not ours', async () => {
    const { rsa, verifier } = await setup();
    await rejects(
      verifier.verify(await sign(rsa, { aud: ['argo-cd', 'x'], azp: 'x' })),
      'ERR_AUTH_TOKEN_INVALID',
      /azp/,
    );
    await verifier.verify(await sign(rsa, { aud: ['argo-cd', 'x'], azp: 'argo-cd' }));
  });

  it('rejects an expired token, and lets it through only with allowExpired', async () => {
    const { rsa, verifier, clock } = await setup();
    const token = await sign(rsa, {});
    clock.ms = NOW + 3600_000 + 11_000;
    await rejects(verifier.verify(token), 'ERR_AUTH_TOKEN_EXPIRED');
    const v = await verifier.verify(token, { allowExpired: true });
    assert.equal(v.expired, true);
  });

  it('tolerates a small clock skew but not more', async () => {
    const { rsa, verifier, clock } = await setup();
    const token = await sign(rsa, {});
    clock.ms = NOW + 3600_000 + 5_000;
    await verifier.verify(token);
    clock.ms = NOW;
    await rejects(
      verifier.verify(await sign(rsa, { nbf: NOW / 1000 + 60 })),
      'ERR_AUTH_TOKEN_NOT_YET_VALID',
    );
    clock.ms = NOW;
    await rejects(
      verifier.verify(await sign(rsa, { iat: NOW / 1000 + 60, exp: NOW / 1000 + 600 })),
      'ERR_AUTH_TOKEN_NOT_YET_VALID',
    );
  });

  it('checks the nonce when one is expected', async () => {
    const { rsa, verifier } = await setup();
    const token = await sign(rsa, { nonce: 'n-1' });
    await verifier.verify(token, { nonce: 'n-1' });
    await rejects(verifier.verify(token, { nonce: 'n-2' }), 'ERR_AUTH_TOKEN_INVALID', /nonce/);
    await rejects(
      verifier.verify(await sign(rsa, {}), { nonce: 'n-1' }),
      'ERR_AUTH_TOKEN_INVALID',
      /nonce/,
    );
  });

  it('refuses a revoked token (jti, then at_hash)', async () => {
    const revocations = new MemoryRevocationStore();
    const { rsa, verifier } = await setup({ revocations });
    const t1 = await sign(rsa, { jti: 'j-1', at_hash: 'a-1' });
    const t2 = await sign(rsa, { at_hash: 'a-2' });
    await verifier.verify(t1);
    await revocations.revoke('j-1', NOW + 3600_000);
    await revocations.revoke('a-2', NOW + 3600_000);
    await rejects(verifier.verify(t1), 'ERR_AUTH_TOKEN_REVOKED');
    await rejects(verifier.verify(t2), 'ERR_AUTH_TOKEN_REVOKED');
  });

  it('refetches the key set for an unknown kid, at most once per cooldown', async () => {
    const { verifier, state, clock, rsa } = await setup();
    await verifier.verify(await sign(rsa, {}));
    assert.equal(state.calls, 1);
    const next = await keyPair('RS256', 'rsa-2');
    const forged = await sign(next, {});
    // the provider has not published rsa-2: inside the cooldown, no new fetch
    await rejects(verifier.verify(forged), 'ERR_AUTH_TOKEN_INVALID', /no key/);
    assert.equal(state.calls, 1);
    // after the cooldown the provider rotated: one fetch finds the new key
    state.keys = [rsa.jwk, next.jwk];
    clock.ms += 31_000;
    await verifier.verify(await sign(next, {}, 'RS256', clock.ms / 1000));
    assert.equal(state.calls, 2);
    // concurrent unknown kids share one fetch and respect the cooldown
    const stranger = await keyPair('RS256', 'rsa-3');
    const t = await sign(stranger, {}, 'RS256', clock.ms / 1000);
    clock.ms += 31_000;
    await Promise.allSettled([verifier.verify(t), verifier.verify(t), verifier.verify(t)]);
    assert.equal(state.calls, 3);
  });

  it('stops accepting a cached token once the provider withdrew its key', async () => {
    const { rsa, verifier, state, clock } = await setup();
    const token = await sign(rsa, {});
    await verifier.verify(token);
    await verifier.verify(token);
    assert.equal(state.calls, 1);
    const next = await keyPair('RS256', 'rsa-9');
    state.keys = [next.jwk];
    clock.ms += 600_001;
    await rejects(verifier.verify(token), 'ERR_AUTH_TOKEN_INVALID', /no key/);
    assert.equal(state.calls, 2, 'the stale key set was fetched again');
  });

  it('does not follow a redirect from the JWKS endpoint', async () => {
    const { rsa, verifier, state } = await setup();
    state.status = 302;
    await rejects(
      verifier.verify(await sign(rsa, {})),
      'ERR_AUTH_STORE',
      /redirects are not followed/,
    );
  });

  it('refuses RSA keys shorter than 2048 bits', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = { ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak', alg: 'RS256' } as JWK;
    const state = { keys: [jwk], calls: 0 };
    const verifier = new OidcTokenVerifier(
      { issuer: ISSUER, jwksUri: JWKS_URI, allowedAudiences: ['argo-cd'] },
      { fetch: jwksFetch(state), clock: new FakeClock() },
    );
    const header = b64({ alg: 'RS256', kid: 'weak' });
    const payload = b64({ iss: ISSUER, sub: 'u', aud: 'argo-cd', exp: NOW / 1000 + 60 });
    const { createSign } = await import('node:crypto');
    const sig = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(weak.privateKey);
    await rejects(
      verifier.verify(`${header}.${payload}.${sig.toString('base64url')}`),
      'ERR_AUTH_TOKEN_INVALID',
    );
  });

  it('accepts only the algorithms the provider advertises, within the allow-list', async () => {
    const ec = await keyPair('ES256', 'ec-1');
    const state = { keys: [ec.jwk], calls: 0 };
    const make = (algorithms: string[]) =>
      new OidcTokenVerifier(
        { issuer: ISSUER, jwksUri: JWKS_URI, allowedAudiences: ['argo-cd'], algorithms },
        { fetch: jwksFetch(state), clock: new FakeClock() },
      );
    const token = await sign(ec, {}, 'ES256');
    await make(['RS256', 'ES256']).verify(token);
    await rejects(make(['RS256']).verify(token), 'ERR_AUTH_TOKEN_INVALID', /ES256/);
    // HS256 and none never make it into the list
    assert.deepEqual(make(['HS256', 'none', 'ES256']).algorithms, ['ES256']);
  });

  it('derives the revocation id from jti, uti, at_hash, else the token hash', () => {
    assert.equal(oidcRevocationId({ jti: 'a', uti: 'b', at_hash: 'c' }, 't'), 'a');
    assert.equal(oidcRevocationId({ uti: 'b', at_hash: 'c' }, 't'), 'b');
    assert.equal(oidcRevocationId({ at_hash: 'c' }, 't'), 'c');
    assert.match(oidcRevocationId({}, 't'), /^sha256:[A-Za-z0-9_-]{43}$/);
  });
});
