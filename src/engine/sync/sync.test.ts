import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../apis/index.js';
import {
  EngineError,
  compareAppState,
  planCascadeDeletion,
  planSync,
  prepareDesired,
  restoreSyncState,
  startSync,
  stepSync,
  syncResultResources,
  type CompareResult,
  type SyncPlan,
  type SyncAction,
  type SyncPlanOptions,
} from '../index.js';
import { FakeCluster, drive } from '../testing.js';

const NS = 'web';

function obj(
  apiVersion: string,
  kind: string,
  name: string,
  annotations: Record<string, string> = {},
  rest: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    ...rest,
  };
}

const deployment = (name: string, ann: Record<string, string> = {}): KubeObject =>
  obj('apps/v1', 'Deployment', name, ann, {
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name, image: `example/${name}:1` }] },
      },
    },
  });
const configMap = (name: string, ann: Record<string, string> = {}): KubeObject =>
  obj('v1', 'ConfigMap', name, ann, { data: { k: 'v' } });
const job = (name: string, ann: Record<string, string>): KubeObject =>
  obj('batch/v1', 'Job', name, ann, {
    spec: {
      template: {
        spec: { restartPolicy: 'Never', containers: [{ name: 'j', image: 'example/job:1' }] },
      },
    },
  });

function compare(desired: KubeObject[], cluster: FakeCluster): CompareResult {
  const d = prepareDesired(desired, {
    appInstanceName: 'app',
    destinationNamespace: NS,
    resourceInfo: {
      isNamespaced: (_g, kind) =>
        !['Namespace', 'CustomResourceDefinition', 'ClusterRole'].includes(kind),
    },
  });
  return compareAppState({ desired: d, live: [...cluster.objects.values()] });
}

function plan(
  desired: KubeObject[],
  cluster: FakeCluster,
  options: SyncPlanOptions = {},
): SyncPlan {
  return planSync(compare(desired, cluster), { destinationNamespace: NS, ...options });
}

/** The log without dry runs, as `<verb> <Kind>/<name>`. */
function wetLog(cluster: FakeCluster): string[] {
  return cluster.log
    .filter((l) => !l.includes('[dry]'))
    .map((l) => {
      const [verb, key = ''] = l.split(' ');
      const parts = key.split('/');
      return `${verb ?? ''} ${parts[1] ?? ''}/${parts[3] ?? ''}`;
    });
}

/** A cluster holding what a previous sync of `objs` left (tracked by app `app`). */
function clusterWith(objs: KubeObject[]): FakeCluster {
  const c = new FakeCluster();
  const d = prepareDesired(objs, { appInstanceName: 'app', destinationNamespace: NS });
  for (const r of d.resources) c.seed(r.object);
  c.tick();
  return c;
}

