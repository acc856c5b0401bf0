import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppProject, AppProjectSpec, KubeObject } from '../../apis/index.js';
import { carriesTracking } from '../resource/tracking.js';
import { findOrphanedResources } from './orphaned.js';

function project(spec: AppProjectSpec): AppProject {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'p' }, spec };
}

function obj(
  apiVersion: string,
  kind: string,
  name: string,
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject {
  return { apiVersion, kind, metadata: { name, namespace: 'ns', ...extra } };
}

const tracked = (o: KubeObject): boolean => carriesTracking(o);

function find(spec: AppProjectSpec, live: KubeObject[], managed: KubeObject[] = []): string[] {
  return findOrphanedResources({
    project: project(spec),
    live,
    managed: new Set(managed),
    isTracked: tracked,
  }).map((r) => `${r.group}/${r.kind}/${r.name}`);
}

const open: AppProjectSpec = { orphanedResources: { warn: true } };

describe('orphaned resources', () => {
  it('reports untracked top-level objects, sorted by kind then name', () => {
    const live = [
      obj('v1', 'Secret', 'b'),
      obj('apps/v1', 'Deployment', 'web'),
      obj('v1', 'Secret', 'a'),
    ];
    assert.deepEqual(find(open, live), ['apps/Deployment/web', '/Secret/a', '/Secret/b']);
  });

  it('skips what the app manages, what any app tracks, and owned objects', () => {
    const mine = obj('v1', 'ConfigMap', 'mine');
    const live = [
      mine,
      obj('v1', 'ConfigMap', 'other-app', {
        annotations: { 'argocd.argoproj.io/tracking-id': 'other:/ConfigMap:ns/other-app' },
      }),
      obj('apps/v1', 'ReplicaSet', 'web-1', {
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'u' }],
      }),
      obj('v1', 'ConfigMap', 'stray'),
    ];
    assert.deepEqual(find(open, live, [mine]), ['/ConfigMap/stray']);
  });

  it('skips what Kubernetes creates in every namespace and the Endpoints of a Service', () => {
    const live = [
      obj('v1', 'ServiceAccount', 'default'),
      obj('v1', 'ConfigMap', 'kube-root-ca.crt'),
      obj('v1', 'Service', 'svc', {
        annotations: { 'argocd.argoproj.io/tracking-id': 'a:/Service:ns/svc' },
      }),
      obj('v1', 'Endpoints', 'svc'),
      obj('v1', 'Endpoints', 'lonely'),
      obj('v1', 'ServiceAccount', 'builder'),
    ];
    assert.deepEqual(find(open, live), ['/Endpoints/lonely', '/ServiceAccount/builder']);
  });

  it('skips cluster-scoped objects (no namespace)', () => {
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } };
    assert.deepEqual(find(open, [ns]), []);
  });

  it('applies the ignore list: group exact or glob, empty kind or name matches any', () => {
    const live = [
      obj('v1', 'Secret', 'sh.helm.release.v1.x'),
      obj('v1', 'Secret', 'keep'),
      obj('v1', 'ConfigMap', 'cm'),
      obj('apps/v1', 'Deployment', 'web'),
      obj('batch/v1', 'Job', 'j'),
    ];
    const spec: AppProjectSpec = {
      orphanedResources: {
        warn: true,
        ignore: [
          { group: '', kind: 'Secret', name: 'sh.helm.release.*' },
          { group: '', kind: 'ConfigMap' },
          { group: 'apps', name: '' },
          // an empty group matches the core group only
          { kind: 'Job' },
        ],
      },
    };
    assert.deepEqual(find(spec, live), ['batch/Job/j', '/Secret/keep']);
  });

  it('does not report kinds the project does not permit', () => {
    const live = [obj('v1', 'Secret', 's'), obj('v1', 'ConfigMap', 'cm')];
    const spec: AppProjectSpec = {
      ...open,
      namespaceResourceBlacklist: [{ group: '', kind: 'Secret' }],
    };
    assert.deepEqual(find(spec, live), ['/ConfigMap/cm']);
  });

  it('counts the instance label as tracking only when the method writes labels', () => {
    const labelled = obj('v1', 'ConfigMap', 'l', { labels: { 'app.kubernetes.io/instance': 'x' } });
    const custom = obj('v1', 'ConfigMap', 'c', { labels: { team: 'x' } });
    const annotated = obj('v1', 'ConfigMap', 'a', {
      annotations: { 'argocd.argoproj.io/tracking-id': 'x:/ConfigMap:ns/a' },
    });
    assert.equal(carriesTracking(labelled), false, 'annotation tracking ignores the label');
    assert.equal(carriesTracking(labelled, { method: 'label' }), true);
    assert.equal(carriesTracking(labelled, { method: 'annotation+label' }), true);
    assert.equal(carriesTracking(custom, { method: 'label' }), false);
    assert.equal(carriesTracking(custom, { method: 'label', labelKey: 'team' }), true);
    assert.equal(carriesTracking(annotated), true);
    assert.equal(carriesTracking(annotated, { method: 'label' }), true);
  });

  it('hands back the live object with each orphan (for resource-tree nodes)', () => {
    const stray = obj('v1', 'ConfigMap', 'stray');
    const [r] = findOrphanedResources({
      project: project(open),
      live: [stray],
      managed: new Set(),
      isTracked: tracked,
    });
    assert.equal(r?.object, stray);
  });
});
