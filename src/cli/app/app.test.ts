import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Application } from '../../apis/index.js';
import type { ResourceDiff } from '../../client/index.js';
import { diffItemsFromManaged, diffItemsFromManifests, projectOnto, renderDiffs } from './diff.js';
import { StreamingTable } from '../output/table.js';
import {
  formatAppList,
  formatAppSummary,
  formatHistory,
  formatTree,
  PROGRESS_HEADERS,
  progressCells,
} from './format.js';
import { applySpecFlags, buildApplication, parseAppName, type AppSpecFlags } from './spec.js';
import {
  checkReady,
  normalizeSelection,
  operationInProgress,
  parseResourceSelector,
  ProgressTracker,
  selectResources,
} from './wait.js';

function app(over: Partial<Application> = {}, status: Application['status'] = {}): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'guestbook', namespace: 'argocd' },
    spec: {
      project: 'default',
      source: {
        repoURL: 'https://git.example/apps.git',
        path: 'guestbook',
        targetRevision: 'HEAD',
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'web' },
    },
    status,
    ...over,
  };
}

describe('app create/set flags', () => {
  const base: AppSpecFlags = {
    repo: 'https://git.example/apps.git',
    path: 'guestbook',
    destServer: 'https://kubernetes.default.svc',
    destNamespace: 'web',
  };
  it('builds the Application Argo CD would (flags → spec)', () => {
    const a = buildApplication(
      { name: 'guestbook', labels: { team: 'a' }, setFinalizer: true },
      {
        ...base,
        revision: 'v1',
        syncPolicy: 'auto',
        autoPrune: true,
        selfHeal: true,
        syncOptions: ['CreateNamespace=true'],
        syncRetryLimit: 3,
        syncRetryBackoffDuration: '5s',
      },
    );
    assert.deepEqual(a, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name: 'guestbook',
        labels: { team: 'a' },
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: {
        project: 'default',
        destination: { server: 'https://kubernetes.default.svc', namespace: 'web' },
        source: {
          repoURL: 'https://git.example/apps.git',
          path: 'guestbook',
          targetRevision: 'v1',
        },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ['CreateNamespace=true'],
          retry: { limit: 3, backoff: { duration: '5s' } },
        },
      },
    });
  });
  it('maps Helm, Kustomize and directory flags', () => {
    const { spec } = applySpecFlags(app().spec, {
      helmSet: ['image.tag=1.2', 'a=b=c'],
      helmSetString: ['port=80'],
      values: ['values-prod.yaml'],
      releaseName: 'rel',
      namePrefix: 'p-',
      kustomizeImages: ['nginx=nginx:1.25', 'nginx=nginx:1.26'],
      directoryRecurse: true,
      directoryInclude: '*.yaml',
    });
    assert.deepEqual(spec.source?.helm, {
      parameters: [
        { name: 'image.tag', value: '1.2' },
        { name: 'a', value: 'b=c' },
        { name: 'port', value: '80', forceString: true },
      ],
      valueFiles: ['values-prod.yaml'],
      releaseName: 'rel',
    });
    assert.deepEqual(spec.source.kustomize, { namePrefix: 'p-', images: ['nginx=nginx:1.26'] });
    assert.deepEqual(spec.source.directory, { recurse: true, include: '*.yaml' });
  });
  it('switches destinations and turns automated sync off', () => {
    const start = app({
      spec: { ...app().spec, syncPolicy: { automated: { prune: true }, syncOptions: ['A=1'] } },
    }).spec;
    const { spec, changed } = applySpecFlags(start, {
      destName: 'prod',
      syncPolicy: 'none',
      syncOptions: ['A=2'],
    });
    assert.deepEqual(spec.destination, { name: 'prod', namespace: 'web' });
    assert.deepEqual(spec.syncPolicy, { syncOptions: ['A=2'] });
    assert.equal(changed, 2);
  });
  it('counts no change when no flag is given (app set refuses that)', () => {
    assert.equal(applySpecFlags(app().spec, {}).changed, 0);
  });
  it('refuses flags that do not fit', () => {
    assert.throws(() => applySpecFlags(app().spec, { selfHeal: true }), /--sync-policy automated/);
    assert.throws(
      () => applySpecFlags(app().spec, { chart: 'c', path: 'p' }),
      /exclude each other/,
    );
    assert.throws(
      () => applySpecFlags(app().spec, { syncRetryBackoffDuration: 'soon' }),
      /duration/,
    );
    assert.throws(
      () =>
        applySpecFlags(
          {
            ...app().spec,
            source: undefined,
            sources: [{ repoURL: 'a' }, { repoURL: 'b' }],
          } as never,
          { path: 'x' },
        ),
      /several sources/,
    );
    assert.throws(
      () => buildApplication({ name: 'x' }, { ...base, path: undefined } as never),
      /--path/,
    );
  });
  it('splits namespace/name and checks it against --app-namespace', () => {
    assert.deepEqual(parseAppName('argocd/guestbook'), {
      name: 'guestbook',
      appNamespace: 'argocd',
    });
    assert.deepEqual(parseAppName('guestbook', 'team'), {
      name: 'guestbook',
      appNamespace: 'team',
    });
    assert.throws(() => parseAppName('a/guestbook', 'b'), /disagree/);
  });
});

