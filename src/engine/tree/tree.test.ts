import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../apis/index.js';
import { buildResourceTree, parseManifests } from '../index.js';

const all = parseManifests([
  readFileSync(new URL('testdata/guestbook-live.yaml', import.meta.url), 'utf8'),
]);
const byName = (kind: string): KubeObject => {
  const o = all.find((x) => x.kind === kind);
  assert.ok(o, kind);
  return o;
};
const children = (uid: string): KubeObject[] =>
  all.filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === uid));

describe('buildResourceTree', () => {
  const managed = [byName('Deployment'), byName('Service'), byName('Ingress')];
  const nodeObj = byName('Node');
  const tree = buildResourceTree({
    managed,
    children,
    nodes: [nodeObj],
    neighborPods: all.filter((o) => o.kind === 'Pod'),
    orphaned: [all.find((o) => o.metadata.name === 'other-app-pod') ?? nodeObj],
  });

  it('includes managed objects and their descendants, sorted', () => {
    assert.deepEqual(
      tree.nodes.map((n) => `${n.group ?? ''}/${n.kind ?? ''}/${n.name ?? ''}`),
      [
        '/Pod/guestbook-ui-85985d774c-x7k2p',
        '/Service/guestbook-ui',
        'apps/Deployment/guestbook-ui',
        'apps/ReplicaSet/guestbook-ui-85985d774c',
        'networking.k8s.io/Ingress/guestbook',
      ],
    );
  });

  it('describes pods as Argo CD does', () => {
    const pod = tree.nodes.find((n) => n.kind === 'Pod');
    assert.deepEqual(pod, {
      group: '',
      version: 'v1',
      kind: 'Pod',
      namespace: 'default',
      name: 'guestbook-ui-85985d774c-x7k2p',
      uid: 'pod-3',
      parentRefs: [
        {
          group: 'apps',
          kind: 'ReplicaSet',
          namespace: 'default',
          name: 'guestbook-ui-85985d774c',
          uid: 'rs-2',
        },
      ],
      health: { status: 'Healthy' },
      info: [
        { name: 'Status Reason', value: 'Running' },
        { name: 'Node', value: 'node-1' },
        { name: 'Containers', value: '1/1' },
        { name: 'Restart Count', value: '2' },
      ],
      images: ['gcr.io/heptio-images/ks-guestbook-demo:0.2'],
      networkingInfo: { labels: { app: 'guestbook-ui' } },
    });
  });

  it('adds revisions, health and networking info', () => {
    const rs = tree.nodes.find((n) => n.kind === 'ReplicaSet');
    assert.deepEqual(rs?.info, [{ name: 'Revision', value: 'Rev:2' }]);
    const dep = tree.nodes.find((n) => n.kind === 'Deployment');
    assert.equal(dep?.createdAt, '2024-05-01T10:00:00Z');
    assert.equal(dep.resourceVersion, '500');
    assert.deepEqual(dep.health, { status: 'Healthy' });
    const svc = tree.nodes.find((n) => n.kind === 'Service');
    assert.deepEqual(svc?.networkingInfo, {
      targetLabels: { app: 'guestbook-ui' },
      ingress: [{ ip: '203.0.113.10' }],
      externalURLs: ['http://203.0.113.10'],
    });
    const ing = tree.nodes.find((n) => n.kind === 'Ingress');
    assert.deepEqual(ing?.networkingInfo, {
      targetRefs: [{ group: '', kind: 'Service', namespace: 'default', name: 'guestbook-ui' }],
      ingress: [{ hostname: 'lb.example.com' }],
      externalURLs: ['https://guestbook.example.com/'],
    });
  });

  it('lists the hosts of the app pods with requests', () => {
    assert.deepEqual(tree.hosts, [
      {
        name: 'node-1',
        resourcesInfo: [
          { resourceName: 'cpu', requestedByApp: 250, requestedByNeighbors: 1000, capacity: 4000 },
          {
            resourceName: 'memory',
            requestedByApp: 64 * 2 ** 20,
            requestedByNeighbors: 2 ** 30,
            capacity: 8 * 2 ** 30,
          },
        ],
        systemInfo: { kubeletVersion: 'v1.20.2', osImage: 'Debian GNU/Linux 12' },
        labels: { 'kubernetes.io/os': 'linux' },
      },
    ]);
  });

  it('lists orphaned objects separately', () => {
    assert.deepEqual(
      tree.orphanedNodes.map((n) => n.name),
      ['other-app-pod'],
    );
  });

  it('cuts ownership cycles and bounds the size', () => {
    const a: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', uid: 'A' },
    };
    const b: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'b', uid: 'B' },
    };
    const cyclic = buildResourceTree({
      managed: [a],
      children: (uid) => (uid === 'A' ? [b] : [a]),
    });
    assert.equal(cyclic.nodes.length, 2);
    const many = buildResourceTree({
      managed: [a],
      children: (uid) => [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${uid}x`, uid: `${uid}x` } },
      ],
      maxNodes: 50,
    });
    assert.equal(many.nodes.length, 50);
    assert.deepEqual(many.hosts, []);
  });
});
