import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgoCdConfigMap } from '../apis/index.js';
import { ResourceFilterSet } from './index.js';

const CLUSTER = 'https://kubernetes.default.svc';

describe('ResourceFilterSet', () => {
  it('always excludes Events, Leases and the events/metrics groups, whatever the settings', () => {
    const f = new ResourceFilterSet({
      inclusions: [{ apiGroups: ['*'], kinds: ['*'], clusters: [] }],
    });
    const cases = [
      { name: 'core Event', group: '', kind: 'Event' },
      { name: 'events.k8s.io Event', group: 'events.k8s.io', kind: 'Event' },
      { name: 'metrics', group: 'metrics.k8s.io', kind: 'PodMetrics' },
      { name: 'Lease', group: 'coordination.k8s.io', kind: 'Lease' },
    ];
    for (const c of cases) assert.equal(f.isExcluded(c.group, c.kind, CLUSTER), true, c.name);
    assert.equal(f.isExcluded('', 'ConfigMap', CLUSTER), false);
  });

  const settings = parseArgoCdConfigMap({
    'resource.exclusions': [
      '- apiGroups: ["*.example.com"]',
      '  kinds: ["*"]',
      '  clusters: ["https://prod-*"]',
      '- apiGroups: [""]',
      '  kinds: ["Secret"]',
    ].join('\n'),
  }).settings;
  const f = ResourceFilterSet.fromSettings(settings);
  const cases = [
    {
      name: 'glob group on a matching cluster',
      group: 'a.example.com',
      kind: 'Foo',
      cluster: 'https://prod-1',
      want: true,
    },
    {
      name: 'glob group on another cluster',
      group: 'a.example.com',
      kind: 'Foo',
      cluster: 'https://dev-1',
      want: false,
    },
    {
      name: 'exact kind in core, any cluster',
      group: '',
      kind: 'Secret',
      cluster: 'https://dev-1',
      want: true,
    },
    {
      name: 'other core kind',
      group: '',
      kind: 'ConfigMap',
      cluster: 'https://prod-1',
      want: false,
    },
    {
      name: 'kind matching is exact, not a glob',
      group: '',
      kind: 'SecretStore',
      cluster: 'https://dev-1',
      want: false,
    },
  ];
  for (const c of cases) {
    it(`exclusions: ${c.name}`, () => {
      assert.equal(f.isExcluded(c.group, c.kind, c.cluster), c.want);
    });
  }

  it('inclusions restrict to the included kinds and exclusions still win', () => {
    const g = new ResourceFilterSet({
      inclusions: [{ apiGroups: ['', 'apps'], kinds: [], clusters: [] }],
      exclusions: [{ apiGroups: ['apps'], kinds: ['ReplicaSet'], clusters: [] }],
    });
    assert.equal(g.isExcluded('apps', 'Deployment', CLUSTER), false);
    assert.equal(g.isExcluded('', 'ConfigMap', CLUSTER), false);
    assert.equal(g.isExcluded('batch', 'Job', CLUSTER), true);
    assert.equal(g.isExcluded('apps', 'ReplicaSet', CLUSTER), true);
  });

  it('includes everything but the always-excluded kinds when nothing is configured', () => {
    const g = new ResourceFilterSet();
    assert.equal(g.isExcluded('batch', 'Job', CLUSTER), false);
    assert.equal(g.isExcluded('argoproj.io', 'Application', CLUSTER), false);
  });
});
