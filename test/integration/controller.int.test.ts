/**
 * argocd-application-controller end to end, in-process, against the real kube-apiserver and
 * kube-controller-manager, a real git server over HTTPS and a real repo server over TLS (through a
 * TCP proxy that the repo-server test cuts). There is no kubelet: Pods never run, so workloads are
 * ConfigMaps, Services and Deployments scaled to 0, and the PreSync Job hook is completed by the
 * test patching its status (as a kubelet-run Job would end).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Application, KubeObject } from '../../src/apis/index.js';
import { createRepoServerClient } from '../../src/reposerver/client.js';
import {
  APPS,
  PROJECTS,
  appEvents,
  applicationManifest,
  getApp,
  requestSync,
  setupArgoNamespace,
  startTestController,
  waitForApp,
  type ArgoNamespace,
  type TestController,
} from '../support/controller.js';
import { startGitServer, type FixtureRepo, type GitServer } from '../support/git-server.js';
import { kube, tempNamespace } from '../support/kube.js';
import { startTestRepoServer, type TestRepoServer } from '../support/repo-server.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const CM = { group: '', version: 'v1', resource: 'configmaps' } as const;
const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' } as const;

const cm = (name: string, extra = '', data = 'key: value'): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}data:\n  ${data}\n`;

const FILES: Record<string, string> = {
  'guestbook/cm.yaml': cm('guestbook-config'),
  'guestbook/svc.yaml':
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: guestbook\nspec:\n  ports:\n  - port: 80\n    targetPort: 8080\n  selector:\n    app: guestbook\n',
  'guestbook/deploy.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: guestbook',
    'spec:',
    '  replicas: 0',
    '  selector:',
    '    matchLabels: {app: guestbook}',
    '  template:',
    '    metadata:',
    '      labels: {app: guestbook}',
    '    spec:',
    '      containers:',
    '      - name: web',
    '        image: registry.example/guestbook:v1',
    '',
  ].join('\n'),
  'prune/a.yaml': cm('prune-a'),
  'prune/b.yaml': cm('prune-b'),
  'prune/keep.yaml': cm(
    'prune-keep',
    '  annotations:\n    argocd.argoproj.io/sync-options: Prune=false\n',
  ),
  'selfheal/cm.yaml': cm('selfheal-config', '', 'color: blue'),
  'empty/cm.yaml': cm('only-one'),
  'hooks/presync.yaml': [
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    '  name: presync-migrate',
    '  annotations:',
    '    argocd.argoproj.io/hook: PreSync',
    '    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation',
    'spec:',
    '  backoffLimit: 0',
    '  template:',
    '    spec:',
    '      restartPolicy: Never',
    '      containers:',
    '      - name: migrate',
    '        image: registry.example/migrate:v1',
    '',
  ].join('\n'),
  'hooks/wave1.yaml': cm('wave-one', '  annotations:\n    argocd.argoproj.io/sync-wave: "1"\n'),
  'hooks/wave2.yaml': cm('wave-two', '  annotations:\n    argocd.argoproj.io/sync-wave: "2"\n'),
  'hooks/postsync.yaml': cm(
    'postsync-done',
    '  annotations:\n    argocd.argoproj.io/hook: PostSync\n',
  ),
  'denied/cm.yaml': cm('denied'),
  'denied/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: argocd-ts-denied-ns\n',
};

/** Marks a Job Complete through its status subresource (what the job controller does once its pod succeeded). */
async function completeJob(ns: string, name: string): Promise<void> {
  const k = await kube();
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  await k.patch(
    { ...JOBS, namespace: ns, name, subresource: 'status' },
    {
      status: {
        succeeded: 1,
        startTime: now,
        completionTime: now,
        conditions: [
          { type: 'Complete', status: 'True', lastProbeTime: now, lastTransitionTime: now },
        ],
      },
    },
  );
}

type Obj = KubeObject & { data?: Record<string, string> };