describe('planSync', () => {
  it('orders tasks by phase, wave and kind', () => {
    const c = new FakeCluster();
    const p = plan(
      [
        deployment('api'),
        obj('v1', 'Service', 'api', {}, { spec: { ports: [{ port: 80 }] } }),
        configMap('settings', { 'argocd.argoproj.io/sync-wave': '-1' }),
        job('migrate', { 'argocd.argoproj.io/hook': 'PreSync' }),
        job('smoke', { 'argocd.argoproj.io/hook': 'PostSync' }),
        job('cleanup', { 'argocd.argoproj.io/hook': 'SyncFail' }),
        obj(
          'apiextensions.k8s.io/v1',
          'CustomResourceDefinition',
          'widgets.example.com',
          {},
          {
            spec: { group: 'example.com', names: { kind: 'Widget' }, scope: 'Namespaced' },
          },
        ),
        obj('example.com/v1', 'Widget', 'w'),
        obj('v1', 'Namespace', 'extra'),
      ],
      c,
      { syncOptions: ['CreateNamespace=true'], destinationNamespaceExists: true },
    );
    assert.deepEqual(
      p.tasks.map((t) => `${t.phase}/${t.wave}/${t.type}/${t.key.kind}/${t.key.name}`),
      [
        'PreSync/0/apply/Namespace/web',
        'PreSync/0/hook/Job/migrate',
        'Sync/-1/apply/ConfigMap/settings',
        'Sync/0/apply/Namespace/extra',
        'Sync/0/apply/CustomResourceDefinition/widgets.example.com',
        'Sync/0/apply/Service/api',
        'Sync/0/apply/Deployment/api',
        'Sync/0/apply/Widget/w',
        'PostSync/0/hook/Job/smoke',
        'SyncFail/0/hook/Job/cleanup',
      ],
    );
    const widget = p.tasks.find((t) => t.key.kind === 'Widget');
    assert.equal(widget?.options.skipDryRun, true, 'the CRD comes with the same sync');
    assert.equal(p.tasks.find((t) => t.key.kind === 'Deployment')?.options.skipDryRun, false);
    assert.deepEqual(p.summary, {
      desired: 6,
      apply: 7,
      hooks: 3,
      prune: 0,
      pruneSkipped: 0,
      prunesEverything: false,
    });
  });

  it('skips the dry run of objects in a namespace the sync creates', () => {
    const c = new FakeCluster();
    const opts = { syncOptions: ['CreateNamespace=true'] };
    const p = plan([configMap('a')], c, opts);
    assert.equal(p.tasks.find((t) => t.key.name === 'a')?.options.skipDryRun, true);
    const existing = plan([configMap('a')], c, { ...opts, destinationNamespaceExists: true });
    assert.equal(existing.tasks.find((t) => t.key.name === 'a')?.options.skipDryRun, false);
    const { final } = drive(p, c);
    assert.equal(final.phase, 'Succeeded');
  });

  it('carries per-resource and app sync options on tasks', () => {
    const p = plan(
      [
        configMap('a', { 'argocd.argoproj.io/sync-options': 'Replace=true,Validate=false' }),
        configMap('b', { 'argocd.argoproj.io/sync-options': 'ServerSideApply=false' }),
      ],
      new FakeCluster(),
      { syncOptions: ['ServerSideApply=true', 'PrunePropagationPolicy=background'], force: true },
    );
    const [a, b] = p.tasks;
    assert.deepEqual(a?.options, {
      serverSideApply: true,
      replace: true,
      force: true,
      validate: false,
      skipDryRun: false,
      prunePropagationPolicy: 'background',
    });
    assert.equal(b?.options.serverSideApply, false, 'the annotation overrides the app option');
  });

  it('plans prunes with reversed waves, PruneLast, and the reasons a prune is skipped', () => {
    const old = [
      configMap('w0'),
      configMap('w1', { 'argocd.argoproj.io/sync-wave': '1' }),
      configMap('w2', { 'argocd.argoproj.io/sync-wave': '2' }),
      configMap('last', { 'argocd.argoproj.io/sync-options': 'PruneLast=true' }),
      configMap('keep', { 'argocd.argoproj.io/sync-options': 'Prune=false' }),
      configMap('nodelete', { 'argocd.argoproj.io/sync-options': 'Delete=false' }),
    ];
    const c = clusterWith(old);
    const p = plan([configMap('new', { 'argocd.argoproj.io/sync-wave': '3' })], c, { prune: true });
    assert.deepEqual(
      p.tasks.map((t) => `${t.wave}/${t.type}/${t.key.name}${t.skip ? `(${t.skip.message})` : ''}`),
      [
        '0/prune/w2',
        '1/prune/w1',
        '2/prune/keep(ignored (no prune))',
        '2/prune/nodelete(ignored (no delete))',
        '2/prune/w0',
        '3/apply/new',
        '4/prune/last',
      ],
    );
    const noPrune = plan([configMap('new')], c);
    assert.ok(
      noPrune.tasks
        .filter((t) => t.type === 'prune')
        .every(
          (t) =>
            t.skip?.message === 'ignored (requires pruning)' ||
            t.skip?.message.startsWith('ignored (no'),
        ),
    );
    assert.equal(noPrune.summary.prune, 0);
  });

  it('flags a sync that would delete everything', () => {
    const c = clusterWith([configMap('a'), configMap('b')]);
    const p = plan([], c, { prune: true });
    assert.equal(p.summary.prunesEverything, true);
    assert.equal(p.summary.prune, 2);
  });

  it('limits a partial sync to the selected resources and runs no hooks', () => {
    const c = clusterWith([configMap('gone')]);
    const p = plan(
      [configMap('a'), configMap('b'), job('hook', { 'argocd.argoproj.io/hook': 'PreSync' })],
      c,
      {
        prune: true,
        resources: [
          { kind: 'ConfigMap', name: 'b' },
          { kind: 'ConfigMap', name: 'gone' },
        ],
      },
    );
    assert.deepEqual(
      p.tasks.map((t) => `${t.type}/${t.key.name}`),
      ['apply/b', 'prune/gone'],
    );
    assert.equal(p.skipHooks, true);
  });

  it('leaves in-sync resources out with ApplyOutOfSyncOnly', () => {
    const c = clusterWith([configMap('same')]);
    const p = plan([configMap('same'), configMap('new')], c, {
      syncOptions: ['ApplyOutOfSyncOnly=true'],
    });
    assert.deepEqual(
      p.tasks.map((t) => t.key.name),
      ['new'],
    );
  });

  it('is deterministic', () => {
    const c = clusterWith([configMap('x')]);
    const a = plan([deployment('api'), configMap('y')], c, { prune: true, revision: 'abc' });
    const b = plan([configMap('y'), deployment('api')], c, { prune: true, revision: 'abc' });
    assert.equal(a.id, b.id);
    assert.deepEqual(a, b);
    assert.notEqual(plan([configMap('y')], c, { revision: 'def' }).id, a.id);
  });
});

