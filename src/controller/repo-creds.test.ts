import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../apis/index.js';
import { RepoCredentials, controllerSettings } from './index.js';

function secret(name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: data };
}

describe('RepoCredentials', () => {
  it('uses the repository Secret with the same URL, else the longest repo-creds prefix', () => {
    const c = new RepoCredentials();
    c.upsertSecret(
      secret('org', { url: 'https://git.example/org', username: 'org-user', password: 'p1' }),
      'repo-creds',
    );
    c.upsertSecret(
      secret('all', { url: 'https://git.example', username: 'any-user', password: 'p2' }),
      'repo-creds',
    );
    c.upsertSecret(
      secret('app', {
        url: 'https://git.example/org/app.git',
        username: 'app-user',
        password: 'p3',
      }),
      'repository',
    );
    assert.equal(c.forRequest('https://GIT.example/org/app').username, 'app-user');
    assert.equal(c.forRequest('https://git.example/org/other').username, 'org-user');
    assert.equal(c.forRequest('https://git.example/else/x').username, 'any-user');
    assert.equal(c.forRequest('https://other.example/x').username, undefined);
  });

  it('adds the CA of the host from argocd-tls-certs-cm and forgets deleted Secrets', () => {
    const c = new RepoCredentials();
    c.setTlsCerts({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-tls-certs-cm' },
      data: { '127.0.0.1': 'PEM' },
    });
    c.upsertSecret(
      secret('r', { url: 'https://127.0.0.1:8443/apps.git', password: 'p' }),
      'repository',
    );
    const gen = c.generation;
    assert.equal(c.forRequest('https://127.0.0.1:8443/apps.git').tlsCaData, 'PEM');
    c.deleteSecret('r');
    assert.ok(c.generation > gen, 'a change invalidates cached manifests');
    assert.equal(c.forRequest('https://127.0.0.1:8443/apps.git').password, undefined);
  });

  it('rejects an invalid Secret without echoing its credentials', () => {
    const c = new RepoCredentials();
    const problem = c.upsertSecret(
      secret('bad', { password: 'hunter2-secret', type: 'svn' }),
      'repository',
    );
    assert.ok(problem);
    assert.doesNotMatch(problem, /hunter2/);
  });
});

describe('controllerSettings', () => {
  const defaults = {
    reconciliationTimeoutMs: 60_000,
    reconciliationJitterMs: 5_000,
    hardReconciliationTimeoutMs: 0,
  };
  it('takes the flags unless argocd-cm sets the keys', () => {
    assert.equal(controllerSettings(undefined, defaults).reconciliationTimeoutMs, 60_000);
    const s = controllerSettings(
      { 'timeout.reconciliation': '180s', 'timeout.reconciliation.jitter': '0' },
      defaults,
    );
    assert.equal(s.reconciliationTimeoutMs, 180_000);
    assert.equal(s.reconciliationJitterMs, 0);
  });

  it('reports a malformed key and keeps the default', () => {
    const s = controllerSettings({ 'timeout.reconciliation': 'soon' }, defaults);
    assert.equal(s.problems[0]?.key, 'timeout.reconciliation');
    assert.equal(s.reconciliationTimeoutMs, 60_000);
  });
});
