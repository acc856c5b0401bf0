/**
 * Two argocd-ts instances on one cluster (two control-plane namespaces, two controllers), each with
 * an app named `web` and its own `installationID` in argocd-cm: neither prunes, adopts or
 * overwrites the other's objects. Real kube-apiserver, real git server, real repo server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Application, KubeObject } from '../../src/apis/index.js';
import {
  APPS,
  applicationManifest,
  requestSync,
  setupArgoNamespace,
  startTestController,
  waitForApp,
  type ArgoNamespace,
  type TestController,
} from '../support/controller.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { kube, tempNamespace } from '../support/kube.js';
import { startTestRepoServer, type TestRepoServer } from '../support/repo-server.js';

const CM = { group: '', version: 'v1', resource: 'configmaps' } as const;
const INSTALLATION = 'argocd.argoproj.io/installation-id';

type Obj = KubeObject & { data?: Record<string, string> };

async function getConfigMap(ns: string, name: string): Promise<Obj | undefined> {
  try {
    return await (await kube()).get<Obj>({ ...CM, namespace: ns, name });
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

let syncs = 0;

describe('two instances on one cluster (argocd-cm installationID)', () => {
  let git: GitServer;
  let rs: TestRepoServer;
  let argoA: ArgoNamespace;
  let argoB: ArgoNamespace;
  let ctlA: TestController;
  let ctlB: TestController;
  let destA = '';
  let destB = '';
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    git = await startGitServer({ username: 'alice', password: 's3cret-pass' });
    const repo = await git.createRepo('apps');
    await repo.write({
      'web/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  k: v\n',
    });
    await repo.commit('web');
    rs = await startTestRepoServer();
    [argoA, argoB] = await Promise.all([
      setupArgoNamespace('inst-a', git, { installationID: 'instance-a' }),
      setupArgoNamespace('inst-b', git, { installationID: 'instance-b' }),
    ]);
    const [a, b] = await Promise.all([tempNamespace('inst-dest-a'), tempNamespace('inst-dest-b')]);
    cleanups.push(a.cleanup, b.cleanup);
    destA = a.name;
    destB = b.name;
    [ctlA, ctlB] = await Promise.all([
      startTestController({ namespace: argoA.name, repoServer: rs.client() }),
      startTestController({ namespace: argoB.name, repoServer: rs.client() }),
    ]);
  });

  after(async () => {
    await Promise.all([ctlA.stop(), ctlB.stop()]);
    for (const c of cleanups) await c();
    await Promise.all([argoA.cleanup(), argoB.cleanup()]);
    await rs.close();
    await git.stop();
  });

  async function syncApp(argo: ArgoNamespace, name: string): Promise<Application> {
    // a user name per request tells this sync's result from an earlier one
    const user = `tester-${String(++syncs)}`;
    await requestSync(argo.client, argo.name, name, { prune: true }, user);
    return waitForApp(
      argo.client,
      argo.name,
      name,
      `the sync by ${user} to finish`,
      (a) =>
        a.operation === undefined &&
        a.status?.operationState?.operation.initiatedBy?.username === user &&
        (a.status.operationState.phase === 'Succeeded' ||
          a.status.operationState.phase === 'Failed'),
    );
  }

  it('syncs the same app name in both instances, each pruning only its own objects', async () => {
    await argoA.client.create(
      { ...APPS, namespace: argoA.name },
      applicationManifest('web', argoA.name, {
        repoURL: git.url('apps'),
        path: 'web',
        destNamespace: destA,
      }),
    );
    const a1 = await syncApp(argoA, 'web');
    assert.equal(a1.status?.operationState?.phase, 'Succeeded', JSON.stringify(a1.status));
    assert.equal(
      (await getConfigMap(destA, 'web-config'))?.metadata.annotations?.[INSTALLATION],
      'instance-a',
    );

    await argoB.client.create(
      { ...APPS, namespace: argoB.name },
      applicationManifest('web', argoB.name, {
        repoURL: git.url('apps'),
        path: 'web',
        destNamespace: destB,
      }),
    );
    const b1 = await syncApp(argoB, 'web');
    assert.equal(b1.status?.operationState?.phase, 'Succeeded', JSON.stringify(b1.status));
    assert.deepEqual(
      b1.status.operationState.syncResult?.resources?.map((r) => `${r.namespace}/${r.name}`),
      [`${destB}/web-config`],
      "B's sync touched objects of A",
    );
    // a second prune sync of A after B's objects exist
    const a2 = await syncApp(argoA, 'web');
    assert.equal(a2.status?.operationState?.phase, 'Succeeded');
    const [liveA, liveB] = await Promise.all([
      getConfigMap(destA, 'web-config'),
      getConfigMap(destB, 'web-config'),
    ]);
    assert.equal(liveA?.metadata.annotations?.[INSTALLATION], 'instance-a');
    assert.equal(liveB?.metadata.annotations?.[INSTALLATION], 'instance-b', "A pruned B's object");
    const settled = await waitForApp(
      argoA.client,
      argoA.name,
      'web',
      'A lists only its own',
      (a) => (a.status?.resources ?? []).length === 1,
    );
    assert.equal(settled.status?.resources?.[0]?.namespace, destA);
    assert.equal(settled.status.sync?.status, 'Synced');
  });

  it("reports another instance's object at a desired key as a comparison error and refuses to sync it", async () => {
    await argoB.client.create(
      { ...APPS, namespace: argoB.name },
      applicationManifest('clash', argoB.name, {
        repoURL: git.url('apps'),
        path: 'web',
        destNamespace: destA,
      }),
    );
    const seen = await waitForApp(argoB.client, argoB.name, 'clash', 'a ComparisonError', (a) =>
      (a.status?.conditions ?? []).some(
        (c) => c.type === 'ComparisonError' && /another Argo CD installation/.test(c.message),
      ),
    );
    assert.match(
      seen.status?.conditions?.find((c) => c.type === 'ComparisonError')?.message ?? '',
      /ConfigMap\/web-config is managed by another Argo CD installation \(installation id "instance-a"\)/,
    );
    const synced = await syncApp(argoB, 'clash');
    assert.equal(synced.status?.operationState?.phase, 'Failed');
    assert.match(
      synced.status.operationState.message ?? '',
      /managed by another Argo CD installation/,
    );
    const live = await getConfigMap(destA, 'web-config');
    assert.equal(live?.metadata.annotations?.[INSTALLATION], 'instance-a');
    assert.equal(
      live.metadata.annotations['argocd.argoproj.io/tracking-id'],
      `web:/ConfigMap:${destA}/web-config`,
    );
  });
});