describe('app wait conditions', () => {
  const synced = app(
    {},
    {
      sync: { status: 'Synced', revision: 'a'.repeat(40) },
      health: { status: 'Healthy' },
      resources: [
        {
          group: 'apps',
          kind: 'Deployment',
          namespace: 'web',
          name: 'ui',
          status: 'Synced',
          health: { status: 'Healthy' },
        },
        { kind: 'ConfigMap', namespace: 'web', name: 'cfg', status: 'OutOfSync' },
      ],
    },
  );
  it('waits for synced, healthy and idle by default', () => {
    assert.deepEqual(normalizeSelection({}), {
      sync: true,
      health: true,
      operation: true,
      suspended: false,
      degraded: false,
    });
    assert.equal(checkReady(synced, normalizeSelection({})).ready, true);
    const progressing = app({}, { ...synced.status, health: { status: 'Progressing' } });
    assert.deepEqual(checkReady(progressing, normalizeSelection({})).waitingFor, [
      'health Healthy (now Progressing)',
    ]);
    assert.equal(checkReady(progressing, normalizeSelection({ sync: true })).ready, true);
    assert.equal(
      checkReady(
        app({}, { health: { status: 'Suspended' } }),
        normalizeSelection({ suspended: true }),
      ).ready,
      true,
    );
  });
  it('sees an operation in progress until it is picked up and finished', () => {
    assert.equal(operationInProgress(app({ operation: { sync: {} } })), true);
    const running = app(
      {},
      { operationState: { operation: {}, phase: 'Running', startedAt: 't' } },
    );
    assert.equal(operationInProgress(running), true);
    const done = app(
      {},
      { operationState: { operation: {}, phase: 'Succeeded', startedAt: 't', finishedAt: 'u' } },
    );
    assert.equal(operationInProgress(done), false);
    assert.equal(operationInProgress(app({ operation: null } as never)), false);
  });
  it('checks only the selected resources', () => {
    const sel = [parseResourceSelector('apps:Deployment:ui')];
    assert.equal(checkReady(synced, normalizeSelection({ sync: true }), sel).ready, true);
    const cm = [parseResourceSelector(':ConfigMap:web/cfg')];
    assert.deepEqual(checkReady(synced, normalizeSelection({ sync: true }), cm).waitingFor, [
      'ConfigMap/cfg to be Synced (now OutOfSync)',
    ]);
  });
  it('selects resources with globs and exclusions', () => {
    const res = synced.status?.resources ?? [];
    assert.deepEqual(selectResources(res, [parseResourceSelector('*:*:*')]).length, 2);
    assert.deepEqual(
      selectResources(res, [parseResourceSelector('!apps:Deployment:*')]).map((r) => r.name),
      ['cfg'],
    );
    assert.deepEqual(selectResources(res, [parseResourceSelector(':ConfigMap:other/cfg')]), []);
    assert.throws(() => parseResourceSelector('Deployment:ui'), /GROUP:KIND:NAME/);
  });
  it('reports each resource row once per change (live progress)', () => {
    const t = new ProgressTracker();
    assert.equal(t.changed(synced).length, 2);
    assert.equal(t.changed(synced).length, 0);
    const changed = app(
      {},
      {
        ...synced.status,
        resources: [
          { ...synced.status!.resources![1]!, status: 'Synced' },
          synced.status!.resources![0]!,
        ],
      },
    );
    assert.deepEqual(
      t.changed(changed).map((r) => `${r.name}:${r.status}`),
      ['cfg:Synced'],
    );
  });
  it('prints live progress as one aligned table across events (header once)', () => {
    const t = new ProgressTracker();
    const table = new StreamingTable(PROGRESS_HEADERS);
    const first = table.rows(
      progressCells(t.changed(synced), new Date('2026-01-02T03:04:05.678Z')),
    );
    assert.deepEqual(first.split('\n'), [
      'TIMESTAMP             GROUP  KIND        NAMESPACE  NAME  STATUS     HEALTH   HOOK  MESSAGE',
      '2026-01-02T03:04:05Z  apps   Deployment  web        ui    Synced     Healthy',
      '2026-01-02T03:04:05Z         ConfigMap   web        cfg   OutOfSync',
      '',
    ]);
    const later = app(
      {},
      {
        ...synced.status,
        resources: [
          synced.status!.resources![0]!,
          { ...synced.status!.resources![1]!, status: 'Synced' },
        ],
      },
    );
    assert.equal(
      table.rows(progressCells(t.changed(later), new Date('2026-01-02T03:04:06Z'))),
      '2026-01-02T03:04:06Z         ConfigMap   web        cfg   Synced\n',
    );
  });
});

