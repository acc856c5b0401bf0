import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuthError,
  MAX_COOKIE_LENGTH,
  clearTokenCookies,
  cookieChunks,
  extractToken,
  joinTokenCookies,
  parseCookieHeader,
} from './index.js';

/** Reads Set-Cookie values back into what a browser would send. */
function browserCookies(setCookies: readonly string[]): Record<string, string> {
  return parseCookieHeader(setCookies.map((c) => c.split(';')[0]).join('; '));
}

const jwtLike = (n: number): string => `eyJ${'a'.repeat(n)}.eyJ${'b'.repeat(n)}.${'c'.repeat(43)}`;

describe('extractToken', () => {
  const cases = [
    {
      name: 'gRPC metadata wins over everything',
      carriers: {
        grpcMetadata: { token: ['from-metadata'] },
        authorization: 'Bearer from-header',
        cookies: { 'argocd.token': 'from-cookie' },
      },
      want: { token: 'from-metadata', source: 'grpc-metadata' },
    },
    {
      name: 'Bearer wins over the cookie',
      carriers: { authorization: 'Bearer from-header', cookies: { 'argocd.token': 'from-cookie' } },
      want: { token: 'from-header', source: 'bearer' },
    },
    {
      name: 'the scheme is case-insensitive',
      carriers: { authorization: 'bearer abc.def.ghi' },
      want: { token: 'abc.def.ghi', source: 'bearer' },
    },
    {
      name: 'Basic credentials are not a token',
      carriers: { authorization: 'Basic YWRtaW46cGFzcw==', cookies: { 'argocd.token': 'c' } },
      want: { token: 'c', source: 'cookie' },
    },
    {
      name: 'an empty metadata entry falls through',
      carriers: { grpcMetadata: { token: '' }, cookies: { 'argocd.token': 'c' } },
      want: { token: 'c', source: 'cookie' },
    },
    { name: 'nothing', carriers: { cookies: { other: 'x' } }, want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(extractToken(c.carriers), c.want);
    });
  }
});

describe('cookieChunks / joinTokenCookies', () => {
  it('sets one HttpOnly, Secure, SameSite=Lax cookie for a small token', () => {
    const token = jwtLike(100);
    const set = cookieChunks(token);
    assert.equal(set.length, 1);
    assert.equal(set[0], `argocd.token=${token}; Path=/; SameSite=Lax; HttpOnly; Secure`);
    assert.equal(extractToken({ cookies: browserCookies(set) })?.token, token);
  });

  it('omits Secure only with --insecure, and uses the base href as path', () => {
    const [c] = cookieChunks('abc', { insecure: true, path: '/argocd' });
    assert.equal(c, 'argocd.token=abc; Path=/argocd; SameSite=Lax; HttpOnly');
  });

  it("splits a large token into Argo CD's <n>:<part> format and joins it back", () => {
    const token = jwtLike(9_000);
    const set = cookieChunks(token);
    assert.ok(set.length >= 5);
    for (const c of set) assert.ok(Buffer.byteLength(c) <= MAX_COOKIE_LENGTH, `${c.length}`);
    assert.match(set[0] ?? '', new RegExp(`^argocd\\.token=${set.length}:eyJ`));
    assert.match(set[1] ?? '', /^argocd\.token-1=/);
    const jar = browserCookies(set);
    assert.equal(joinTokenCookies(jar), token);
    assert.equal(extractToken({ cookies: jar })?.source, 'cookie');
  });

  it('reads cookies written by Argo CD', () => {
    assert.equal(
      joinTokenCookies({
        'argocd.token': '3:aaa',
        'argocd.token-1': 'bbb',
        'argocd.token-2': 'ccc',
      }),
      'aaabbbccc',
    );
  });

  it('refuses a token that needs more than 20 cookies', () => {
    assert.throws(
      () => cookieChunks(jwtLike(50_000)),
      (err: unknown) => err instanceof AuthError && err.code === 'ERR_AUTH_INVALID_ARGUMENT',
    );
  });

  const bad = [
    { name: 'a missing chunk', jar: { 'argocd.token': '3:aaa', 'argocd.token-1': 'bbb' } },
    { name: 'a count over 20', jar: { 'argocd.token': '21:aaa' } },
    { name: 'a count of 0', jar: { 'argocd.token': '0:aaa' } },
    { name: 'a non-numeric count', jar: { 'argocd.token': 'x:aaa' } },
    { name: 'extra colons', jar: { 'argocd.token': '2:a:b', 'argocd.token-1': 'c' } },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, () => {
      assert.throws(
        () => joinTokenCookies(c.jar),
        (err: unknown) => err instanceof AuthError && err.code === 'ERR_AUTH_TOKEN_INVALID',
      );
    });
  }

  it('refuses token characters that do not belong in a cookie, and unsafe paths', () => {
    assert.throws(() => cookieChunks('a;b'), TypeError);
    assert.throws(() => cookieChunks('abc', { path: '/x; Domain=evil' }), TypeError);
    assert.throws(() => cookieChunks('abc', { path: 'relative' }), TypeError);
  });
});

describe('clearTokenCookies', () => {
  it('expires every token cookie the browser sent, and nothing else', () => {
    const cleared = clearTokenCookies(
      { 'argocd.token': '2:a', 'argocd.token-1': 'b', other: 'x', 'argocd.tokenish': 'y' },
      { path: '/' },
    );
    assert.deepEqual(
      cleared.map((c) => c.split('=')[0]),
      ['argocd.token', 'argocd.token-1'],
    );
    for (const c of cleared) assert.match(c, /Max-Age=0; Secure; Expires=Thu, 01 Jan 1970/);
  });
});

describe('parseCookieHeader', () => {
  it('splits pairs, unquotes values, keeps the first duplicate', () => {
    assert.deepEqual(parseCookieHeader('a=1; b="two"; a=3; junk; =x'), { a: '1', b: 'two' });
    assert.deepEqual(parseCookieHeader(undefined), {});
  });
});
