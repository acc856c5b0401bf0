import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../apis/index.js';
import {
  compareAppState,
  compileIgnoreDifferences,
  createCompareCache,
  prepareDesired,
  type DesiredState,
  type PrepareDesiredOptions,
} from '../index.js';
import { edited } from '../testing.js';

const base: PrepareDesiredOptions = { appInstanceName: 'guestbook', destinationNamespace: 'web' };

const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'api' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'api' } },
    template: {
      metadata: { labels: { app: 'api' } },
      spec: { containers: [{ name: 'api', image: 'example/api:1' }] },
    },
  },
};
const service: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'api' },
  spec: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8080 }] },
};
const config: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', annotations: { 'argocd.argoproj.io/sync-wave': '-1' } },
  data: { mode: 'prod' },
};
const hook: KubeObject = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'migrate', annotations: { 'argocd.argoproj.io/hook': 'PreSync' } },
  spec: {
    template: {
      spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'example/migrate:1' }] },
    },
  },
};

/** What the API server would hold after applying a prepared object: server fields and status added. */
function applied(obj: KubeObject, status?: Record<string, unknown>): KubeObject {
  return {
    ...structuredClone(obj),
    metadata: {
      ...structuredClone(obj.metadata),
      uid: `uid-${obj.kind}-${obj.metadata.name ?? ''}`,
      resourceVersion: '100',
      generation: 1,
      creationTimestamp: '2024-05-01T10:00:00Z',
    },
    ...(status === undefined ? {} : { status }),
  };
}

const healthyDeploymentStatus = {
  observedGeneration: 1,
  replicas: 1,
  updatedReplicas: 1,
  availableReplicas: 1,
  readyReplicas: 1,
};

function prepared(objs: KubeObject[], opts: Partial<PrepareDesiredOptions> = {}): DesiredState {
  return prepareDesired(objs, { ...base, ...opts });
}

function liveOf(desired: DesiredState, keep: (kind: string) => boolean = () => true): KubeObject[] {
  return desired.resources
    .filter((r) => !r.hook && keep(r.key.kind))
    .map((r) =>
      applied(r.object, r.key.kind === 'Deployment' ? healthyDeploymentStatus : undefined),
    );
}

describe('prepareDesired', () => {
  it('defaults namespaces, writes tracking and classifies hooks and waves', () => {
    const d = prepared([deployment, config, hook]);
    const byKind = (k: string): DesiredState['resources'][number] | undefined =>
      d.resources.find((r) => r.key.kind === k);
    const [dep, cm, job] = [byKind('Deployment'), byKind('ConfigMap'), byKind('Job')];
    assert.equal(dep?.object.metadata.namespace, 'web');
    assert.equal(
      dep.object.metadata.annotations?.['argocd.argoproj.io/tracking-id'],
      'guestbook:apps/Deployment:web/api',
    );
    assert.equal(cm?.syncWave, -1);
    assert.equal(job?.hook, true);
    assert.equal(deployment.metadata.namespace, undefined, 'input untouched');
    assert.ok(d.byKey.has('apps/Deployment/web/api'));
  });

  it('warns about repeated resources and keeps the last one', () => {
    const d = prepared([config, edited(config, (e) => e.set('data.mode', 'dev'))]);
    assert.equal(d.resources.length, 1);
    assert.equal(
      d.resources[0]?.object.data && (d.resources[0].object.data as Record<string, string>).mode,
      'dev',
    );
    assert.deepEqual(d.conditions, [
      {
        type: 'RepeatedResourceWarning',
        message: 'Resource /ConfigMap/web/settings appeared 2 times among application resources.',
      },
    ]);
  });
});

