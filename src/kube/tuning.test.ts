import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, kubeClientOptionSpecs, resolveOptions } from '../config/index.js';
import { kubeTuningFromConfig } from './index.js';

describe('kubeTuningFromConfig', () => {
  it('uses Argo CD defaults: 50 QPS, burst 100, pages of 500, 10 min watches, 12 h resync', () => {
    const t = kubeTuningFromConfig(resolveOptions(kubeClientOptionSpecs, {}, {}));
    assert.deepEqual(t.client, { qps: 50, burst: 100 });
    assert.deepEqual(t.watch, {
      pageSize: 500,
      timeoutSeconds: 600,
      resyncIntervalMs: 43_200_000,
      backoff: { maxMs: 10_000 },
    });
  });

  it('reads Argo CD environment variables, flags first', () => {
    const cfg = resolveOptions(
      kubeClientOptionSpecs,
      { k8sClientBurst: '400' },
      {
        ARGOCD_K8S_CLIENT_QPS: '200.5',
        ARGOCD_K8S_CLIENT_BURST: '300',
        ARGOCD_CLUSTER_CACHE_RESYNC_DURATION: '1h',
      },
    );
    const t = kubeTuningFromConfig(cfg);
    assert.deepEqual(t.client, { qps: 200.5, burst: 400 });
    assert.equal(t.watch.resyncIntervalMs, 3_600_000);
  });

  it('names the variable and what is expected when a value is wrong', () => {
    assert.throws(
      () => resolveOptions(kubeClientOptionSpecs, {}, { ARGOCD_K8S_CLIENT_QPS: 'fast' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /ARGOCD_K8S_CLIENT_QPS/.test(err.message) &&
        /requests per second/.test(err.message),
    );
    assert.throws(
      () => resolveOptions(kubeClientOptionSpecs, {}, { ARGOCD_K8S_CLIENT_BURST: '0' }),
      /at least 1/,
    );
  });
});