async function getObj(
  ref: { group: string; version: string; resource: string },
  ns: string,
  name: string,
): Promise<Obj | undefined> {
  const k = await kube();
  try {
    return await k.get({ ...ref, namespace: ns, name });
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

async function until(
  what: string,
  cond: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('argocd-application-controller (in-process)', () => {
  let git: GitServer;
  let repo: FixtureRepo;
  let rs: TestRepoServer;
  let proxy: TcpProxy;
  let argo: ArgoNamespace;
  let ctl: TestController;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    git = await startGitServer({ username: 'alice', password: 's3cret-pass' });
    repo = await git.createRepo('apps');
    await repo.write(FILES);
    await repo.commit('initial apps');
    rs = await startTestRepoServer();
    proxy = await TcpProxy.start('127.0.0.1', rs.handle.port);
    argo = await setupArgoNamespace('ctl', git);
    ctl = await startTestController({
      namespace: argo.name,
      repoServer: createRepoServerClient({
        address: `127.0.0.1:${proxy.port}`,
        tls: { kind: 'tls', caPem: rs.ca.certPem },
        timeoutMs: 20_000,
      }),
      selfHeal: { timeoutMs: 0, baseMs: 200, factor: 3, capMs: 5_000 },
    });
  });

  after(async () => {
    await ctl.stop();
    for (const c of cleanups.reverse()) await c();
    await argo.cleanup();
    await proxy.close();
    await rs.close();
    await git.stop();
  });

  async function destNamespace(prefix: string): Promise<string> {
    const ns = await tempNamespace(prefix);
    cleanups.push(ns.cleanup);
    return ns.name;
  }

  async function createApp(app: Application): Promise<void> {
    await argo.client.create({ ...APPS, namespace: argo.name }, app);
  }

  it('syncs an app from a real git repository to Synced and Healthy, with history and events naming the actor', async () => {
    const dest = await destNamespace('guestbook');
    await createApp(
      applicationManifest('guestbook', argo.name, {
        repoURL: git.url('apps'),
        path: 'guestbook',
        destNamespace: dest,
      }),
    );
    const sha = await repo.head();
    const outOfSync = await waitForApp(
      argo.client,
      argo.name,
      'guestbook',
      'OutOfSync and Missing',
      (a) => a.status?.sync?.status === 'OutOfSync' && a.status.health?.status === 'Missing',
    );
    assert.equal(outOfSync.status?.sync?.revision, sha);
    assert.equal(outOfSync.status.resources?.length, 3);
    assert.ok(outOfSync.status.reconciledAt);
    assert.equal(outOfSync.status.sourceType, 'Directory');
    // every operationState the API server stores during the sync (a watch sees each version)
    const opStates: string[] = [];
    const watching = new AbortController();
    const watch = argo.client
      .watch<Application>(
        { ...APPS, namespace: argo.name },
        {
          resourceVersion: outOfSync.metadata.resourceVersion ?? '0',
          fieldSelector: 'metadata.name=guestbook',
          signal: watching.signal,
        },
        (ev) => {
          if (ev.type !== 'MODIFIED') return;
          const st = JSON.stringify(ev.object.status?.operationState ?? null);
          if (st !== 'null' && opStates[opStates.length - 1] !== st) opStates.push(st);
        },
      )
      .catch(() => undefined);
    await requestSync(argo.client, argo.name, 'guestbook', {}, 'admin');
    const synced = await waitForApp(
      argo.client,
      argo.name,
      'guestbook',
      'Synced and Healthy',
      (a) =>
        a.status?.sync?.status === 'Synced' &&
        a.status.health?.status === 'Healthy' &&
        a.status.operationState?.phase === 'Succeeded' &&
        a.operation === undefined,
    );
    const op = synced.status?.operationState;
    await until('the watch has seen the completed operation', () =>
      Promise.resolve(opStates.some((x) => x.includes('"Succeeded"'))),
    );
    watching.abort();
    await watch;
    // a sync finished in one round (one wave, no hooks) writes its operation state once
    assert.equal(opStates.length, 1, `operation states written: ${opStates.join('\n')}`);
    assert.equal(op?.syncResult?.revision, sha);
    assert.equal(op.syncResult.resources?.length, 3);
    assert.ok(op.syncResult.resources.every((r) => r.status === 'Synced'));
    assert.ok(op.finishedAt);
    assert.equal(synced.status?.history?.length, 1);
    assert.equal(synced.status.history[0]?.revision, sha);
    assert.deepEqual(synced.status.summary?.images, ['registry.example/guestbook:v1']);
    const live = await getObj(CM, dest, 'guestbook-config');
    assert.equal(
      live?.metadata.annotations?.['argocd.argoproj.io/tracking-id'],
      `guestbook:/ConfigMap:${dest}/guestbook-config`,
    );
    assert.ok(
      (live.metadata.managedFields as { manager?: string }[] | undefined)?.some(
        (m) => m.manager === 'argocd-controller',
      ),
      'applied with server-side apply by argocd-controller',
    );
    await until('the audit events are recorded', async () => {
      const events = await appEvents(argo.client, argo.name, 'guestbook');
      return events.some((e) => e.reason === 'OperationCompleted');
    });
    const events = await appEvents(argo.client, argo.name, 'guestbook');
    const started = events.find((e) => e.reason === 'OperationStarted');
    assert.ok(started, 'OperationStarted recorded');
    assert.match(started.message, /^admin initiated sync to HEAD/);
    assert.equal(started.annotations.user, 'admin');
    assert.equal(started.component, 'argocd-application-controller');
    assert.ok(
      events.some(
        (e) =>
          e.reason === 'OperationCompleted' && e.message === `Sync operation to ${sha} succeeded`,
      ),
    );
    assert.ok(
      events.some(
        (e) =>
          e.reason === 'ResourceUpdated' &&
          e.message === 'Updated sync status: OutOfSync -> Synced',
      ),
    );
  });

  it('does not write the status again when nothing changed', async () => {
    const before = ctl.controller.counters.statusPatches;
    const app = await getApp(argo.client, argo.name, 'guestbook');
    ctl.controller.requestRefresh('guestbook', 'recent');
    await until('the refresh ran', () =>
      Promise.resolve(
        ctl.controller.refreshQueue.len() === 0 && ctl.controller.refreshQueue.inFlight() === 0,
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    const after = await getApp(argo.client, argo.name, 'guestbook');
    assert.equal(ctl.controller.counters.statusPatches, before);
    assert.equal(after?.metadata.resourceVersion, app?.metadata.resourceVersion);
  });

  it('turns OutOfSync on a manual edit of a live object and self-heal puts it back', async () => {
    const dest = await destNamespace('selfheal');
    await createApp(
      applicationManifest('selfheal', argo.name, {
        repoURL: git.url('apps'),
        path: 'selfheal',
        destNamespace: dest,
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      }),
    );
    await waitForApp(
      argo.client,
      argo.name,
      'selfheal',
      'auto-synced',
      (a) => a.status?.sync?.status === 'Synced' && a.status.operationState?.phase === 'Succeeded',
    );
    await argo.client.patch(
      { ...CM, namespace: dest, name: 'selfheal-config' },
      { data: { color: 'red' } },
    );
    // first OutOfSync, then healed back by an automated sync
    await until(
      'the edit is reverted',
      async () => (await getObj(CM, dest, 'selfheal-config'))?.data?.color === 'blue',
      30_000,
    );
    const healed = await waitForApp(
      argo.client,
      argo.name,
      'selfheal',
      'Synced again',
      (a) =>
        a.status?.sync?.status === 'Synced' &&
        (a.status.operationState?.operation.sync?.autoHealAttemptsCount ?? 0) >= 1,
    );
    assert.deepEqual(healed.status?.operationState?.operation.initiatedBy, { automated: true });
  });

  it('prunes removed manifests and respects Prune=false', async () => {
    const dest = await destNamespace('prune');
    await createApp(
      applicationManifest('prune', argo.name, {
        repoURL: git.url('apps'),
        path: 'prune',
        destNamespace: dest,
        syncPolicy: { automated: { prune: true } },
      }),
    );
    await waitForApp(
      argo.client,
      argo.name,
      'prune',
      'synced',
      (a) => a.status?.sync?.status === 'Synced',
    );
    assert.ok(await getObj(CM, dest, 'prune-b'));
    await repo.remove('prune/b.yaml');
    await repo.remove('prune/keep.yaml');
    const sha = await repo.commit('drop b and keep');
    await argo.client.patch(
      { ...APPS, namespace: argo.name, name: 'prune' },
      { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
    );
    await until(
      'prune-b is deleted',
      async () => (await getObj(CM, dest, 'prune-b')) === undefined,
      30_000,
    );
    const app = await waitForApp(
      argo.client,
      argo.name,
      'prune',
      'synced to the new revision',
      (a) =>
        a.status?.operationState?.syncResult?.revision === sha &&
        a.status.operationState.phase === 'Succeeded',
    );
    assert.ok(await getObj(CM, dest, 'prune-keep'), 'Prune=false keeps the object');
    const keep = app.status?.resources?.find((r) => r.name === 'prune-keep');
    assert.equal(keep?.requiresPruning, true);
    assert.equal(
      app.metadata.annotations?.['argocd.argoproj.io/refresh'],
      undefined,
      'refresh annotation removed',
    );
  });

  it('runs hooks and waves in order: Sync waves wait for the PreSync Job to complete', async () => {
    const dest = await destNamespace('hooks');
    await createApp(
      applicationManifest('hooks', argo.name, {
        repoURL: git.url('apps'),
        path: 'hooks',
        destNamespace: dest,
      }),
    );
    await waitForApp(
      argo.client,
      argo.name,
      'hooks',
      'compared',
      (a) => a.status?.sync?.status === 'OutOfSync',
    );
    await requestSync(argo.client, argo.name, 'hooks');
    await until(
      'the PreSync Job exists',
      async () => (await getObj(JOBS, dest, 'presync-migrate')) !== undefined,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(
      await getObj(CM, dest, 'wave-one'),
      undefined,
      'wave 1 waits for the PreSync hook',
    );
    const running = await getApp(argo.client, argo.name, 'hooks');
    assert.equal(running?.status?.operationState?.phase, 'Running');
    await completeJob(dest, 'presync-migrate');
    const done = await waitForApp(
      argo.client,
      argo.name,
      'hooks',
      'sync succeeded',
      (a) => a.status?.operationState?.phase === 'Succeeded',
    );
    const w1 = await getObj(CM, dest, 'wave-one');
    const w2 = await getObj(CM, dest, 'wave-two');
    const post = await getObj(CM, dest, 'postsync-done');
    assert.ok(w1 && w2 && post);
    const results = done.status?.operationState?.syncResult?.resources ?? [];
    const hook = results.find((r) => r.name === 'presync-migrate');
    assert.equal(hook?.hookPhase, 'Succeeded');
    assert.equal(hook.syncPhase, 'PreSync');
    assert.equal(results.find((r) => r.name === 'postsync-done')?.syncPhase, 'PostSync');
  });

  it('terminates a running sync on request and marks it Failed', async () => {
    const dest = await destNamespace('terminate');
    await createApp(
      applicationManifest('terminate', argo.name, {
        repoURL: git.url('apps'),
        path: 'hooks',
        destNamespace: dest,
      }),
    );
    await waitForApp(
      argo.client,
      argo.name,
      'terminate',
      'compared',
      (a) => a.status?.sync?.status === 'OutOfSync',
    );
    await requestSync(argo.client, argo.name, 'terminate');
    await until(
      'the PreSync Job exists',
      async () => (await getObj(JOBS, dest, 'presync-migrate')) !== undefined,
    );
    await argo.client.patch(
      { ...APPS, namespace: argo.name, name: 'terminate' },
      { status: { operationState: { phase: 'Terminating' } } },
    );
    const app = await waitForApp(
      argo.client,
      argo.name,
      'terminate',
      'operation failed',
      (a) => a.status?.operationState?.phase === 'Failed',
    );
    assert.match(app.status?.operationState?.message ?? '', /terminat/i);
    assert.equal(app.operation, undefined);
    assert.equal(
      await getObj(CM, dest, 'wave-one'),
      undefined,
      'nothing after the hook was applied',
    );
  });

  it('refuses a sync that would delete everything when allowEmpty is false', async () => {
    const dest = await destNamespace('empty');
    await createApp(
      applicationManifest('empty', argo.name, {
        repoURL: git.url('apps'),
        path: 'empty',
        destNamespace: dest,
        syncPolicy: { automated: { prune: true } },
      }),
    );
    await waitForApp(
      argo.client,
      argo.name,
      'empty',
      'synced',
      (a) => a.status?.sync?.status === 'Synced',
    );
    await repo.remove('empty/cm.yaml');
    await repo.write({ 'empty/README.md': 'nothing to deploy\n' });
    await repo.commit('empty the app');
    await argo.client.patch(
      { ...APPS, namespace: argo.name, name: 'empty' },
      { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
    );
    const app = await waitForApp(argo.client, argo.name, 'empty', 'SyncError condition', (a) =>
      (a.status?.conditions ?? []).some((c) => c.type === 'SyncError'),
    );
    assert.match(
      app.status?.conditions?.find((c) => c.type === 'SyncError')?.message ?? '',
      /auto-sync will wipe out all resources/,
    );
    assert.ok(await getObj(CM, dest, 'only-one'), 'nothing was deleted');
  });

  describe('project rules refuse the app with a condition naming the rule, applying nothing', () => {
    const cases = [
      {
        name: 'sourceRepos deny pattern',
        spec: {
          sourceRepos: ['*', '!https://127.0.0.1:*/apps.git'],
          destinations: [{ server: '*', namespace: '*' }],
        },
        path: 'guestbook',
        want: /denied by sourceRepos pattern/,
      },
      {
        name: 'a ! pattern alone never allows',
        spec: {
          sourceRepos: ['!https://elsewhere.example/*'],
          destinations: [{ server: '*', namespace: '*' }],
        },
        path: 'guestbook',
        want: /matches none of the sourceRepos patterns/,
      },
      {
        name: 'destination deny rule',
        spec: {
          sourceRepos: ['*'],
          destinations: [
            { server: '*', namespace: '!argocd-ts-test-*' },
            { server: '*', namespace: '*' },
          ],
        },
        path: 'guestbook',
        want: /denied by the destination rule/,
      },
      {
        name: 'cluster-scoped kind not whitelisted',
        spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
        path: 'denied',
        want: /:Namespace is not in clusterResourceWhitelist/,
      },
      {
        name: 'namespaced kind blacklisted',
        spec: {
          sourceRepos: ['*'],
          destinations: [{ server: '*', namespace: '*' }],
          namespaceResourceBlacklist: [{ group: '', kind: 'ConfigMap' }],
        },
        path: 'guestbook',
        want: /:ConfigMap is in namespaceResourceBlacklist/,
      },
    ];
    let i = 0;
    for (const c of cases)
      it(c.name, async () => {
        i++;
        const proj = `restricted-${i}`;
        const dest = await destNamespace(`proj${i}`);
        await argo.client.create(
          { ...PROJECTS, namespace: argo.name },
          {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'AppProject',
            metadata: { name: proj, namespace: argo.name },
            spec: c.spec,
          },
        );
        const name = `denied-${i}`;
        await createApp(
          applicationManifest(name, argo.name, {
            repoURL: git.url('apps'),
            path: c.path,
            destNamespace: dest,
            project: proj,
            syncPolicy: { automated: { prune: true } },
          }),
        );
        const app = await waitForApp(argo.client, argo.name, name, 'InvalidSpecError', (a) =>
          (a.status?.conditions ?? []).some((x) => x.type === 'InvalidSpecError'),
        );
        const cond = app.status?.conditions?.find((x) => x.type === 'InvalidSpecError');
        assert.match(cond?.message ?? '', c.want);
        assert.ok(cond?.lastTransitionTime);
        assert.equal(app.operation, undefined, 'no automated sync');
        assert.equal(
          await getObj(CM, dest, c.path === 'denied' ? 'denied' : 'guestbook-config'),
          undefined,
        );
      });
  });

  it('reports ComparisonError while the repo server is unreachable and recovers by itself', async () => {
    const dest = await destNamespace('reposrv');
    proxy.block();
    try {
      await createApp(
        applicationManifest('reposrv', argo.name, {
          repoURL: git.url('apps'),
          path: 'guestbook',
          destNamespace: dest,
        }),
      );
      const app = await waitForApp(argo.client, argo.name, 'reposrv', 'ComparisonError', (a) =>
        (a.status?.conditions ?? []).some((c) => c.type === 'ComparisonError'),
      );
      assert.equal(app.status?.sync?.status, 'Unknown');
      assert.doesNotMatch(JSON.stringify(app.status), /s3cret-pass/, 'no credential in the status');
    } finally {
      proxy.unblock();
    }
    const recovered = await waitForApp(
      argo.client,
      argo.name,
      'reposrv',
      'compared after recovery',
      (a) =>
        a.status?.sync?.status === 'OutOfSync' &&
        !(a.status.conditions ?? []).some((c) => c.type === 'ComparisonError'),
    );
    assert.equal(recovered.status?.resources?.length, 3);
  });

  it('writes reconciledAt of an unchanged app on an explicit refresh at once, not on a periodic one', async () => {
    const dest = await destNamespace('stamp');
    await createApp(
      applicationManifest('stamp', argo.name, {
        repoURL: git.url('apps'),
        path: 'guestbook',
        destNamespace: dest,
      }),
    );
    const first = await waitForApp(argo.client, argo.name, 'stamp', 'compared', (a) =>
      Boolean(a.status?.reconciledAt && a.status.sync?.status === 'OutOfSync'),
    );
    const stamped = first.status?.reconciledAt;
    // reconciledAt has whole seconds: a write after this would change it
    await new Promise((r) => setTimeout(r, 1_100));
    const c = ctl.controller;
    const before = c.counters.refreshes;
    c.requestRefresh('stamp', 'periodic');
    await until(
      'the periodic refresh ran',
      () =>
        Promise.resolve(
          c.counters.refreshes > before &&
            c.refreshQueue.len() === 0 &&
            c.refreshQueue.inFlight() === 0,
        ),
      30_000,
    );
    const periodic = await getApp(argo.client, argo.name, 'stamp');
    assert.equal(periodic?.status?.reconciledAt, stamped, 'an unchanged app is not written');
    await argo.client.patch(
      { ...APPS, namespace: argo.name, name: 'stamp' },
      { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
    );
    const refreshed = await waitForApp(
      argo.client,
      argo.name,
      'stamp',
      'reconciledAt moved and the refresh annotation removed',
      (a) =>
        a.status?.reconciledAt !== stamped &&
        a.metadata.annotations?.['argocd.argoproj.io/refresh'] === undefined,
      10_000,
    );
    assert.ok(Date.parse(refreshed.status?.reconciledAt ?? '') > Date.parse(stamped ?? ''));
  });

  it('keeps the last comparison while the repo server fails within the grace period; a refresh request reports at once', async () => {
    const dest = await destNamespace('grace');
    await createApp(
      applicationManifest('grace', argo.name, {
        repoURL: git.url('apps'),
        path: 'guestbook',
        destNamespace: dest,
      }),
    );
    await waitForApp(argo.client, argo.name, 'grace', 'compared', (a) =>
      Boolean(a.status?.reconciledAt && a.status.sync?.status === 'OutOfSync'),
    );
    const c = ctl.controller;
    proxy.block();
    try {
      // past the 1 s reuse of a resolved revision: the periodic refresh asks the repo server
      await new Promise((r) => setTimeout(r, 1_100));
      const refused = proxy.refused;
      c.requestRefresh('grace', 'periodic');
      // the refresh failed at least twice (first attempt and a retry with backoff)
      await until(
        'the repo server was tried',
        () => Promise.resolve(proxy.refused >= refused + 2),
        30_000,
      );
      const kept = await getApp(argo.client, argo.name, 'grace');
      assert.equal(kept?.status?.sync?.status, 'OutOfSync', 'the last comparison is kept');
      assert.equal(kept.status.resources?.length, 3);
      assert.ok(!(kept.status.conditions ?? []).some((x) => x.type === 'ComparisonError'));
      await argo.client.patch(
        { ...APPS, namespace: argo.name, name: 'grace' },
        { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
      );
      const reported = await waitForApp(argo.client, argo.name, 'grace', 'ComparisonError', (a) =>
        (a.status?.conditions ?? []).some((x) => x.type === 'ComparisonError'),
      );
      assert.equal(reported.status?.sync?.status, 'Unknown');
    } finally {
      proxy.unblock();
    }
    await waitForApp(
      argo.client,
      argo.name,
      'grace',
      'compared after recovery',
      (a) =>
        a.status?.sync?.status === 'OutOfSync' &&
        !(a.status.conditions ?? []).some((x) => x.type === 'ComparisonError'),
    );
  });

  it('warns about orphaned resources in the destination namespace when the project asks', async () => {
    const dest = await destNamespace('orphan');
    await argo.client.create(
      { ...PROJECTS, namespace: argo.name },
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: 'orphans', namespace: argo.name },
        spec: {
          sourceRepos: ['*'],
          destinations: [{ server: '*', namespace: '*' }],
          orphanedResources: { warn: true, ignore: [{ kind: 'Secret' }] },
        },
      },
    );
    const admin = await kube();
    await admin.create(
      { ...CM, namespace: dest },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stray', namespace: dest } },
    );
    await admin.create(
      { group: '', version: 'v1', resource: 'secrets', namespace: dest },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ignored', namespace: dest } },
    );
    await createApp(
      applicationManifest('orphan', argo.name, {
        repoURL: git.url('apps'),
        path: 'guestbook',
        destNamespace: dest,
        project: 'orphans',
        syncPolicy: { automated: {} },
      }),
    );
    const warned = await waitForApp(
      argo.client,
      argo.name,
      'orphan',
      'OrphanedResourceWarning',
      (a) =>
        a.status?.sync?.status === 'Synced' &&
        (a.status.conditions ?? []).some((x) => x.type === 'OrphanedResourceWarning'),
    );
    const cond = warned.status?.conditions?.find((x) => x.type === 'OrphanedResourceWarning');
    // the stray ConfigMap only: the synced objects, the ignored Secret, the default
    // ServiceAccount, kube-root-ca.crt and the Service's Endpoints are not orphaned
    assert.equal(cond?.message, 'Application has 1 orphaned resources');
    await admin.delete({ ...CM, namespace: dest, name: 'stray' });
    await waitForApp(
      argo.client,
      argo.name,
      'orphan',
      'warning cleared',
      (a) => !(a.status?.conditions ?? []).some((x) => x.type === 'OrphanedResourceWarning'),
    );
  });

  it('deletes the managed resources (cascade) before removing the resources finalizer', async () => {
    const dest = await destNamespace('cascade');
    await createApp(
      applicationManifest(
        'cascade',
        argo.name,
        {
          repoURL: git.url('apps'),
          path: 'guestbook',
          destNamespace: dest,
          syncPolicy: { automated: {} },
        },
        { finalizers: ['resources-finalizer.argocd.argoproj.io'] },
      ),
    );
    await waitForApp(
      argo.client,
      argo.name,
      'cascade',
      'synced',
      (a) => a.status?.sync?.status === 'Synced',
    );
    assert.ok(await getObj(CM, dest, 'guestbook-config'));
    await argo.client.delete({ ...APPS, namespace: argo.name, name: 'cascade' });
    await until(
      'the Application is gone',
      async () => (await getApp(argo.client, argo.name, 'cascade')) === undefined,
      60_000,
    );
    assert.equal(await getObj(CM, dest, 'guestbook-config'), undefined);
    assert.equal(
      await getObj({ group: '', version: 'v1', resource: 'services' }, dest, 'guestbook'),
      undefined,
    );
    const events = await appEvents(argo.client, argo.name, 'cascade');
    assert.ok(events.some((e) => e.reason === 'ResourceDeleted'));
  });
});