describe('compareAppState', () => {
  it('reports an app whose live state matches as Synced and Healthy', () => {
    const d = prepared([deployment, service, config, hook]);
    const r = compareAppState({ desired: d, live: liveOf(d) });
    assert.equal(r.syncStatus, 'Synced');
    assert.deepEqual(r.health, { status: 'Healthy' });
    assert.deepEqual(r.resources, [
      {
        group: '',
        version: 'v1',
        kind: 'ConfigMap',
        namespace: 'web',
        name: 'settings',
        status: 'Synced',
        syncWave: -1,
      },
      {
        group: '',
        version: 'v1',
        kind: 'Service',
        namespace: 'web',
        name: 'api',
        status: 'Synced',
        health: { status: 'Healthy' },
      },
      {
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        namespace: 'web',
        name: 'api',
        status: 'Synced',
        health: { status: 'Healthy' },
      },
    ]);
    assert.deepEqual(r.images, ['example/api:1']);
    assert.equal(r.items.length, 4, 'the hook is an item but not a resource until it exists');
  });

  it('reports a desired object missing live as OutOfSync and Missing', () => {
    const d = prepared([deployment, service]);
    const r = compareAppState({ desired: d, live: liveOf(d, (k) => k !== 'Service') });
    assert.equal(r.syncStatus, 'OutOfSync');
    assert.equal(r.health.status, 'Missing');
    const svc = r.resources.find((x) => x.kind === 'Service');
    assert.deepEqual(svc?.health, { status: 'Missing' });
    assert.equal(svc.status, 'OutOfSync');
  });

  it('reports a changed live object as OutOfSync with its differences', () => {
    const d = prepared([deployment]);
    const [live] = liveOf(d);
    assert.ok(live);
    const r = compareAppState({
      desired: d,
      live: [edited(live, (e) => e.set('spec.template.spec.containers.0.image', 'example/api:2'))],
    });
    assert.equal(r.syncStatus, 'OutOfSync');
    assert.deepEqual(
      r.items[0]?.differences.map((x) => [x.op, x.path, x.live, x.desired]),
      [['replace', '/spec/template/spec/containers/0/image', 'example/api:2', 'example/api:1']],
    );
  });

  it('marks tracked live objects that are no longer desired for pruning', () => {
    const d = prepared([deployment, config]);
    const full = prepared([deployment, config, service]);
    const r = compareAppState({ desired: d, live: liveOf(full) });
    assert.equal(r.syncStatus, 'OutOfSync');
    const svc = r.resources.find((x) => x.kind === 'Service');
    assert.equal(svc?.requiresPruning, true);
    assert.equal(svc.status, 'OutOfSync');
  });

  it('ignores extraneous objects with IgnoreExtraneous, untracked ones and owned ones', () => {
    const d = prepared([deployment]);
    const extra = prepared([
      edited(config, (e) =>
        e.set(
          ['metadata', 'annotations', 'argocd.argoproj.io/compare-options'],
          'IgnoreExtraneous',
        ),
      ),
    ]);
    const pod: KubeObject = applied({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'api-123',
        namespace: 'web',
        labels: { 'app.kubernetes.io/instance': 'guestbook' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-1', uid: 'u' }],
      },
    });
    const stranger = applied({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'other', namespace: 'web' },
    });
    const r = compareAppState({
      desired: d,
      live: [...liveOf(d), ...liveOf(extra), pod, stranger],
    });
    assert.equal(r.syncStatus, 'Synced');
    assert.equal(r.resources.filter((x) => x.requiresPruning).length, 1);
    assert.equal(
      r.resources.some((x) => x.kind === 'Pod' || x.name === 'other'),
      false,
    );
  });

  it('leaves hooks out of sync status and health', () => {
    const d = prepared([deployment, hook]);
    const failedJob = applied(d.resources[1]?.object ?? hook, {
      conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }],
    });
    const r = compareAppState({ desired: d, live: [...liveOf(d), failedJob] });
    assert.equal(r.syncStatus, 'Synced');
    assert.equal(r.health.status, 'Healthy');
    const job = r.resources.find((x) => x.kind === 'Job');
    assert.equal(job?.hook, true);
    assert.equal(job.health?.status, 'Degraded');
  });

  it('takes the worst health of its resources', () => {
    const d = prepared([deployment, service]);
    const live = liveOf(d).map((o) =>
      o.kind === 'Deployment'
        ? edited(o, (e) =>
            e.set('status', {
              observedGeneration: 1,
              replicas: 1,
              updatedReplicas: 1,
              conditions: [
                { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' },
              ],
            }),
          )
        : o,
    );
    const r = compareAppState({ desired: d, live });
    assert.equal(r.health.status, 'Degraded');
    assert.equal(r.syncStatus, 'Synced');
  });

  it('warns when a live object belongs to another app', () => {
    const d = prepared([config]);
    const other = prepared([config], { appInstanceName: 'other-app' });
    const r = compareAppState({ desired: d, live: liveOf(other) });
    assert.equal(r.items[0]?.sharedWith, 'other-app');
    assert.deepEqual(
      r.conditions.map((c) => c.type),
      ['SharedResourceWarning'],
    );
    assert.equal(r.syncStatus, 'OutOfSync', 'the tracking annotation differs');
  });

  it('applies ignoreDifferences from the prepared state', () => {
    const d = prepared([deployment], {
      ignoreDifferences: compileIgnoreDifferences([
        { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
      ]),
    });
    const live = liveOf(d).map((o) => edited(o, (e) => e.set('spec.replicas', 4)));
    assert.equal(compareAppState({ desired: d, live }).syncStatus, 'Synced');
  });

  it('never puts Secret values into differences', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds' },
      stringData: { token: 'tok-new-0xdeadbeef' },
    };
    const d = prepared([secret]);
    const [live] = liveOf(d);
    assert.ok(live);
    const liveSecret = edited(live, (e) =>
      e
        .del('stringData')
        .set('data', { token: Buffer.from('tok-old-0xcafebabe').toString('base64') }),
    );
    const r = compareAppState({ desired: d, live: [liveSecret] });
    assert.equal(r.syncStatus, 'OutOfSync');
    const text = JSON.stringify(r.items.map((i) => i.differences));
    assert.ok(text.includes('/data/token'));
    for (const v of ['tok-new', 'tok-old', Buffer.from('tok-new-0xdeadbeef').toString('base64')]) {
      assert.ok(!text.includes(v), 'difference carries a secret value');
    }
  });

  it('gives the same answers with a cache, and recomputes for a replaced live object', () => {
    const d = prepared([deployment, service, config]);
    const live = liveOf(d);
    const cache = createCompareCache();
    const plain = compareAppState({ desired: d, live });
    assert.deepEqual(compareAppState({ desired: d, live, cache }), plain);
    assert.deepEqual(compareAppState({ desired: d, live, cache }), plain);
    const changed = live.map((o) =>
      o.kind === 'ConfigMap' ? edited(o, (e) => e.set('data.mode', 'dev')) : o,
    );
    const r = compareAppState({ desired: d, live: changed, cache });
    assert.equal(r.syncStatus, 'OutOfSync');
    assert.deepEqual(compareAppState({ desired: d, live: changed }), r);
  });
});
