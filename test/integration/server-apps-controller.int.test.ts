/**
 * The applications API with the real application controller acting on what the API writes (real
 * kube-apiserver, repo server, git server): an app created through the API is compared by the
 * controller, a sync requested through the API runs to Synced, `?refresh=` waits for the
 * controller's reconciliation, managed resources report nothing modified, the watch stream carries
 * the controller's status updates, and a cascading delete removes the live objects and the app.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigNames, type Application, type KubeObject } from '../../src/apis/index.js';
import { isNotFound, type KubeClient } from '../../src/kube/index.js';
import { startTestController, type TestController } from '../support/controller.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { startTestRepoServer, type TestRepoServer } from '../support/repo-server.js';
import { secretObject, startTestApiServer, type TestApiServer } from '../support/api-server.js';
import { tempNamespace } from '../support/kube.js';

const APPS = { group: 'argoproj.io', version: 'v1alpha1', resource: 'applications' } as const;
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' } as const;

describe('applications API with the application controller', () => {
  let git: GitServer;
  let rs: TestRepoServer;
  let srv: TestApiServer;
  let ctl: TestController;
  let k: KubeClient;
  let dest: { name: string; cleanup: () => Promise<void> };
  let admin: string;
  let sha: string;

  const live = (): Promise<Application> =>
    k.get<Application>({ ...APPS, namespace: srv.namespace, name: 'guestbook' });
  const until = async (what: string, cond: (a: Application) => boolean): Promise<Application> => {
    let last: Application | undefined;
    await srv.waitFor(
      async () => {
        try {
          last = await live();
        } catch (err) {
          if (isNotFound(err)) return false;
          throw err;
        }
        return cond(last);
      },
      what,
      60_000,
    );
    if (!last) throw new Error(`no application while waiting for ${what}`);
    return last;
  };

  before(async () => {
    git = await startGitServer({ username: 'git-user', password: 'git-password-C' });
    const repo = await git.createRepo('apps');
    await repo.write({
      'guestbook/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gb-a}\ndata: {k: v}\n',
      'guestbook/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gb-b}\ndata: {k: w}\n',
    });
    sha = await repo.commit('guestbook');
    rs = await startTestRepoServer();
    dest = await tempNamespace('ctl-dest');
    srv = await startTestApiServer({
      namePrefix: 'srv-ctl',
      // its own installation on the shared cluster: a `guestbook` app of a test running beside this
      // one must not count these objects, nor this app theirs
      cm: { installationID: `srv-ctl-${String(process.pid)}` },
      objects: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: ConfigNames.tlsCertsCm },
          data: { '127.0.0.1': git.caPem },
        },
        secretObject(
          'repo-apps',
          { type: 'git', url: git.url('apps'), username: 'git-user', password: 'git-password-C' },
          { 'argocd.argoproj.io/secret-type': 'repository' },
        ),
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'AppProject',
          metadata: { name: 'default' },
          spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
        },
      ],
      options: { applications: { refreshWaitMs: 20_000 } },
      deps: { repoServer: rs.client() },
    });
    k = srv.kube;
    admin = await srv.login('admin', srv.adminPassword);
    ctl = await startTestController({ namespace: srv.namespace, repoServer: rs.client() });
  });
  after(async () => {
    await ctl.stop();
    await srv.close();
    await rs.close();
    await git.stop();
    await dest.cleanup();
  });

  it('creates an app through the API that the controller compares', async () => {
    const res = await srv.request('POST', '/api/v1/applications', {
      token: admin,
      body: {
        metadata: { name: 'guestbook' },
        spec: {
          project: 'default',
          source: { repoURL: git.url('apps'), path: 'guestbook', targetRevision: 'HEAD' },
          destination: { server: 'https://kubernetes.default.svc', namespace: dest.name },
        },
      },
    });
    assert.equal(res.status, 200, res.text);
    const a = await until(
      'the controller compared the app',
      (x) => x.status?.sync?.status === 'OutOfSync',
    );
    assert.equal(a.status?.sync?.revision, sha);
    assert.equal(a.status.resources?.length, 2);
  });

  it('syncs through the API until the app is Synced, and streams the progress', async () => {
    const stream = await new Promise<{ text: () => string; close: () => void }>(
      (resolve, reject) => {
        void import('node:https').then(({ request }) => {
          const req = request(
            new URL('/api/v1/stream/applications?name=guestbook', srv.url),
            {
              headers: { accept: 'text/event-stream', authorization: `Bearer ${admin}` },
              agent: false,
              ...(srv.caPem ? { ca: srv.caPem } : {}),
            },
            (r) => {
              let text = '';
              r.setEncoding('utf8');
              r.on('data', (d: string) => (text += d));
              resolve({ text: () => text, close: () => req.destroy() });
            },
          );
          req.on('error', reject);
          req.end();
        });
      },
    );
    try {
      const res = await srv.request('POST', '/api/v1/applications/guestbook/sync', {
        token: admin,
        body: { revision: 'HEAD', prune: true, strategy: { hook: { force: false } } },
      });
      assert.equal(res.status, 200, res.text);
      const a = await until(
        'the sync to succeed',
        (x) =>
          x.status?.operationState?.phase === 'Succeeded' && x.status.sync?.status === 'Synced',
      );
      assert.equal(a.status?.operationState?.operation.initiatedBy?.username, 'admin');
      assert.equal(a.status.operationState.syncResult?.revision, sha);
      assert.equal(a.operation, undefined);
      const cm = await k.get<KubeObject & { data: Record<string, string> }>({
        ...CONFIGMAPS,
        namespace: dest.name,
        name: 'gb-a',
      });
      assert.equal(cm.data.k, 'v');
      await srv.waitFor(
        () => stream.text().includes('"phase":"Succeeded"'),
        'the stream to carry the result',
      );
    } finally {
      stream.close();
    }
  });

  it('waits for the controller on ?refresh and reports nothing modified', async () => {
    const before = Date.now();
    const res = await srv.request('GET', '/api/v1/applications/guestbook?refresh=normal', {
      token: admin,
    });
    assert.equal(res.status, 200, res.text);
    const a = res.json<Application>();
    assert.equal(a.metadata.annotations?.['argocd.argoproj.io/refresh'], undefined);
    assert.ok(Date.parse(a.status?.reconciledAt ?? '') >= Math.floor(before / 1000) * 1000);
    const mr = await srv.request('GET', '/api/v1/applications/guestbook/managed-resources', {
      token: admin,
    });
    assert.equal(mr.status, 200, mr.text);
    const items = mr.json<{ items: { name: string; modified: boolean }[] }>().items;
    assert.deepEqual(
      items.map((i) => [i.name, i.modified]),
      [
        ['gb-a', false],
        ['gb-b', false],
      ],
    );
    const tree = await srv.request('GET', '/api/v1/applications/guestbook/resource-tree', {
      token: admin,
    });
    assert.deepEqual(
      tree
        .json<{ nodes: { name: string }[] }>()
        .nodes.map((n) => n.name)
        .sort(),
      ['gb-a', 'gb-b'],
    );
  });

  it('deletes with cascade: the controller removes the live objects, then the app', async () => {
    const res = await srv.request('DELETE', '/api/v1/applications/guestbook?cascade=true', {
      token: admin,
      contentType: 'application/json',
    });
    assert.equal(res.status, 200, res.text);
    await srv.waitFor(
      async () => {
        try {
          await live();
          return false;
        } catch (err) {
          if (isNotFound(err)) return true;
          throw err;
        }
      },
      'the app to be gone',
      60_000,
    );
    const left = await k.list({ ...CONFIGMAPS, namespace: dest.name });
    assert.deepEqual(
      left.items.map((c) => c.metadata.name).filter((n) => n?.startsWith('gb-')),
      [],
    );
  });
});