describe('app diff', () => {
  const state = (o: unknown): string => JSON.stringify(o);
  const cm = (data: Record<string, string>): unknown => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace: 'web' },
    data,
  });
  it('compares normalized live with predicted live state and prints Argo CD headers', () => {
    const items: ResourceDiff[] = [
      {
        kind: 'ConfigMap',
        namespace: 'web',
        name: 'cfg',
        normalizedLiveState: state(cm({ a: '1' })),
        predictedLiveState: state(cm({ a: '2' })),
      },
      {
        group: 'apps',
        kind: 'Deployment',
        namespace: 'web',
        name: 'same',
        normalizedLiveState: state({ a: 1 }),
        predictedLiveState: state({ a: 1 }),
      },
      { kind: 'Pod', name: 'hook', hook: true, targetState: state({ a: 1 }) },
      {
        kind: 'Service',
        namespace: 'web',
        name: 'new',
        liveState: 'null',
        targetState: state({ kind: 'Service' }),
      },
    ];
    const { text, count } = renderDiffs(diffItemsFromManaged(items));
    assert.equal(count, 2);
    assert.match(text, /===== \/ConfigMap web\/cfg ======\n--- cfg-live\.yaml\n\+\+\+ cfg\.yaml\n/);
    assert.match(text, /- {2}a: "1"\n\+ {2}a: "2"/);
    assert.match(text, /===== \/Service web\/new ======[\s\S]*\+kind: Service/);
    assert.doesNotMatch(text, /same|hook/);
  });
  it('ignores fields only the live object has when the server predicts nothing', () => {
    const live = {
      metadata: { name: 'x', uid: 'u', managedFields: [] },
      spec: { replicas: 1, extra: true },
    };
    assert.deepEqual(projectOnto(live, { metadata: { name: 'x' }, spec: { replicas: 2 } }), {
      metadata: { name: 'x' },
      spec: { replicas: 1 },
    });
    const items = diffItemsFromManaged([
      {
        kind: 'X',
        name: 'x',
        liveState: state(live),
        targetState: state({ metadata: { name: 'x' }, spec: { replicas: 1 } }),
      },
    ]);
    assert.equal(renderDiffs(items).count, 0);
  });
  it('diffs local manifests, adding the destination namespace and showing what would be pruned', () => {
    const managed: ResourceDiff[] = [
      { kind: 'ConfigMap', namespace: 'web', name: 'cfg', liveState: state(cm({ a: '1' })) },
      {
        kind: 'ConfigMap',
        namespace: 'web',
        name: 'old',
        liveState: state({ kind: 'ConfigMap', metadata: { name: 'old' } }),
      },
    ];
    const local = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } },
    ];
    const { text, count } = renderDiffs(diffItemsFromManifests(managed, local, 'web'));
    assert.equal(count, 1);
    assert.match(text, /===== \/ConfigMap web\/old ======[\s\S]*-kind: ConfigMap/);
  });
});

