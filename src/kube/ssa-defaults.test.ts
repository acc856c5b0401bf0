import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../apis/index.js';
import { withSsaDefaults } from './index.js';

describe('withSsaDefaults', () => {
  it('adds protocol TCP to Service ports that omit it, leaving others alone', () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] },
    };
    const out = withSsaDefaults(svc);
    assert.deepEqual((out.spec as { ports: unknown[] }).ports, [
      { port: 80, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
    ]);
    assert.deepEqual((svc.spec as { ports: unknown[] }).ports[0], { port: 80 }, 'input untouched');
  });

  it('adds protocol to container ports of workload templates', () => {
    const dep: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 8080 }] }] } },
      },
    };
    const out = withSsaDefaults(dep) as unknown as {
      spec: { template: { spec: { containers: { ports: unknown[] }[] } } };
    };
    assert.deepEqual(out.spec.template.spec.containers[0]?.ports, [
      { containerPort: 8080, protocol: 'TCP' },
    ]);
  });

  it('returns the same object when nothing is missing', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } };
    assert.equal(withSsaDefaults(cm), cm);
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 1, protocol: 'TCP' }] },
    };
    assert.equal(withSsaDefaults(svc), svc);
  });
});
