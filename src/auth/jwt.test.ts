import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT, jwtVerify } from 'jose';
import { decodeHs256, peekIssuer } from './index.js';
import { TEST_SECRET_KEY } from './test-helpers.js';

const key = TEST_SECRET_KEY;
const otherKey = new Uint8Array(Buffer.from('another-key-another-key-another-key-123456', 'utf8'));
const now = 1_767_268_800; // 2026-01-01T12:00:00Z
const claims = {
  iss: 'argocd',
  sub: 'admin:login',
  iat: now,
  nbf: now,
  exp: now + 3600,
  jti: 'j-1',
};

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  );
}

/** Builds a token by hand, HMAC-signed with `signWith` over whatever header and payload. */
function handMade(header: unknown, payload: unknown, signWith: Uint8Array = key): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', signWith).update(input).digest('base64url')}`;
}

async function joseSigned(alg: 'HS256' | 'HS384' | 'HS512', k: Uint8Array = key): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg, typ: 'JWT' }).sign(k);
}

const valid = await joseSigned('HS256');
const [validHeader = '', validPayload = '', validSignature = ''] = valid.split('.');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

function flipLastChar(s: string): string {
  const last = s.at(-1) === 'A' ? 'B' : 'A';
  return s.slice(0, -1) + last;
}

// A signature spelled non-canonically: same 32 bytes, different last character (unused low bits).
function nonCanonical(sig: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = sig.at(-1) ?? 'A';
  const i = alphabet.indexOf(last);
  return sig.slice(0, -1) + (alphabet[i ^ 1] ?? 'A');
}

// `jose` is what jose.jwtVerify says when we are deliberately stricter than it.
const cases: {
  name: string;
  token: () => Promise<string> | string;
  want: string;
  jose?: 'ok';
}[] = [
  { name: 'a token signed by jose with HS256', token: () => valid, want: 'ok' },
  {
    name: 'a token without typ',
    token: () => handMade({ alg: 'HS256' }, claims),
    want: 'ok',
  },
  {
    name: 'alg none (unsecured JWT)',
    token: () => new UnsecuredJWT({ ...claims }).encode(),
    want: 'algorithm',
  },
  {
    name: 'alg none with an HMAC signature appended',
    token: () => handMade({ alg: 'none', typ: 'JWT' }, claims),
    want: 'algorithm',
  },
  {
    name: 'alg "None" (case games)',
    token: () => handMade({ alg: 'None' }, claims),
    want: 'algorithm',
  },
  { name: 'HS384 under the same key', token: () => joseSigned('HS384'), want: 'algorithm' },
  { name: 'HS512 under the same key', token: () => joseSigned('HS512'), want: 'algorithm' },
  {
    name: 'RS256',
    token: () =>
      new SignJWT({ ...claims }).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey),
    want: 'algorithm',
  },
  {
    name: 'ES256',
    token: () =>
      new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256' }).sign(ec.privateKey),
    want: 'algorithm',
  },
  {
    name: 'HS256 under another key',
    token: () => joseSigned('HS256', otherKey),
    want: 'signature',
  },
  {
    name: 'a tampered payload',
    token: () => `${validHeader}.${b64url({ ...claims, sub: 'evil:login' })}.${validSignature}`,
    want: 'signature',
  },
  {
    name: 'a tampered signature',
    token: () => `${validHeader}.${validPayload}.${flipLastChar(validSignature)}`,
    want: 'signature',
  },
  {
    name: 'a truncated signature',
    token: () => `${validHeader}.${validPayload}.${validSignature.slice(0, 20)}`,
    want: 'signature',
  },
  { name: 'an empty signature', token: () => `${validHeader}.${validPayload}.`, want: 'signature' },
  {
    name: 'a crit header',
    token: () => handMade({ alg: 'HS256', crit: ['exp'] }, claims),
    want: 'malformed',
  },
  {
    // jose ignores b64 unless crit lists it; we refuse what we do not implement
    name: 'b64 false (stricter than jose)',
    token: () => handMade({ alg: 'HS256', b64: false }, claims),
    want: 'malformed',
    jose: 'ok',
  },
  { name: 'two parts', token: () => `${validHeader}.${validPayload}`, want: 'malformed' },
  { name: 'four parts', token: () => `${valid}.x`, want: 'malformed' },
  {
    name: 'not base64url',
    token: () => `${validHeader}.${validPayload}+/.${validSignature}`,
    want: 'malformed',
  },
  {
    name: 'a payload that is not JSON',
    token: () => handMade({ alg: 'HS256' }, 'not json'),
    want: 'malformed',
  },
  {
    name: 'a payload that is a JSON array',
    token: () => handMade({ alg: 'HS256' }, [1, 2]),
    want: 'malformed',
  },
  {
    name: 'a header that is not an object',
    token: () => handMade('"HS256"', claims),
    want: 'malformed',
  },
];

describe('decodeHs256', () => {
  for (const c of cases) {
    it(`${c.want === 'ok' ? 'accepts' : 'refuses'} ${c.name}${c.jose ? '' : ', as jose.jwtVerify does'}`, async () => {
      const token = await c.token();
      const ours = decodeHs256(token, key);
      assert.equal(ours.ok ? 'ok' : ours.failure, c.want, ours.ok ? '' : ours.message);
      const jose = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        currentDate: new Date(now * 1000),
      }).then(
        () => 'ok',
        () => 'refused',
      );
      assert.equal(jose, c.jose ?? (c.want === 'ok' ? 'ok' : 'refused'));
    });
  }

  it('refuses a non-canonical spelling of a valid signature (stricter than jose)', () => {
    const token = `${validHeader}.${validPayload}.${nonCanonical(validSignature)}`;
    const r = decodeHs256(token, key);
    assert.equal(r.ok ? 'ok' : r.failure, 'signature');
  });

  it('returns typed claims of a valid token', () => {
    const r = decodeHs256(valid, key);
    assert.ok(r.ok);
    assert.deepEqual(r.claims, claims);
  });

  const claimCases = [
    { name: 'iss not a string', payload: { ...claims, iss: 1 } },
    { name: 'exp not a number', payload: { ...claims, exp: '1' } },
    { name: 'iat missing', payload: { ...claims, iat: undefined } },
    { name: 'sub missing', payload: { ...claims, sub: undefined } },
    { name: 'jti not a string', payload: { ...claims, jti: 5 } },
  ];
  for (const c of claimCases) {
    it(`refuses claims with ${c.name}`, () => {
      const r = decodeHs256(handMade({ alg: 'HS256', typ: 'JWT' }, c.payload), key);
      assert.equal(r.ok ? 'ok' : r.failure, 'claims');
    });
  }

  it('refuses oversized input before any work', () => {
    const r = decodeHs256(`${'a'.repeat(9000)}.b.c`, key);
    assert.equal(r.ok ? 'ok' : r.message, 'the token is too long');
  });

  it('never puts the token into its message', () => {
    const r = decodeHs256(`${validHeader}.${validPayload}.${flipLastChar(validSignature)}`, key);
    assert.ok(!r.ok);
    assert.ok(!r.message.includes(validPayload));
  });
});

describe('peekIssuer', () => {
  it('reads iss without verifying, only to pick a verifier', () => {
    assert.equal(peekIssuer(valid), 'argocd');
    assert.equal(
      peekIssuer(handMade({ alg: 'RS256' }, { iss: 'https://dex.example' })),
      'https://dex.example',
    );
  });

  it('returns undefined for garbage', () => {
    for (const t of ['', 'a.b', 'a.!!.c', `x.${b64url('[1]')}.y`])
      assert.equal(peekIssuer(t), undefined);
  });
});