describe('app output', () => {
  const a = app(
    {},
    {
      sync: { status: 'Synced', revision: 'abcdef1234567890abcdef1234567890abcdef12' },
      health: { status: 'Healthy' },
      history: [
        {
          id: 1,
          deployedAt: '2026-01-01T00:00:00Z',
          revision: 'abcdef1234567890abcdef1234567890abcdef12',
          source: { repoURL: 'r', targetRevision: 'HEAD' },
        },
      ],
      resources: [
        {
          group: 'apps',
          version: 'v1',
          kind: 'Deployment',
          namespace: 'web',
          name: 'ui',
          status: 'Synced',
          health: { status: 'Healthy' },
        },
      ],
    },
  );
  it('prints the summary', () => {
    const s = formatAppSummary(a, 'https://cd.example');
    assert.match(s, /^Name: {15}argocd\/guestbook$/m);
    assert.match(s, /^URL: {16}https:\/\/cd\.example\/applications\/guestbook$/m);
    assert.match(s, /^Sync Status: {8}Synced to HEAD \(abcdef1\)$/m);
    assert.match(s, /^Health Status: {6}Healthy$/m);
  });
  it('lists apps and history', () => {
    assert.match(
      formatAppList([a], false),
      /^argocd\/guestbook\s+https:\/\/kubernetes\.default\.svc\s+web\s+default\s+Synced\s+Healthy\s+Manual\s+<none>$/m,
    );
    assert.match(formatHistory(a), /^1\s+2026-01-01T00:00:00Z\s+HEAD \(abcdef1\)$/m);
  });
  it('draws the resource tree under each managed resource', () => {
    const tree = {
      nodes: [
        { group: 'apps', kind: 'Deployment', namespace: 'web', name: 'ui', uid: 'd' },
        {
          group: 'apps',
          kind: 'ReplicaSet',
          namespace: 'web',
          name: 'ui-1',
          uid: 'rs',
          parentRefs: [{ uid: 'd' }],
        },
        {
          kind: 'Pod',
          namespace: 'web',
          name: 'ui-1-a',
          uid: 'p1',
          parentRefs: [{ uid: 'rs' }],
          health: { status: 'Healthy' },
        },
        { kind: 'Pod', namespace: 'web', name: 'ui-1-b', uid: 'p2', parentRefs: [{ uid: 'rs' }] },
      ],
    };
    const out = formatTree(a, tree);
    assert.match(out, /^Deployment\/ui\s+Synced\s+Healthy$/m);
    assert.match(out, /^└─ReplicaSet\/ui-1$/m);
    assert.match(out, /^ {2}├─Pod\/ui-1-a\s+Healthy$/m);
    assert.match(out, /^ {2}└─Pod\/ui-1-b$/m);
  });
});
