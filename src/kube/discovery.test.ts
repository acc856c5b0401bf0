import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiResources, isListWatchable, type ApiResourceInfo } from './index.js';

const r = (
  group: string,
  version: string,
  kind: string,
  preferred: boolean,
  extra: Partial<ApiResourceInfo> = {},
): ApiResourceInfo => ({
  group,
  version,
  kind,
  preferred,
  resource: `${kind.toLowerCase()}s`,
  namespaced: true,
  verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
  ...extra,
});

describe('ApiResources', () => {
  const res = new ApiResources(
    [
      r('autoscaling', 'v1', 'HorizontalPodAutoscaler', true),
      r('autoscaling', 'v2beta2', 'HorizontalPodAutoscaler', false),
      r('', 'v1', 'Namespace', true, { namespaced: false }),
      r('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', true, {
        namespaced: false,
        verbs: ['create'],
      }),
    ],
    42,
  );

  it('prefers the version the server prefers, and knows every served version', () => {
    assert.equal(res.preferred('autoscaling', 'HorizontalPodAutoscaler')?.version, 'v1');
    assert.deepEqual(
      res.versionsOf('autoscaling', 'HorizontalPodAutoscaler').map((x) => x.version),
      ['v1', 'v2beta2'],
    );
    assert.equal(res.get('autoscaling', 'v2beta2', 'HorizontalPodAutoscaler')?.preferred, false);
    assert.equal(res.byGvk.size, 4);
  });

  it('answers isNamespaced for the engine, undefined for unknown kinds', () => {
    assert.equal(res.isNamespaced('', 'Namespace'), false);
    assert.equal(res.isNamespaced('autoscaling', 'HorizontalPodAutoscaler'), true);
    assert.equal(res.isNamespaced('example.com', 'Widget'), undefined);
  });

  it('offers one watchable resource per kind, skipping kinds without list and watch', () => {
    const kinds = res
      .watchable()
      .map((x) => `${x.group}/${x.version}/${x.kind}`)
      .sort();
    assert.deepEqual(kinds, ['/v1/Namespace', 'autoscaling/v1/HorizontalPodAutoscaler']);
    assert.equal(isListWatchable({ resource: 'pods/log', verbs: ['get', 'list', 'watch'] }), false);
  });
});
