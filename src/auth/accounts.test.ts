import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  decodeSecretData,
  parseArgoCdConfigMap,
  type ConfigMap,
  type Secret,
} from '../apis/index.js';
import {
  AuthError,
  MemoryAccountStore,
  accountSecretKeys,
  accountsFromSettings,
  formatAccountTokens,
  formatPasswordMtime,
  parseAccountTokens,
  parsePasswordMtime,
  verifyPassword,
} from './index.js';

function fixture(name: string): unknown {
  return parseYaml(readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8'));
}

describe('accountsFromSettings', () => {
  it('reads the admin and local accounts from argocd-cm and argocd-secret as Argo CD writes them', async () => {
    const cm = fixture('argocd-cm.yaml') as ConfigMap;
    const secret = fixture('argocd-secret.yaml') as Secret;
    const { settings } = parseArgoCdConfigMap(cm.data);
    const { accounts, problems } = accountsFromSettings(settings, decodeSecretData(secret));
    assert.deepEqual(problems, []);
    const byName = new Map(accounts.map((a) => [a.name, a]));
    const admin = byName.get('admin');
    assert.ok(admin);
    assert.deepEqual(admin.capabilities, ['login']);
    assert.equal(admin.enabled, true);
    assert.equal(admin.passwordMtimeMs, Date.parse('2024-05-01T10:00:00Z'));
    assert.ok(admin.passwordHash);
    assert.equal(await verifyPassword('password', admin.passwordHash), true);
    const ci = byName.get('ci');
    assert.ok(ci);
    assert.deepEqual(ci.capabilities, ['apiKey']);
    assert.deepEqual(ci.tokens, [
      { id: 'deploy', iat: 1714557600, exp: 1717149600 },
      { id: 'forever', iat: 1714557600 },
    ]);
    assert.equal(byName.get('alice')?.enabled, false);
  });

  it('reports unreadable secret values and reads them the safe way', () => {
    const { accounts, problems } = accountsFromSettings(
      { adminEnabled: true, accounts: [{ name: 'ci', capabilities: ['apiKey'], enabled: true }] },
      {
        'admin.passwordMtime': 'yesterday',
        'accounts.ci.tokens': '{"id":"x"}',
      },
    );
    assert.deepEqual(
      problems.map((p) => p.key),
      ['admin.passwordMtime', 'accounts.ci.tokens'],
    );
    assert.equal(
      accounts[0]?.passwordMtimeMs,
      Number.POSITIVE_INFINITY,
      'every admin token refused',
    );
    assert.deepEqual(accounts[1]?.tokens, [], 'no API token of ci accepted');
  });
});

describe('account secret formats', () => {
  it('names the argocd-secret keys of admin and of local accounts', () => {
    assert.deepEqual(accountSecretKeys('admin'), {
      password: 'admin.password',
      passwordMtime: 'admin.passwordMtime',
      tokens: 'admin.tokens',
    });
    assert.equal(accountSecretKeys('ci').tokens, 'accounts.ci.tokens');
  });

  it('round-trips tokens, omitting exp for tokens that never expire', () => {
    const records = [
      { id: 'a', iat: 10, exp: 20 },
      { id: 'b', iat: 11 },
    ];
    const json = formatAccountTokens(records);
    assert.equal(json, '[{"id":"a","iat":10,"exp":20},{"id":"b","iat":11}]');
    assert.deepEqual(parseAccountTokens(json), records);
    assert.deepEqual(parseAccountTokens('[{"id":"c","iat":1,"exp":0}]'), [{ id: 'c', iat: 1 }]);
    assert.deepEqual(parseAccountTokens('null'), []);
  });

  for (const bad of [
    '{',
    '{}',
    '[{"iat":1}]',
    '[{"id":"x","iat":"1"}]',
    '[{"id":"x","iat":1,"exp":"2"}]',
  ]) {
    it(`refuses tokens ${bad} naming what is wrong`, () => {
      assert.throws(
        () => parseAccountTokens(bad),
        (err: unknown) => err instanceof AuthError && /failed to read tokens/.test(err.message),
      );
    });
  }

  it('writes and reads RFC 3339 change times with whole seconds', () => {
    assert.equal(
      formatPasswordMtime(Date.parse('2024-05-01T10:00:00.999Z')),
      '2024-05-01T10:00:00Z',
    );
    assert.equal(
      parsePasswordMtime('2024-05-01T12:00:00+02:00'),
      Date.parse('2024-05-01T10:00:00Z'),
    );
    assert.equal(
      parsePasswordMtime('2024-05-01T10:00:00.5Z'),
      Date.parse('2024-05-01T10:00:00.500Z'),
    );
    assert.equal(parsePasswordMtime('May 1 2024'), undefined);
  });
});

describe('MemoryAccountStore', () => {
  it('adds and removes token records and rejects a taken id', async () => {
    const store = new MemoryAccountStore([
      { name: 'ci', enabled: true, capabilities: ['apiKey'], tokens: [] },
    ]);
    await store.addToken('ci', { id: 'a', iat: 1 });
    await assert.rejects(
      store.addToken('ci', { id: 'a', iat: 2 }),
      (err: unknown) => err instanceof AuthError && err.code === 'ERR_AUTH_TOKEN_EXISTS',
    );
    assert.equal(await store.removeToken('ci', 'a'), true);
    assert.equal(await store.removeToken('ci', 'a'), false);
    await assert.rejects(
      store.setPassword('ghost', 'x', 1),
      (err: unknown) => err instanceof AuthError && err.code === 'ERR_AUTH_ACCOUNT_NOT_FOUND',
    );
  });
});