describe('stepSync', () => {
  it('runs phases and waves in order, waiting for health and hooks', () => {
    const c = new FakeCluster();
    const p = plan(
      [
        job('migrate', { 'argocd.argoproj.io/hook': 'PreSync' }),
        configMap('settings', { 'argocd.argoproj.io/sync-wave': '-1' }),
        deployment('db', { 'argocd.argoproj.io/sync-wave': '0' }),
        deployment('api', { 'argocd.argoproj.io/sync-wave': '1' }),
        job('smoke', {
          'argocd.argoproj.io/hook': 'PostSync',
          'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded',
        }),
      ],
      c,
      { syncOptions: ['CreateNamespace=true'], destinationNamespaceExists: true },
    );
    const { final } = drive(p, c);
    assert.equal(final.phase, 'Succeeded');
    assert.equal(final.message, 'successfully synced (all tasks run)');
    assert.deepEqual(wetLog(c), [
      'apply Namespace/web',
      'apply Job/migrate',
      'apply ConfigMap/settings',
      'apply Deployment/db',
      'apply Deployment/api',
      'apply Job/smoke',
      'delete Job/smoke',
    ]);
    const dry = c.log.filter((l) => l.includes('[dry]'));
    assert.equal(dry.length, 4, 'every apply task is dry-run first, hooks are not');
    assert.ok(
      c.log.indexOf(dry[3] ?? '') < c.log.indexOf('apply /Namespace//web'),
      'the dry run comes before any change',
    );
    assert.deepEqual(
      final.resources.map((r) => [
        r.kind,
        r.name,
        r.status,
        r.hookPhase,
        r.syncPhase,
        r.hookType ?? '',
      ]),
      [
        ['Namespace', 'web', 'Synced', 'Succeeded', 'PreSync', ''],
        ['Job', 'migrate', 'Synced', 'Succeeded', 'PreSync', 'PreSync'],
        ['ConfigMap', 'settings', 'Synced', 'Succeeded', 'Sync', ''],
        ['Deployment', 'db', 'Synced', 'Succeeded', 'Sync', ''],
        ['Deployment', 'api', 'Synced', 'Succeeded', 'Sync', ''],
        ['Job', 'smoke', 'Synced', 'Succeeded', 'PostSync', 'PostSync'],
      ],
    );
  });

  it('does not start a wave before the previous one is healthy', () => {
    const c = new FakeCluster();
    const p = plan(
      [deployment('db'), deployment('api', { 'argocd.argoproj.io/sync-wave': '1' })],
      c,
    );
    const live = (k: Parameters<FakeCluster['get']>[0]): KubeObject | undefined => c.get(k);
    const names = (actions: readonly SyncAction[]): string[] =>
      actions.map((a) => (a.type === 'delete' ? a.key.name : (a.object.metadata.name ?? '')));
    let step = stepSync(p, startSync(p), { live });
    assert.ok(step.actions.every((a) => a.type === 'apply' && a.dryRun));
    step = stepSync(p, step.state, { results: c.execute(step.actions), live });
    assert.deepEqual(names(step.actions), ['db']);
    step = stepSync(p, step.state, { results: c.execute(step.actions), live });
    assert.deepEqual(step.actions, [], 'db is not available yet');
    assert.deepEqual(step.waitingFor, ['waiting for healthy state of apps/Deployment/db']);
    assert.equal(step.message, 'waiting for healthy state of apps/Deployment/db');
    c.tick();
    step = stepSync(p, step.state, { live });
    assert.deepEqual(names(step.actions), ['api']);
  });

  it('ends after the last wave without waiting for health when it has no hooks', () => {
    const c = new FakeCluster();
    const p = plan([deployment('api')], c);
    const { final } = drive(p, c);
    assert.equal(final.phase, 'Succeeded');
    assert.equal(final.message, 'successfully synced (no more tasks)');
    assert.equal(final.resources[0]?.hookPhase, 'Running');
    assert.equal(final.resources[0].message, 'deployment/api created');
  });

  it('does not trust live state older than its own apply', () => {
    const c = new FakeCluster();
    const p = plan(
      [deployment('db'), configMap('after', { 'argocd.argoproj.io/sync-wave': '1' })],
      c,
    );
    c.seed(
      prepareDesired([deployment('db')], { appInstanceName: 'app', destinationNamespace: NS })
        .resources[0]?.object ?? deployment('db'),
    );
    c.tick(); // the old generation is healthy
    let step = stepSync(p, startSync(p), { live: (k) => c.get(k) });
    step = stepSync(p, step.state, { results: c.execute(step.actions), live: (k) => c.get(k) });
    const stale = c.get({ group: 'apps', kind: 'Deployment', namespace: NS, name: 'db' });
    assert.ok(stale);
    const applyResults = c.execute(step.actions);
    // the cache still shows the object from before the apply
    step = stepSync(p, step.state, {
      results: applyResults.map((r) => ({
        ...r,
        object: { metadata: { ...r.object?.metadata, generation: 5 } },
      })),
      live: () => stale,
    });
    assert.deepEqual(step.actions, []);
    assert.match(step.message, /waiting for healthy state/);
  });

  it('fails on an apply error, runs SyncFail hooks and reports the reason', () => {
    const c = new FakeCluster();
    const p = plan(
      [
        configMap('ok'),
        configMap('bad', {
          'argocd.argoproj.io/sync-wave': '1',
          'test.argocd-ts/fail-apply': 'admission webhook denied the request',
        }),
        configMap('never', { 'argocd.argoproj.io/sync-wave': '2' }),
        job('cleanup', { 'argocd.argoproj.io/hook': 'SyncFail' }),
      ],
      c,
    );
    // dry run passes in this fake only for objects without the failure annotation: skip it for the bad one
    const { final } = drive(
      {
        ...p,
        tasks: p.tasks.map((t) =>
          t.key.name === 'bad' ? { ...t, options: { ...t.options, skipDryRun: true } } : t,
        ),
      },
      c,
    );
    assert.equal(final.phase, 'Failed');
    assert.equal(
      final.message,
      'one or more objects failed to apply, reason: admission webhook denied the request',
    );
    assert.deepEqual(wetLog(c), ['apply ConfigMap/ok', 'apply ConfigMap/bad', 'apply Job/cleanup']);
    const bad = final.resources.find((r) => r.name === 'bad');
    assert.equal(bad?.status, 'SyncFailed');
    assert.equal(bad.message, 'admission webhook denied the request');
    assert.equal(
      final.resources.some((r) => r.name === 'never'),
      false,
    );
  });

  it('fails a sync whose dry run fails, before changing anything', () => {
    const c = new FakeCluster();
    const p = plan(
      [configMap('ok'), configMap('bad', { 'test.argocd-ts/fail-apply': 'invalid object' })],
      c,
    );
    const { final } = drive(p, c);
    assert.equal(final.phase, 'Failed');
    assert.equal(final.message, 'one or more objects failed to apply (dry run)');
    assert.deepEqual(wetLog(c), []);
    assert.deepEqual(
      final.resources.map((r) => [r.name, r.status, r.message]),
      [['bad', 'SyncFailed', 'invalid object']],
    );
  });

  it('fails when a hook fails, deleting it per HookFailed', () => {
    const c = new FakeCluster();
    const p = plan(
      [
        job('migrate', {
          'argocd.argoproj.io/hook': 'PreSync',
          'argocd.argoproj.io/hook-delete-policy': 'HookFailed',
          'test.argocd-ts/job-fails': 'true',
        }),
        configMap('never'),
      ],
      c,
    );
    const { final } = drive(p, c);
    assert.equal(final.phase, 'Failed');
    assert.equal(
      final.message,
      'one or more synchronization tasks completed unsuccessfully, reason: Job has reached the specified backoff limit',
    );
    assert.deepEqual(wetLog(c), ['apply Job/migrate', 'delete Job/migrate']);
    assert.equal(final.resources.find((r) => r.name === 'migrate')?.hookPhase, 'Failed');
  });

  it('fails when a resource of a wave becomes Degraded', () => {
    const c = new FakeCluster();
    const p = plan(
      [
        deployment('api', { 'test.argocd-ts/degraded': 'true' }),
        configMap('later', { 'argocd.argoproj.io/sync-wave': '1' }),
      ],
      c,
    );
    const { final } = drive(p, c);
    assert.equal(final.phase, 'Failed');
    assert.match(
      final.message,
      /^one or more synchronization tasks completed unsuccessfully, reason: Deployment "api" exceeded its progress deadline$/,
    );
  });

  it('deletes an earlier hook before re-creating it (BeforeHookCreation) and creates generateName hooks', () => {
    const hook = job('migrate', { 'argocd.argoproj.io/hook': 'PreSync' });
    const c = clusterWith([hook]);
    const gen: KubeObject = {
      ...job('', { 'argocd.argoproj.io/hook': 'PreSync' }),
      metadata: { generateName: 'seed-', annotations: { 'argocd.argoproj.io/hook': 'PreSync' } },
    };
    const p = plan([hook, gen], c);
    const { final } = drive(p, c);
    assert.equal(final.phase, 'Succeeded');
    const log = wetLog(c);
    assert.equal(log[0], 'delete Job/migrate');
    assert.match(log[1] ?? '', /^create Job\/seed-\w+$/);
    assert.equal(log[2], 'apply Job/migrate');
    const seeded = final.resources.find((r) => r.name.startsWith('seed-'));
    assert.ok(seeded, 'the generated name is reported');
  });

  it('prunes, waiting for deletion between waves, and reports skipped prunes', () => {
    const c = clusterWith([
      configMap('old0'),
      configMap('old1', { 'argocd.argoproj.io/sync-wave': '1' }),
      configMap('kept', { 'argocd.argoproj.io/sync-options': 'Prune=false' }),
    ]);
    const p = plan([configMap('new', { 'argocd.argoproj.io/sync-wave': '5' })], c, { prune: true });
    const { final } = drive(p, c);
    assert.equal(final.phase, 'Succeeded');
    assert.deepEqual(wetLog(c), [
      'delete ConfigMap/old1',
      'delete ConfigMap/old0',
      'apply ConfigMap/new',
    ]);
    assert.deepEqual(
      final.resources.map((r) => [r.name, r.status, r.message]),
      [
        ['old1', 'Pruned', 'pruned'],
        ['kept', 'PruneSkipped', 'ignored (no prune)'],
        ['old0', 'Pruned', 'pruned'],
        ['new', 'Synced', 'configmap/new created'],
      ],
    );
  });

  it('runs a dry-run operation without changing anything', () => {
    const c = clusterWith([configMap('old')]);
    const p = plan([configMap('new'), job('h', { 'argocd.argoproj.io/hook': 'PreSync' })], c, {
      dryRun: true,
      prune: true,
    });
    const { final } = drive(p, c);
    assert.equal(final.phase, 'Succeeded');
    assert.deepEqual(wetLog(c), []);
    assert.deepEqual(
      final.resources.map((r) => [r.name, r.status, r.message]),
      [
        ['new', 'Synced', 'configmap/new applied (server dry run)'],
        ['old', 'Pruned', 'pruned (dry run)'],
      ],
    );
  });

  it('terminates on request, deleting running hooks', () => {
    const c = new FakeCluster();
    const p = plan([job('long', { 'argocd.argoproj.io/hook': 'PreSync' }), configMap('never')], c);
    let waits = 0;
    const { final } = drive(p, c, {
      beforeStep: () => {
        const hookRunning =
          c.get({ group: 'batch', kind: 'Job', namespace: NS, name: 'long' }) !== undefined;
        if (hookRunning) waits++;
        return waits === 2 ? { terminate: true } : undefined;
      },
    });
    assert.equal(final.phase, 'Failed');
    assert.equal(final.message, 'Operation terminated');
    assert.ok(wetLog(c).includes('delete Job/long'));
    assert.equal(final.resources.find((r) => r.name === 'long')?.message, 'Terminated');
    assert.equal(
      final.resources.some((r) => r.name === 'never'),
      false,
    );
  });

  it('fails an operation that runs longer than timeoutMs', () => {
    const c = new FakeCluster();
    const p = plan([job('long', { 'argocd.argoproj.io/hook': 'PreSync' })], c);
    const opts = { timeoutMs: 60_000 };
    const live = (k: Parameters<FakeCluster['get']>[0]): KubeObject | undefined => c.get(k);
    let step = stepSync(p, startSync(p, 1_000), { live, nowMs: 1_000 }, opts);
    assert.equal(step.actions[0]?.type, 'apply', 'the hook is created');
    step = stepSync(p, step.state, { results: c.execute(step.actions), live, nowMs: 2_000 }, opts);
    assert.match(step.message, /waiting for completion of hook batch\/Job\/long/);
    step = stepSync(p, step.state, { live, nowMs: 62_000 }, opts);
    assert.equal(step.phase, 'Terminating');
    assert.deepEqual(
      step.actions.map((a) => a.type === 'delete' && a.reason),
      ['terminate'],
    );
    step = stepSync(p, step.state, { results: c.execute(step.actions), live, nowMs: 62_500 }, opts);
    assert.equal(step.done, true);
    assert.equal(step.phase, 'Failed');
    assert.equal(step.message, 'operation timed out after 60s');
  });

  it('resumes after a restart from the persisted resource results', () => {
    const desired = [
      job('migrate', { 'argocd.argoproj.io/hook': 'PreSync' }),
      deployment('db'),
      deployment('api', { 'argocd.argoproj.io/sync-wave': '1' }),
    ];
    const c = new FakeCluster();
    const p = plan(desired, c);
    // run until the first Sync wave is applied, then "crash"
    const partial = drive(p, c, {
      beforeStep: () => ({
        stop: c.get({ group: 'apps', kind: 'Deployment', namespace: NS, name: 'db' }) !== undefined,
      }),
    });
    const persisted = syncResultResources(p, partial.state);
    assert.ok(persisted.some((r) => r.name === 'db'));
    // a new controller re-plans from the same revision (live state changed, the plan must not)
    const replanned = plan(desired, c);
    assert.equal(replanned.id, p.id);
    const before = c.log.length;
    const { final } = drive(replanned, c, { state: restoreSyncState(replanned, persisted) });
    assert.equal(final.phase, 'Succeeded');
    const after = c.log.slice(before).filter((l) => !l.includes('[dry]'));
    assert.deepEqual(after, ['apply apps/Deployment/web/api'], 'nothing done twice');
  });

  it('keeps its state as plain JSON', () => {
    const c = new FakeCluster();
    const p = plan(
      [deployment('db'), deployment('api', { 'argocd.argoproj.io/sync-wave': '1' })],
      c,
    );
    let state = startSync(p);
    for (let i = 0; i < 5; i++) {
      const step = stepSync(p, state, { live: (k) => c.get(k) });
      assert.deepEqual(JSON.parse(JSON.stringify(step.state)), step.state);
      state = step.state;
      const results = c.execute(step.actions);
      state = stepSync(p, state, { results, live: (k) => c.get(k) }).state;
      c.tick();
    }
  });

  it('refuses a state of another plan and unknown results', () => {
    const c = new FakeCluster();
    const p1 = plan([configMap('a')], c);
    const p2 = plan([configMap('b')], c);
    assert.throws(
      () => stepSync(p2, startSync(p1), { live: () => undefined }),
      (e: unknown) => e instanceof EngineError && e.code === 'ERR_ENGINE_INVALID_SYNC_STATE',
    );
    assert.throws(
      () =>
        stepSync(p1, startSync(p1), {
          live: () => undefined,
          results: [{ id: 'nope#apply', ok: true, message: '' }],
        }),
      (e: unknown) => e instanceof EngineError && e.code === 'ERR_ENGINE_INVALID_SYNC_STATE',
    );
  });

  it('succeeds at once with nothing to do', () => {
    const c = new FakeCluster();
    const { final } = drive(plan([], c), c);
    assert.equal(final.phase, 'Succeeded');
    assert.deepEqual(final.resources, []);
  });
});

describe('planCascadeDeletion', () => {
  it('deletes tracked objects in reverse order and keeps Delete=false', () => {
    const live = [
      configMap('a', { 'argocd.argoproj.io/sync-wave': '-1' }),
      deployment('api'),
      obj('v1', 'Namespace', 'ns'),
      configMap('keep', { 'argocd.argoproj.io/sync-options': 'Delete=false' }),
      {
        ...obj('v1', 'Pod', 'owned'),
        metadata: {
          name: 'owned',
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: 'u' }],
        },
      },
    ];
    const p = planCascadeDeletion(live);
    assert.deepEqual(
      p.delete.map((o) => o.metadata.name),
      ['api', 'ns', 'a'],
    );
    assert.deepEqual(
      p.keep.map((o) => o.metadata.name),
      ['keep'],
    );
  });
});
