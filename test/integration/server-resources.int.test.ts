/**
 * Projects, repositories, credential templates and clusters through the real API server, with a
 * real repo server and a real git server (HTTPS, basic auth) and the real kube-apiserver as a
 * managed cluster: storage exactly as Argo CD (labelled Secrets, AppProjects), credentials never
 * in any response (raw bodies are searched), RBAC per endpoint including CVE-2023-23947 (old and
 * new cluster authorised), CVE-2025-55190 (detailed project sanitised), CVE-2023-40029
 * (last-applied stripped), CVE-2022-24730 (app details need more than repository read), audit
 * Events with the actor, validation, optimistic concurrency and pagination.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigNames,
  decodeSecretData,
  type KubeObject,
  type Secret,
} from '../../src/apis/index.js';
import { loadKubeconfig } from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { startTestRepoServer, type TestRepoServer } from '../support/repo-server.js';
import { secretObject, startTestApiServer, type TestApiServer } from '../support/api-server.js';

const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;
const GIT_PASSWORD = 'git-password-Xq7Z';
const enc = encodeURIComponent;

describe('argocd-server projects, repositories and clusters', () => {
  let git: GitServer;
  let rs: TestRepoServer;
  let srv: TestApiServer;
  let admin: string;
  let dev: string;
  let kubeconfig: ReturnType<typeof loadKubeconfig>;
  let repoUrl: string;

  const secretsOf = async (type: string): Promise<Secret[]> =>
    (
      await srv.kube.list<Secret>(
        { ...SECRETS, namespace: srv.namespace },
        { labelSelector: `argocd.argoproj.io/secret-type=${type}` },
      )
    ).items;

  /** every credential value the test ever sent; none may appear in a response body */
  const credentials = (): string[] => [
    GIT_PASSWORD,
    kubeconfig.keyPem ?? '',
    Buffer.from(kubeconfig.keyPem ?? '').toString('base64'),
    Buffer.from(kubeconfig.certPem ?? '').toString('base64'),
    'cluster-bearer-token-value',
    'applied-secret-token',
  ];
  const assertClean = (text: string, what: string): void => {
    for (const c of credentials())
      if (c !== '') assert.ok(!text.includes(c), `${what} leaks a credential`);
  };

  before(async () => {
    git = await startGitServer({ username: 'git-user', password: GIT_PASSWORD });
    const repo = await git.createRepo('apps');
    await repo.write({
      'guestbook/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook}\n',
      'kust/kustomization.yaml': 'resources: [cm.yaml]\n',
      'kust/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kust}\n',
    });
    await repo.commit('guestbook');
    repoUrl = git.url('apps');
    rs = await startTestRepoServer();
    kubeconfig = loadKubeconfig((await testCluster()).kubeconfigPath);
    srv = await startTestApiServer({
      namePrefix: 'srv-res',
      cm: {
        'accounts.dev': 'login',
        globalProjects:
          '- projectName: shared\n  labelSelector:\n    matchLabels:\n      team: a\n',
        'project.links':
          '- title: Docs\n  url: https://docs.example.com/{{.project.metadata.name}}\n- title: Bad\n  url: javascript:alert(1)\n',
      },
      rbac: {
        'policy.csv': [
          'p, dev, clusters, get, team-x/*, allow',
          'p, dev, clusters, update, team-x/*, allow',
          'p, dev, repositories, get, *, allow',
          'p, dev, projects, get, *, allow',
        ].join('\n'),
      },
      objects: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: ConfigNames.tlsCertsCm },
          data: { '127.0.0.1': git.caPem },
        },
      ],
      deps: { repoServer: rs.client() },
    });
    admin = await srv.login('admin', srv.adminPassword);
    await srv.request('PUT', '/api/v1/account/password', {
      token: admin,
      body: { name: 'dev', currentPassword: srv.adminPassword, newPassword: 'dev-password-1' },
    });
    dev = await srv.login('dev', 'dev-password-1');
  });
  after(async () => {
    await srv.close();
    await rs.close();
    await git.stop();
  });

  describe('projects', () => {
    const base = (name: string, extra: Record<string, unknown> = {}) => ({
      metadata: { name, labels: { team: 'a' } },
      spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], ...extra },
    });

    it('creates, reads, upserts and lists projects, paginated', async () => {
      for (const name of ['shared', 'team-x', 'team-y']) {
        const res = await srv.request('POST', '/api/v1/projects', {
          token: admin,
          body: { project: base(name) },
        });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json<{ kind: string }>().kind, 'AppProject');
      }
      const again = await srv.request('POST', '/api/v1/projects', {
        token: admin,
        body: { project: base('team-y') },
      });
      assert.equal(again.status, 200);
      const different = await srv.request('POST', '/api/v1/projects', {
        token: admin,
        body: { project: base('team-y', { description: 'changed' }) },
      });
      assert.equal(different.status, 400);
      const upsert = await srv.request('POST', '/api/v1/projects', {
        token: admin,
        body: { project: base('team-y', { description: 'changed' }), upsert: true },
      });
      assert.equal(upsert.status, 200);
      assert.equal(upsert.json<{ spec: { description: string } }>().spec.description, 'changed');
      const p1 = await srv.request('GET', '/api/v1/projects?limit=2', { token: admin });
      const page1 = p1.json<{
        items: { metadata: { name: string } }[];
        metadata: { continue: string; remainingItemCount: number };
      }>();
      assert.deepEqual(
        page1.items.map((p) => p.metadata.name),
        ['shared', 'team-x'],
      );
      assert.equal(page1.metadata.remainingItemCount, 1);
      const p2 = await srv.request(
        'GET',
        `/api/v1/projects?limit=2&continue=${page1.metadata.continue}`,
        { token: admin },
      );
      assert.deepEqual(
        p2.json<{ items: { metadata: { name: string } }[] }>().items.map((p) => p.metadata.name),
        ['team-y'],
      );
      assert.equal(
        (await srv.request('GET', '/api/v1/projects?continue=garbage', { token: admin })).status,
        400,
      );
      const all = await srv.request('GET', '/api/v1/projects', { token: admin });
      assert.ok(all.json<{ metadata: { resourceVersion?: string } }>().metadata);
    });

    it('validates roles, policies and source repositories', async () => {
      const cases = [
        {
          name: 'a 5-field role policy',
          spec: { roles: [{ name: 'ci', policies: ['p, proj:bad:ci, applications, get, bad/*'] }] },
          field: /policies\[0\]/,
        },
        {
          name: "a policy for another project's objects",
          spec: {
            roles: [
              { name: 'ci', policies: ['p, proj:bad:ci, applications, get, other/*, allow'] },
            ],
          },
          field: /object must be/,
        },
        { name: 'a bad role name', spec: { roles: [{ name: '-ci' }] }, field: /roles\[0\]\.name/ },
        {
          name: 'a group with a line break',
          spec: { roles: [{ name: 'ci', groups: ['a\nb'] }] },
          field: /groups\[0\]/,
        },
        { name: '!* in sourceRepos', spec: { sourceRepos: ['!*'] }, field: /sourceRepos\[0\]/ },
        {
          name: 'a sync window without a schedule',
          spec: { syncWindows: [{ kind: 'allow', duration: '1h' }] },
          field: /schedule/,
        },
      ];
      for (const c of cases) {
        const res = await srv.request('POST', '/api/v1/projects', {
          token: admin,
          body: { project: { metadata: { name: 'bad' }, spec: c.spec } },
        });
        assert.equal(res.status, 400, c.name);
        assert.match(res.json<{ message: string }>().message, c.field, c.name);
      }
      const badName = await srv.request('POST', '/api/v1/projects', {
        token: admin,
        body: { project: { metadata: { name: 'Bad_Name' }, spec: {} } },
      });
      assert.equal(badName.status, 400);
    });

    it('updates with optimistic concurrency and refuses a stale resourceVersion', async () => {
      const current = (await srv.request('GET', '/api/v1/projects/team-x', { token: admin })).json<{
        metadata: { resourceVersion: string };
      }>();
      const update = base('team-x', {
        description: 'v2',
        syncWindows: [{ kind: 'deny', schedule: '0 22 * * *', duration: '1h' }],
      });
      const ok = await srv.request('PUT', '/api/v1/projects/team-x', {
        token: admin,
        body: {
          project: {
            ...update,
            metadata: { ...update.metadata, resourceVersion: current.metadata.resourceVersion },
          },
        },
      });
      assert.equal(ok.status, 200, ok.text);
      const stale = await srv.request('PUT', '/api/v1/projects/team-x', {
        token: admin,
        body: {
          project: {
            ...update,
            metadata: { ...update.metadata, resourceVersion: current.metadata.resourceVersion },
          },
        },
      });
      assert.equal(stale.status, 409);
      const windows = await srv.request('GET', '/api/v1/projects/team-x/syncwindows', {
        token: admin,
      });
      assert.deepEqual(windows.json(), {
        windows: [{ kind: 'deny', schedule: '0 22 * * *', duration: '1h' }],
      });
      assert.equal(
        (
          await srv.request('PUT', '/api/v1/projects/team-x', {
            token: dev,
            body: { project: update },
          })
        ).status,
        403,
      );
    });

    it('answers globalprojects, links (http(s) only) and events with the actor', async () => {
      const gp = await srv.request('GET', '/api/v1/projects/team-x/globalprojects', {
        token: admin,
      });
      assert.deepEqual(
        gp.json<{ items: { metadata: { name: string } }[] }>().items.map((p) => p.metadata.name),
        ['shared'],
      );
      const links = await srv.request('GET', '/api/v1/projects/team-x/links', { token: admin });
      assert.deepEqual(links.json(), {
        items: [{ title: 'Docs', url: 'https://docs.example.com/team-x' }],
      });
      await srv.waitFor(async () => {
        const ev = await srv.request('GET', '/api/v1/projects/team-x/events', { token: admin });
        const items = ev.json<{
          items: {
            reason: string;
            message: string;
            metadata: { annotations?: Record<string, string> };
            source: { component: string };
          }[];
        }>().items;
        return items.some(
          (e) =>
            e.reason === 'ResourceCreated' &&
            e.message === 'admin created project team-x' &&
            e.metadata.annotations?.user === 'admin' &&
            e.source.component === 'argocd-server',
        );
      }, 'the ResourceCreated event');
    });

    it('refuses to delete the default project and projects still used by applications', async () => {
      const def = await srv.request('DELETE', '/api/v1/projects/default', {
        token: admin,
        contentType: 'application/json',
      });
      assert.equal(def.status, 400);
      const app: KubeObject = {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'uses-y', namespace: srv.namespace },
        spec: {
          project: 'team-y',
          source: { repoURL: repoUrl, path: 'guestbook' },
          destination: { server: 'https://kubernetes.default.svc', namespace: 'default' },
        },
      };
      await srv.kube.create(
        {
          group: 'argoproj.io',
          version: 'v1alpha1',
          resource: 'applications',
          namespace: srv.namespace,
        },
        app,
      );
      const used = await srv.request('DELETE', '/api/v1/projects/team-y', {
        token: admin,
        contentType: 'application/json',
      });
      assert.equal(used.status, 400);
      assert.match(used.json<{ message: string }>().message, /referenced by 1 application/);
      await srv.kube.delete({
        group: 'argoproj.io',
        version: 'v1alpha1',
        resource: 'applications',
        namespace: srv.namespace,
        name: 'uses-y',
      });
      const ok = await srv.request('DELETE', '/api/v1/projects/team-y', {
        token: admin,
        contentType: 'application/json',
      });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(
        (await srv.request('GET', '/api/v1/projects/team-y', { token: admin })).status,
        404,
      );
    });
  });

  describe('repositories', () => {
    it('refuses a repository whose credentials do not work, without echoing them', async () => {
      const res = await srv.request('POST', '/api/v1/repositories', {
        token: admin,
        body: { repo: repoUrl, username: 'git-user', password: 'wrong-password-Zz9' },
      });
      assert.equal(res.status, 400);
      assert.doesNotMatch(res.text, /wrong-password-Zz9/);
      const url = await srv.request('POST', '/api/v1/repositories', {
        token: admin,
        body: { repo: repoUrl.replace('https://', `https://git-user:${GIT_PASSWORD}@`) },
      });
      assert.equal(url.status, 400);
      assertClean(url.text, 'a URL with credentials');
    });

    it('stores a repository as Argo CD does and never returns its credentials', async () => {
      const res = await srv.request('POST', '/api/v1/repositories', {
        token: admin,
        body: {
          repo: repoUrl,
          username: 'git-user',
          password: GIT_PASSWORD,
          project: 'team-x',
          name: 'apps',
        },
      });
      assert.equal(res.status, 200, res.text);
      assertClean(res.text, 'create');
      assert.deepEqual(Object.keys(res.json()).sort(), ['name', 'project', 'repo', 'username']);
      const [secret] = await secretsOf('repository');
      assert.ok(secret);
      assert.match(secret.metadata.name ?? '', /^repo-\d+$/);
      assert.equal(secret.metadata.annotations?.['managed-by'], 'argocd.argoproj.io');
      const d = decodeSecretData(secret);
      assert.deepEqual(
        { url: d.url, username: d.username, password: d.password, project: d.project },
        { url: repoUrl, username: 'git-user', password: GIT_PASSWORD, project: 'team-x' },
      );
      for (const path of [
        '/api/v1/repositories',
        `/api/v1/repositories/${enc(repoUrl)}?forceRefresh=true`,
        '/api/v1/repositories?forceRefresh=true',
      ]) {
        const r = await srv.request('GET', path, { token: admin });
        assert.equal(r.status, 200, path);
        assertClean(r.text, path);
      }
      const one = await srv.request(
        'GET',
        `/api/v1/repositories/${enc(repoUrl)}?forceRefresh=true`,
        { token: admin },
      );
      assert.equal(
        one.json<{ connectionState: { status: string } }>().connectionState.status,
        'Successful',
      );
    });

    it('validates access with given credentials without storing or echoing them', async () => {
      const path = `/api/v1/repositories/${enc(repoUrl)}/validate`;
      const good = await srv.request('POST', path, {
        token: admin,
        body: { repo: repoUrl, username: 'git-user', password: GIT_PASSWORD },
      });
      assert.equal(good.status, 200, good.text);
      const bad = await srv.request('POST', `${path}?username=git-user&password=nope-Qq1`, {
        token: admin,
        body: repoUrl,
      });
      assert.equal(bad.status, 400);
      assert.doesNotMatch(bad.text, /nope-Qq1/);
      assert.equal(
        (await srv.request('POST', path, { token: dev, body: { repo: repoUrl } })).status,
        403,
      );
    });

    it('lists refs and apps through the repo server with the stored credentials', async () => {
      const refs = await srv.request('GET', `/api/v1/repositories/${enc(repoUrl)}/refs`, {
        token: admin,
      });
      assert.equal(refs.status, 200, refs.text);
      assert.ok(refs.json<{ branches: string[] }>().branches.length >= 1);
      const apps = await srv.request('GET', `/api/v1/repositories/${enc(repoUrl)}/apps`, {
        token: admin,
      });
      assert.equal(apps.status, 200, apps.text);
      assert.deepEqual(
        apps.json<{ items: { path: string }[] }>().items.map((a) => a.path),
        ['kust'],
      );
    });

    it('gives app details only to callers who may create (or already read) an app from the repository', async () => {
      const body = {
        source: { repoURL: repoUrl, path: 'guestbook', targetRevision: 'HEAD' },
        appName: 'guestbook',
        appProject: 'team-x',
      };
      const denied = await srv.request('POST', `/api/v1/repositories/${enc(repoUrl)}/appdetails`, {
        token: dev,
        body,
      });
      assert.equal(denied.status, 403);
      const ok = await srv.request('POST', `/api/v1/repositories/${enc(repoUrl)}/appdetails`, {
        token: admin,
        body,
      });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json<{ type: string }>().type, 'Directory');
    });

    it('keeps stored credentials when an update does not send them, and authorises old and new scope', async () => {
      const upd = await srv.request('PUT', `/api/v1/repositories/${enc(repoUrl)}`, {
        token: admin,
        body: { repo: repoUrl, project: 'team-x', name: 'renamed', username: 'git-user' },
      });
      assert.equal(upd.status, 200, upd.text);
      assert.equal(upd.json<{ name: string }>().name, 'renamed');
      const refs = await srv.request('GET', `/api/v1/repositories/${enc(repoUrl)}/refs`, {
        token: admin,
      });
      assert.equal(refs.status, 200, refs.text);
      const byDev = await srv.request('PUT', `/api/v1/repositories/${enc(repoUrl)}`, {
        token: dev,
        body: { repo: repoUrl, project: 'team-x' },
      });
      assert.equal(byDev.status, 403);
    });

    it('stores credential templates and lets a repository without credentials inherit them', async () => {
      const prefix = git.baseUrl;
      const creds = await srv.request('POST', '/api/v1/repocreds', {
        token: admin,
        body: { url: prefix, username: 'git-user', password: GIT_PASSWORD },
      });
      assert.equal(creds.status, 200, creds.text);
      assertClean(creds.text, 'repocreds create');
      const other = await git.createRepo('other');
      await other.write({ 'x/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' });
      await other.commit('x');
      const repo = await srv.request('POST', '/api/v1/repositories', {
        token: admin,
        body: { repo: git.url('other') },
      });
      assert.equal(repo.status, 200, repo.text);
      const got = await srv.request(
        'GET',
        `/api/v1/repositories/${enc(git.url('other'))}?forceRefresh=true`,
        { token: admin },
      );
      assert.equal(got.json<{ inheritedCreds: boolean }>().inheritedCreds, true);
      assert.equal(
        got.json<{ connectionState: { status: string } }>().connectionState.status,
        'Successful',
      );
      assertClean(got.text, 'inherited');
      const list = await srv.request('GET', '/api/v1/repocreds', { token: admin });
      assertClean(list.text, 'repocreds list');
      assert.deepEqual(
        list.json<{ items: { url: string }[] }>().items.map((c) => c.url),
        [prefix],
      );
      const [credSecret] = await secretsOf('repo-creds');
      assert.match(credSecret?.metadata.name ?? '', /^creds-\d+$/);
      assert.equal(
        (
          await srv.request('DELETE', `/api/v1/repocreds/${enc(prefix)}`, {
            token: admin,
            contentType: 'application/json',
          })
        ).status,
        200,
      );
      assert.equal(
        (
          await srv.request('DELETE', `/api/v1/repositories/${enc(git.url('other'))}`, {
            token: admin,
            contentType: 'application/json',
          })
        ).status,
        200,
      );
    });
  });

  describe('clusters', () => {
    const config = () => ({
      tlsClientConfig: {
        caData: Buffer.from(kubeconfig.caPem ?? '').toString('base64'),
        certData: Buffer.from(kubeconfig.certPem ?? '').toString('base64'),
        keyData: Buffer.from(kubeconfig.keyPem ?? '').toString('base64'),
      },
    });

    it('creates a cluster that answers, stores it as Argo CD does and never returns its credentials', async () => {
      const res = await srv.request('POST', '/api/v1/clusters', {
        token: admin,
        body: {
          server: kubeconfig.server,
          name: 'test-cluster',
          project: 'team-x',
          namespaces: ['a', 'b'],
          config: config(),
        },
      });
      assert.equal(res.status, 200, res.text);
      assertClean(res.text, 'cluster create');
      assert.match(res.json<{ serverVersion: string }>().serverVersion, /^v1\./);
      const secret = (await secretsOf('cluster'))[0];
      assert.ok(secret);
      assert.match(secret.metadata.name ?? '', /^cluster-127\.0\.0\.1-\d+$/);
      const d = decodeSecretData(secret);
      assert.equal(d.server, kubeconfig.server);
      assert.equal(d.namespaces, 'a,b');
      assert.equal(d.project, 'team-x');
      assert.equal(
        (JSON.parse(d.config ?? '{}') as { tlsClientConfig: { keyData: string } }).tlsClientConfig
          .keyData,
        config().tlsClientConfig.keyData,
      );
      const list = await srv.request('GET', '/api/v1/clusters', { token: admin });
      assertClean(list.text, 'cluster list');
      const servers = list.json<{ items: { server: string }[] }>().items.map((c) => c.server);
      assert.ok(servers.includes('https://kubernetes.default.svc'));
      assert.ok(servers.includes(kubeconfig.server));
      const one = await srv.request('GET', `/api/v1/clusters/${enc(kubeconfig.server)}`, {
        token: dev,
      });
      assert.equal(one.status, 200);
      assertClean(one.text, 'cluster get');
      const byName = await srv.request('GET', '/api/v1/clusters/test-cluster?id.type=name', {
        token: admin,
      });
      assert.equal(byName.json<{ server: string }>().server, kubeconfig.server);
    });

    it('refuses a cluster that does not answer, and server URLs with credentials', async () => {
      const dead = await srv.request('POST', '/api/v1/clusters', {
        token: admin,
        body: {
          server: 'https://127.0.0.1:1',
          config: { bearerToken: 'cluster-bearer-token-value' },
        },
      });
      assert.equal(dead.status, 400);
      assertClean(dead.text, 'unreachable cluster');
      const creds = await srv.request('POST', '/api/v1/clusters', {
        token: admin,
        body: { server: 'https://user:pw@127.0.0.1:1' },
      });
      assert.equal(creds.status, 400);
    });

    it('authorises the stored AND the new cluster on update (CVE-2023-23947) and keeps credentials of a sanitized update', async () => {
      const path = `/api/v1/clusters/${enc(kubeconfig.server)}`;
      const moveOut = await srv.request('PUT', `${path}?updatedFields=project`, {
        token: dev,
        body: { project: '' },
      });
      assert.equal(moveOut.status, 403);
      const current = (await srv.request('GET', path, { token: dev })).json();
      const rename = await srv.request('PUT', `${path}?updatedFields=name`, {
        token: dev,
        body: { ...current, name: 'renamed' },
      });
      assert.equal(rename.status, 200, rename.text);
      assertClean(rename.text, 'cluster update');
      const whole = await srv.request('PUT', path, {
        token: admin,
        body: { ...current, name: 'renamed-again' },
      });
      assert.equal(whole.status, 200, whole.text);
      const secret = (await secretsOf('cluster'))[0];
      const d = decodeSecretData(secret ?? { data: {} });
      assert.equal(
        (JSON.parse(d.config ?? '{}') as { tlsClientConfig: { keyData?: string } }).tlsClientConfig
          .keyData,
        config().tlsClientConfig.keyData,
      );
      assert.equal(d.name, 'renamed-again');
    });

    it('answers a missing and a forbidden cluster alike for a caller without rights', async () => {
      const missing = await srv.request(
        'GET',
        `/api/v1/clusters/${enc('https://nowhere.example.com')}`,
        { token: dev },
      );
      const forbidden = await srv.request(
        'GET',
        `/api/v1/clusters/${enc('https://kubernetes.default.svc')}`,
        { token: dev },
      );
      assert.equal(missing.status, 403);
      assert.equal(forbidden.status, 403);
      const adminMissing = await srv.request(
        'GET',
        `/api/v1/clusters/${enc('https://nowhere.example.com')}`,
        { token: admin },
      );
      assert.equal(adminMissing.status, 404);
    });

    it('strips last-applied-configuration of declaratively applied cluster Secrets (CVE-2023-40029)', async () => {
      const data = {
        name: 'applied',
        server: 'https://applied.example.com',
        config: JSON.stringify({ bearerToken: 'applied-secret-token' }),
      };
      const obj = secretObject('cluster-applied', data, {
        'argocd.argoproj.io/secret-type': 'cluster',
      });
      const lastApplied = JSON.stringify({ ...obj, stringData: data });
      await srv.kube.create(
        { ...SECRETS, namespace: srv.namespace },
        {
          ...obj,
          metadata: {
            ...obj.metadata,
            namespace: srv.namespace,
            annotations: {
              'kubectl.kubernetes.io/last-applied-configuration': lastApplied,
              team: 'ops',
            },
          },
        },
      );
      await srv.waitFor(
        async () =>
          (await srv.request('GET', '/api/v1/clusters', { token: admin })).text.includes(
            'applied.example.com',
          ),
        'the applied cluster',
      );
      for (const path of [
        '/api/v1/clusters',
        `/api/v1/clusters/${enc('https://applied.example.com')}`,
      ]) {
        const r = await srv.request('GET', path, { token: admin });
        assertClean(r.text, path);
        assert.doesNotMatch(r.text, /last-applied-configuration/);
      }
      const one = await srv.request(
        'GET',
        `/api/v1/clusters/${enc('https://applied.example.com')}`,
        { token: admin },
      );
      assert.deepEqual(one.json<{ annotations: Record<string, string> }>().annotations, {
        team: 'ops',
      });
    });

    it('answers invalidate-cache and rotate-auth with a clear "not supported", and refuses to delete the in-cluster cluster', async () => {
      const inv = await srv.request(
        'POST',
        `/api/v1/clusters/${enc(kubeconfig.server)}/invalidate-cache`,
        { token: admin, body: {} },
      );
      assert.equal(inv.status, 501);
      assert.match(inv.json<{ message: string }>().message, /not supported/);
      const del = await srv.request(
        'DELETE',
        `/api/v1/clusters/${enc('https://kubernetes.default.svc')}`,
        { token: admin, contentType: 'application/json' },
      );
      assert.equal(del.status, 400);
    });

    it('sanitises repositories and clusters of the detailed project (CVE-2025-55190)', async () => {
      const res = await srv.request('GET', '/api/v1/projects/team-x/detailed', { token: dev });
      assert.equal(res.status, 200, res.text);
      assertClean(res.text, 'detailed project');
      const body = res.json<{
        repositories: { repo: string }[];
        clusters: { server: string }[];
        project: { metadata: { name: string } };
        globalProjects: unknown[];
      }>();
      assert.equal(body.project.metadata.name, 'team-x');
      assert.deepEqual(
        body.repositories.map((r) => r.repo),
        [repoUrl],
      );
      assert.deepEqual(
        body.clusters.map((c) => c.server),
        [kubeconfig.server],
      );
      assert.equal(body.globalProjects.length, 1);
    });

    it('deletes a cluster and records the Event with the actor', async () => {
      const del = await srv.request('DELETE', `/api/v1/clusters/${enc(kubeconfig.server)}`, {
        token: admin,
        contentType: 'application/json',
      });
      assert.equal(del.status, 200, del.text);
      await srv.waitFor(async () => {
        const events = await srv.kube.list<KubeObject & { reason?: string; message?: string }>({
          group: '',
          version: 'v1',
          resource: 'events',
          namespace: srv.namespace,
        });
        return events.items.some(
          (e) =>
            e.reason === 'ResourceDeleted' &&
            e.message === `admin deleted cluster ${kubeconfig.server}`,
        );
      }, 'the ResourceDeleted event');
    });
  });
});
