import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeResource,
  formatResourceKey,
  formatTrackingId,
  parseTrackingId,
  resourceKeyOf,
} from './index.js';

describe('resource keys', () => {
  it('key an object by group, kind, namespace and name, without its version', () => {
    const k = resourceKeyOf({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'prod' },
    });
    assert.deepEqual(k, { group: 'apps', kind: 'Deployment', namespace: 'prod', name: 'web' });
    assert.equal(formatResourceKey(k), 'apps/Deployment/prod/web');
    assert.equal(describeResource(k), 'Deployment.apps prod/web');
    const cluster = resourceKeyOf({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'prod' },
    });
    assert.equal(formatResourceKey(cluster), '/Namespace//prod');
    assert.equal(describeResource(cluster), 'Namespace prod');
  });

  const cases = [
    {
      name: 'namespaced core object',
      value: 'guestbook:/ConfigMap:default/cm',
      want: {
        appName: 'guestbook',
        group: '',
        kind: 'ConfigMap',
        namespace: 'default',
        name: 'cm',
      },
    },
    {
      name: 'cluster-scoped object of a group',
      value: 'ns_app:rbac.authorization.k8s.io/ClusterRole:/admin',
      want: {
        appName: 'ns_app',
        group: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        namespace: '',
        name: 'admin',
      },
    },
    { name: 'no app', value: ':/ConfigMap:default/cm', want: undefined },
    { name: 'no kind separator', value: 'app:ConfigMap:default/cm', want: undefined },
    { name: 'garbage', value: 'not a tracking id', want: undefined },
  ];
  for (const c of cases) {
    it(`parse tracking ids: ${c.name}`, () => {
      assert.deepEqual(parseTrackingId(c.value), c.want);
    });
  }

  it('format tracking ids that parse back to the same key', () => {
    const key = { group: 'apps', kind: 'Deployment', namespace: 'prod', name: 'web' };
    const id = formatTrackingId('shop', key);
    assert.equal(id, 'shop:apps/Deployment:prod/web');
    assert.deepEqual(parseTrackingId(id), { appName: 'shop', ...key });
  });
});
