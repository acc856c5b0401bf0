import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bindOptions,
  controllerOptionSpecs,
  envFromCmdParams,
  newProgram,
  resolveOptions,
} from './index.js';

describe('controllerOptionSpecs', () => {
  it("has Argo CD's defaults", () => {
    const o = resolveOptions(controllerOptionSpecs, {}, {});
    assert.equal(o.statusProcessors, 20);
    assert.equal(o.operationProcessors, 10);
    assert.equal(o.appResyncSeconds, 120);
    assert.equal(o.appResyncJitterSeconds, 60);
    assert.equal(o.appHardResyncSeconds, 0);
    assert.equal(o.repoServer, 'argocd-repo-server:8081');
    assert.equal(o.repoServerPlaintext, false);
    assert.equal(o.repoServerStrictTls, false);
    assert.equal(o.repoServerTimeoutSeconds, 60);
    assert.equal(o.selfHealTimeoutSeconds, 0);
    assert.equal(o.selfHealBackoffTimeoutSeconds, 2);
    assert.equal(o.selfHealBackoffFactor, 3);
    assert.equal(o.selfHealBackoffCapSeconds, 300);
    assert.equal(o.kubectlParallelismLimit, 20);
    assert.equal(o.metricsPort, 8082);
    assert.equal(o.replicas, 1);
    assert.equal(o.shard, -1);
    assert.equal(o.shardingMethod, 'legacy');
    assert.equal(o.k8sClientQps, 50);
  });

  it('reads the environment and argocd-cmd-params-cm keys; durations in seconds or Go form', () => {
    const env = {
      ...envFromCmdParams(controllerOptionSpecs, {
        'controller.status.processors': '50',
        'controller.sharding.algorithm': 'round-robin',
        'controller.repo.server.plaintext': 'true',
        'controller.self.heal.backoff.cap.seconds': '5m',
      }),
      ARGOCD_RECONCILIATION_TIMEOUT: '3m',
      ARGOCD_CONTROLLER_REPLICAS: '3',
      ARGOCD_CONTROLLER_SHARD: '2',
    };
    const o = resolveOptions(controllerOptionSpecs, {}, env);
    assert.equal(o.statusProcessors, 50);
    assert.equal(o.shardingMethod, 'round-robin');
    assert.equal(o.repoServerPlaintext, true);
    assert.equal(o.selfHealBackoffCapSeconds, 300);
    assert.equal(o.appResyncSeconds, 180);
    assert.equal(o.replicas, 3);
    assert.equal(o.shard, 2);
  });

  it('refuses bad values naming the flag or variable', () => {
    assert.throws(
      () => resolveOptions(controllerOptionSpecs, { shardingMethod: 'consistent' }, {}),
      /--sharding-method: expected one of legacy, round-robin/,
    );
    assert.throws(
      () => resolveOptions(controllerOptionSpecs, {}, { ARGOCD_CONTROLLER_REPLICAS: '0' }),
      /ARGOCD_CONTROLLER_REPLICAS: must be at least 1/,
    );
    assert.throws(
      () => resolveOptions(controllerOptionSpecs, { appResync: 'soon' }, {}),
      /--app-resync/,
    );
  });

  it('shows defaults and environment variables in --help', () => {
    const help = bindOptions(
      newProgram('argocd-application-controller', 'test', '0.0.0'),
      controllerOptionSpecs,
    ).helpInformation();
    for (const want of [
      '--status-processors <value>',
      '(default: 20)',
      '--self-heal-backoff-cap-seconds',
      '(default: 300)',
      'ARGOCD_CONTROLLER_REPLICAS',
      '--repo-server-ca-cert-path',
      '(default: 8082)',
    ])
      assert.ok(help.includes(want), `help lacks ${want}`);
  });
});
