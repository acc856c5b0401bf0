import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuthError,
  DEFAULT_LOGIN_OPTIONS,
  resolveLoginOptions,
  resolveTokenOptions,
} from './index.js';

describe('resolveLoginOptions', () => {
  it("defaults to Argo CD's numbers: 5 failures, 300 s, 10,000 entries, 50 logins", () => {
    const o = resolveLoginOptions({});
    assert.deepEqual(o, DEFAULT_LOGIN_OPTIONS);
    assert.equal(o.maxFailCount, 5);
    assert.equal(o.maxUsernameFailCount, 20);
    assert.equal(o.failureWindowMs, 300_000);
    assert.equal(o.maxCacheSize, 10_000);
    assert.equal(o.maxConcurrentLogins, 50);
    assert.ok(Object.isFrozen(o));
  });

  it("reads Argo CD's variables and divides the login cap by the replicas", () => {
    const o = resolveLoginOptions({
      ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT: '3',
      ARGOCD_SESSION_FAILURE_WINDOW_SECONDS: '0',
      ARGOCD_SESSION_MAX_CACHE_SIZE: '500',
      ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT: '50',
      ARGOCD_API_SERVER_REPLICAS: '3',
    });
    assert.equal(o.maxFailCount, 3);
    assert.equal(o.maxUsernameFailCount, 12, 'the username limit follows the pair limit');
    assert.equal(o.failureWindowMs, 0);
    assert.equal(o.maxCacheSize, 500);
    assert.equal(o.maxConcurrentLogins, 16);
  });

  it('takes an explicit username-wide limit', () => {
    const o = resolveLoginOptions({ ARGOCD_SESSION_FAILURE_MAX_USERNAME_FAIL_COUNT: '5' });
    assert.equal(o.maxUsernameFailCount, 5);
  });

  for (const [name, value] of [
    ['ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT', 'five'],
    ['ARGOCD_SESSION_FAILURE_WINDOW_SECONDS', '-1'],
    ['ARGOCD_SESSION_MAX_CACHE_SIZE', '2'],
    ['ARGOCD_API_SERVER_REPLICAS', '0'],
    ['ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT', '1.5'],
  ] as const) {
    it(`refuses ${name}=${value} naming the variable`, () => {
      assert.throws(
        () => resolveLoginOptions({ [name]: value }),
        (err: unknown) =>
          err instanceof AuthError &&
          err.code === 'ERR_AUTH_INVALID_OPTION' &&
          err.message.includes(name),
      );
    });
  }
});

describe('resolveTokenOptions', () => {
  it('gives API tokens no expiry by default (Argo CD), a Go duration when set, never with 0', () => {
    assert.equal(resolveTokenOptions({}).apiTokenDefaultLifetimeMs, 0);
    assert.equal(
      resolveTokenOptions({ ARGOCD_API_TOKEN_DEFAULT_LIFETIME: '720h' }).apiTokenDefaultLifetimeMs,
      720 * 3_600_000,
    );
    assert.equal(
      resolveTokenOptions({ ARGOCD_API_TOKEN_DEFAULT_LIFETIME: '0' }).apiTokenDefaultLifetimeMs,
      0,
    );
  });

  it('refuses durations it cannot read', () => {
    for (const v of ['30 days', '-1h']) {
      assert.throws(
        () => resolveTokenOptions({ ARGOCD_API_TOKEN_DEFAULT_LIFETIME: v }),
        (err: unknown) => err instanceof AuthError && err.code === 'ERR_AUTH_INVALID_OPTION',
      );
    }
  });
});
