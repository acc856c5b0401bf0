/**
 * The applications API through the real API server (real kube-apiserver, real TLS), a real repo
 * server and a real git server: create with validation and project rules, upsert, list filters,
 * fields and pagination, the uniform error for forbidden and missing apps (CVE-2022-41354), project
 * tokens kept in their project, sync/rollback/terminate writing operations with the actor and audit
 * Events, update/spec/patch, delete with cascade finalizers, live state (resource tree, managed
 * resources, manifests, live resources: Secrets masked in raw bodies, fine-grained RBAC), events,
 * sync windows, revision metadata, links, refresh, and read-only ApplicationSets.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigNames, type Application, type KubeObject } from '../../src/apis/index.js';
import type { KubeClient } from '../../src/kube/index.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { startTestRepoServer, type TestRepoServer } from '../support/repo-server.js';
import {
  secretObject,
  startTestApiServer,
  type HttpResponse,
  type TestApiServer,
} from '../support/api-server.js';
import { tempNamespace } from '../support/kube.js';

const APPS = { group: 'argoproj.io', version: 'v1alpha1', resource: 'applications' } as const;
const IN_CLUSTER = 'https://kubernetes.default.svc';
const GIT_PASSWORD = 'git-password-Apps9';
const DESIRED_SECRET = 'desired-secret-value-7Q';
const LIVE_SECRET = 'live-secret-value-8W';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

interface AppList {
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: Application[];
}

const names = (list: AppList): string[] => list.items.map((a) => a.metadata.name ?? '').sort();

function project(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name }, spec };
}

describe('argocd-server applications API', () => {
  let git: GitServer;
  let rs: TestRepoServer;
  let srv: TestApiServer;
  let k: KubeClient;
  let dest: { name: string; cleanup: () => Promise<void> };
  let repoUrl: string;
  let sha: string;
  let admin: string;
  let viewer: string;
  let alice: string;
  let updater: string;

  const app = (
    name: string,
    opts: { project?: string; path?: string; labels?: Record<string, string>; repo?: string } = {},
  ): Application => ({
    metadata: { name, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      project: opts.project ?? 'default',
      source: {
        repoURL: opts.repo ?? repoUrl,
        path: opts.path ?? 'guestbook',
        targetRevision: 'HEAD',
      },
      destination: { server: IN_CLUSTER, namespace: dest.name },
    },
  });
  const create = (a: Application, token = admin, query = ''): Promise<HttpResponse> =>
    srv.request('POST', `/api/v1/applications${query}`, { token, body: a });
  const get = (name: string, token = admin, query = ''): Promise<HttpResponse> =>
    srv.request('GET', `/api/v1/applications/${name}${query}`, { token });
  const live = (name: string): Promise<Application> =>
    k.get<Application>({ ...APPS, namespace: srv.namespace, name });
  const patchApp = (name: string, patch: unknown): Promise<unknown> =>
    k.patch({ ...APPS, namespace: srv.namespace, name }, patch, { type: 'merge' });
  const events = async (name: string): Promise<{ reason: string; message: string }[]> => {
    const list = await k.list<KubeObject & { reason?: string; message?: string }>(
      { group: '', version: 'v1', resource: 'events', namespace: srv.namespace },
      { fieldSelector: `involvedObject.name=${name}` },
    );
    return list.items.map((e) => ({ reason: e.reason ?? '', message: e.message ?? '' }));
  };
  const waitEvent = async (name: string, message: string): Promise<void> => {
    await srv.waitFor(
      async () => (await events(name)).some((e) => e.message === message),
      `event "${message}" for ${name}`,
    );
  };
  const setPassword = async (name: string): Promise<string> => {
    const res = await srv.request('PUT', '/api/v1/account/password', {
      token: admin,
      body: { name, currentPassword: srv.adminPassword, newPassword: `${name}-password-1` },
    });
    assert.equal(res.status, 200, res.text);
    return srv.login(name, `${name}-password-1`);
  };

  before(async () => {
    git = await startGitServer({ username: 'git-user', password: GIT_PASSWORD });
    const repo = await git.createRepo('apps');
    await repo.write({
      'guestbook/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook}\ndata: {color: blue}\n',
      'guestbook/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata: {name: gb-secret}\ndata: {password: ${b64(DESIRED_SECRET)}}\n`,
      'guestbook/deploy.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: guestbook}',
        'spec:',
        '  replicas: 1',
        '  selector: {matchLabels: {app: guestbook}}',
        '  template:',
        '    metadata: {labels: {app: guestbook}}',
        '    spec: {containers: [{name: web, image: "nginx:1.25"}]}',
        '',
      ].join('\n'),
      'other/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n',
    });
    sha = await repo.commit('guestbook');
    repoUrl = git.url('apps');
    rs = await startTestRepoServer();
    dest = await tempNamespace('apps-dest');
    srv = await startTestApiServer({
      namePrefix: 'srv-apps',
      cm: {
        'accounts.viewer': 'login',
        'accounts.alice': 'login',
        'accounts.updater': 'login',
        'application.links':
          '- title: Dashboard\n  url: https://dash.example.com/{{.app.metadata.name}}\n- title: Bad\n  url: javascript:alert(1)\n',
      },
      rbac: {
        'policy.csv': [
          'g, viewer, role:readonly',
          'p, alice, applications, *, team-a/*, allow',
          'p, alice, projects, get, team-a, allow',
          'p, updater, applications, get, default/*, allow',
          'p, updater, applications, update, default/*, allow',
        ].join('\n'),
      },
      objects: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: ConfigNames.tlsCertsCm },
          data: { '127.0.0.1': git.caPem },
        },
        secretObject(
          'repo-apps',
          { type: 'git', url: git.url('apps'), username: 'git-user', password: GIT_PASSWORD },
          { 'argocd.argoproj.io/secret-type': 'repository' },
        ),
        project('default', {
          sourceRepos: ['*'],
          destinations: [{ server: '*', namespace: '*' }],
          syncWindows: [
            {
              kind: 'allow',
              schedule: '0 0 * * *',
              duration: '24h',
              applications: ['*'],
              manualSync: true,
            },
          ],
        }),
        project('team-a', {
          sourceRepos: [git.url('apps')],
          destinations: [{ server: IN_CLUSTER, namespace: '*' }],
          roles: [
            {
              name: 'ci',
              policies: [
                'p, proj:team-a:ci, applications, get, team-a/*, allow',
                'p, proj:team-a:ci, applications, sync, team-a/*, allow',
              ],
            },
          ],
        }),
        project('locked', {
          sourceRepos: ['https://github.com/allowed/*'],
          destinations: [{ server: '*', namespace: '*' }],
        }),
      ],
      options: { applications: { refreshWaitMs: 300 } },
      deps: { repoServer: rs.client() },
    });
    k = srv.kube;
    admin = await srv.login('admin', srv.adminPassword);
    viewer = await setPassword('viewer');
    alice = await setPassword('alice');
    updater = await setPassword('updater');
  });
  after(async () => {
    await srv.close();
    await rs.close();
    await git.stop();
    await dest.cleanup();
  });

  describe('create', () => {
    it('creates an application and records "admin created application"', async () => {
      const res = await create(app('web', { labels: { team: 'a' } }));
      assert.equal(res.status, 200, res.text);
      const body = res.json<Application>();
      assert.equal(body.metadata.name, 'web');
      assert.equal(body.metadata.namespace, srv.namespace);
      assert.equal((await live('web')).spec.source?.path, 'guestbook');
      await waitEvent('web', 'admin created application');
      const ev = (await events('web')).find((e) => e.message === 'admin created application');
      assert.equal(ev?.reason, 'ResourceCreated');
    });

    it('refuses a repository that is not in the project sourceRepos', async () => {
      const res = await create(app('locked-app', { project: 'locked' }));
      assert.equal(res.status, 400);
      assert.match(res.json<{ error: string }>().error, /not permitted in project 'locked'/);
      await assert.rejects(live('locked-app'));
    });

    it('refuses an invalid body, naming the field', async () => {
      const res = await srv.request('POST', '/api/v1/applications', {
        token: admin,
        body: { metadata: { name: 'bad' }, spec: { project: 'default', destination: 'nope' } },
      });
      assert.equal(res.status, 400);
      assert.match(res.text, /spec\.destination/);
    });

    it('refuses a project that does not exist and an unknown cluster', async () => {
      const a = await create(app('no-proj', { project: 'ghost' }));
      assert.equal(a.status, 400);
      assert.match(a.text, /project ghost which does not exist/);
      const b = app('no-cluster');
      b.spec.destination = { server: 'https://nowhere.example.com', namespace: 'x' };
      const r = await create(b);
      assert.equal(r.status, 400);
      assert.match(r.text, /is not configured/);
    });

    it('validates that the source renders unless validate=false', async () => {
      const res = await create(app('nopath', { path: 'does-not-exist' }));
      assert.equal(res.status, 400, res.text);
      assert.match(res.text, /does not render/);
      const ok = await create(app('nopath', { path: 'does-not-exist' }), admin, '?validate=false');
      assert.equal(ok.status, 200, ok.text);
      assert.equal(
        (
          await srv.request('DELETE', '/api/v1/applications/nopath?cascade=false', {
            contentType: 'application/json',
            token: admin,
          })
        ).status,
        200,
      );
    });

    it('returns an identical app again, refuses a different one without upsert, updates with upsert', async () => {
      assert.equal((await create(app('web', { labels: { team: 'a' } }))).status, 200);
      const changed = app('web', { labels: { team: 'a' }, path: 'other' });
      const res = await create(changed);
      assert.equal(res.status, 400);
      assert.match(res.text, /use upsert flag/);
      const up = await create(changed, admin, '?upsert=true');
      assert.equal(up.status, 200, up.text);
      assert.equal((await live('web')).spec.source?.path, 'other');
      assert.equal(
        (await create(app('web', { labels: { team: 'a' } }), admin, '?upsert=true')).status,
        200,
      );
    });

    it('lets a readonly user read but not create, sync or delete', async () => {
      assert.equal((await get('web', viewer)).status, 200);
      assert.equal((await create(app('viewer-app'), viewer)).status, 403);
      const sync = await srv.request('POST', '/api/v1/applications/web/sync', {
        token: viewer,
        body: {},
      });
      assert.equal(sync.status, 403);
      const del = await srv.request('DELETE', '/api/v1/applications/web', {
        contentType: 'application/json',
        token: viewer,
      });
      assert.equal(del.status, 403);
      assert.equal((await live('web')).operation, undefined);
    });
  });

  describe('list', () => {
    before(async () => {
      for (const a of [
        app('api', { project: 'team-a', labels: { team: 'b' } }),
        app('zeta', { labels: { team: 'b', tier: 'x' } }),
      ]) {
        const res = await create(a);
        assert.equal(res.status, 200, res.text);
      }
    });

    it('lists with metadata.resourceVersion and filters by project, selector, name and repo', async () => {
      const all = (
        await srv.request('GET', '/api/v1/applications', { token: admin })
      ).json<AppList>();
      assert.deepEqual(names(all), ['api', 'web', 'zeta']);
      assert.match(all.metadata.resourceVersion ?? '', /^\d+$/);
      const q = async (query: string): Promise<string[]> =>
        names(
          (
            await srv.request('GET', `/api/v1/applications?${query}`, { token: admin })
          ).json<AppList>(),
        );
      assert.deepEqual(await q('projects=team-a'), ['api']);
      assert.deepEqual(await q('projects=team-a&projects=default'), ['api', 'web', 'zeta']);
      assert.deepEqual(await q('selector=team%3Db'), ['api', 'zeta']);
      assert.deepEqual(await q('selector=team%3Db,!tier&appNamespace='), ['api']);
      assert.deepEqual(await q('name=zeta'), ['zeta']);
      assert.deepEqual(await q(`repo=${encodeURIComponent(repoUrl.replace(/\.git$/, ''))}`), [
        'api',
        'web',
        'zeta',
      ]);
      assert.deepEqual(await q('repo=https%3A%2F%2Fexample.com%2Fother'), []);
      const bad = await srv.request('GET', '/api/v1/applications?selector=a%20in%20(', {
        token: admin,
      });
      assert.equal(bad.status, 400);
    });

    it('projects fields as the web UI asks for them', async () => {
      const res = await srv.request(
        'GET',
        '/api/v1/applications?fields=metadata.resourceVersion,items.metadata.name,items.spec.project',
        { token: admin },
      );
      const body = res.json<{
        metadata: Record<string, unknown>;
        items: Record<string, unknown>[];
      }>();
      assert.deepEqual(Object.keys(body.metadata), ['resourceVersion']);
      assert.deepEqual(body.items[0] && Object.keys(body.items[0]).sort(), ['metadata', 'spec']);
      assert.deepEqual(body.items.map((i) => JSON.stringify(i.spec)).sort(), [
        '{"project":"default"}',
        '{"project":"default"}',
        '{"project":"team-a"}',
      ]);
      const ex = await srv.request('GET', '/api/v1/applications?fields=-items.status,-items.spec', {
        token: admin,
      });
      assert.ok(
        ex
          .json<AppList>()
          .items.every(
            (i) => (i as Partial<Application>).spec === undefined && i.metadata.name !== undefined,
          ),
      );
    });

    it('paginates with limit and continue', async () => {
      const p1 = (
        await srv.request('GET', '/api/v1/applications?limit=2', { token: admin })
      ).json<AppList>();
      assert.deepEqual(names(p1), ['api', 'web']);
      assert.equal(
        p1.metadata.remainingItemCount,
        undefined,
        'no count: it would need RBAC on every app',
      );
      assert.ok(p1.metadata.continue);
      const p2 = (
        await srv.request(
          'GET',
          `/api/v1/applications?limit=2&continue=${encodeURIComponent(p1.metadata.continue)}`,
          { token: admin },
        )
      ).json<AppList>();
      assert.deepEqual(names(p2), ['zeta']);
      assert.equal(p2.metadata.continue, undefined);
      const bad = await srv.request('GET', '/api/v1/applications?limit=2&continue=forged', {
        token: admin,
      });
      assert.equal(bad.status, 400);
    });

    it('lists only the apps the caller may get', async () => {
      const res = await srv.request('GET', '/api/v1/applications', { token: alice });
      assert.deepEqual(names(res.json<AppList>()), ['api']);
    });
  });

  describe('access', () => {
    it('gives the same error for a forbidden app and a missing one', async () => {
      const forbidden = await get('web', alice);
      const missing = await get('no-such-app', alice);
      assert.equal(forbidden.status, 403);
      assert.equal(missing.status, 403);
      assert.equal(forbidden.text, missing.text);
      assert.deepEqual(forbidden.json(), {
        error: 'permission denied',
        code: 7,
        message: 'permission denied',
      });
      // the same for other actions
      const s1 = await srv.request('POST', '/api/v1/applications/web/sync', {
        token: alice,
        body: {},
      });
      const s2 = await srv.request('POST', '/api/v1/applications/nope/sync', {
        token: alice,
        body: {},
      });
      assert.equal(s1.text, s2.text);
      assert.ok(
        srv
          .securityEvents()
          .some((e) => e.security === 2 && /tried to get application/.test(e.msg ?? '')),
      );
    });

    it('answers 404 alike for missing and foreign apps when the project is given', async () => {
      const missing = await get('nope', alice, '?project=team-a');
      const foreign = await get('web', alice, '?project=team-a');
      assert.equal(missing.status, 404);
      assert.equal(foreign.status, 404);
      assert.equal(missing.text.replaceAll('nope', 'X'), foreign.text.replaceAll('web', 'X'));
      assert.equal((await get('api', alice, '?project=team-a')).status, 200);
      assert.equal((await get('api', alice, '?project=default')).status, 403);
    });

    it('refuses another application namespace', async () => {
      const res = await get('web', admin, '?appNamespace=elsewhere');
      assert.equal(res.status, 403);
    });

    it('keeps a project token inside its project', async () => {
      const tok = await srv.request('POST', '/api/v1/projects/team-a/roles/ci/token', {
        token: admin,
        body: { id: 'ci-1' },
      });
      assert.equal(tok.status, 200, tok.text);
      const token = tok.json<{ token: string }>().token;
      assert.equal((await get('api', token)).status, 200);
      assert.equal((await get('web', token)).status, 403);
      const list = await srv.request('GET', '/api/v1/applications', { token });
      assert.deepEqual(names(list.json<AppList>()), ['api']);
      assert.equal(
        (await srv.request('POST', '/api/v1/applications/web/sync', { token, body: {} })).status,
        403,
      );
      const ok = await srv.request('POST', '/api/v1/applications/api/sync', { token, body: {} });
      assert.equal(ok.status, 200, ok.text);
      assert.equal((await live('api')).operation?.initiatedBy?.username, 'proj:team-a:ci');
      assert.equal(
        (
          await srv.request('DELETE', '/api/v1/applications/api', {
            contentType: 'application/json',
            token,
          })
        ).status,
        403,
      );
      await patchApp('api', { operation: null });
    });
  });

  describe('operations', () => {
    it('sync writes the operation with the user and the resolved revision', async () => {
      const res = await srv.request('POST', '/api/v1/applications/web/sync', {
        token: admin,
        body: {
          appNamespace: srv.namespace,
          revision: 'HEAD',
          prune: false,
          dryRun: false,
          strategy: { hook: { force: false } },
          resources: null,
          syncOptions: null,
        },
      });
      assert.equal(res.status, 200, res.text);
      const a = await live('web');
      assert.deepEqual(a.operation, {
        sync: { revision: sha, syncStrategy: { hook: { force: false } } },
        initiatedBy: { username: 'admin' },
      });
      await waitEvent('web', `admin initiated sync to HEAD (${sha})`);
      assert.ok((await events('web')).some((e) => e.reason === 'OperationStarted'));
    });

    it('refuses a second sync while an operation is pending', async () => {
      const res = await srv.request('POST', '/api/v1/applications/web/sync', {
        token: admin,
        body: { prune: true },
      });
      assert.equal(res.status, 400);
      assert.match(res.text, /another operation is already in progress/);
      assert.equal((await live('web')).operation?.sync?.prune, undefined);
    });

    it('terminates a running operation', async () => {
      await patchApp('web', {
        status: {
          operationState: {
            operation: { sync: { revision: sha } },
            phase: 'Running',
            startedAt: '2024-01-01T00:00:00Z',
          },
        },
      });
      const res = await srv.request('DELETE', '/api/v1/applications/web/operation', {
        contentType: 'application/json',
        token: admin,
      });
      assert.equal(res.status, 200, res.text);
      assert.equal((await live('web')).status?.operationState?.phase, 'Terminating');
      assert.equal(
        (
          await srv.request('DELETE', '/api/v1/applications/web/operation', {
            contentType: 'application/json',
            token: viewer,
          })
        ).status,
        403,
      );
      await patchApp('web', { operation: null, status: { operationState: null } });
      const none = await srv.request('DELETE', '/api/v1/applications/web/operation', {
        contentType: 'application/json',
        token: admin,
      });
      assert.equal(none.status, 400);
    });

    it('rolls back to a history entry, but not with automated sync on', async () => {
      await patchApp('web', {
        status: {
          history: [
            {
              id: 1,
              revision: sha,
              deployedAt: '2024-01-01T00:00:00Z',
              source: { repoURL: repoUrl, path: 'guestbook', targetRevision: 'HEAD' },
            },
          ],
        },
      });
      // the server answers from its watch of the Applications: wait until it has seen the patch
      const serverSees = (what: string, cond: (a: Application) => boolean): Promise<void> =>
        srv.waitFor(
          async () => {
            const r = await get('web');
            return r.status === 200 && cond(r.json<Application>());
          },
          `the server to see ${what}`,
          10_000,
        );
      await serverSees('the history', (a) => (a.status?.history?.length ?? 0) === 1);
      const missing = await srv.request('POST', '/api/v1/applications/web/rollback', {
        token: admin,
        body: { id: 7 },
      });
      assert.equal(missing.status, 400);
      const res = await srv.request('POST', '/api/v1/applications/web/rollback', {
        token: admin,
        body: { id: 1, prune: true },
      });
      assert.equal(res.status, 200, res.text);
      const op = (await live('web')).operation?.sync;
      assert.ok(op);
      assert.equal(op.revision, sha);
      assert.equal(op.prune, true);
      assert.deepEqual(op.syncStrategy, { apply: { force: false } });
      await waitEvent('web', 'admin initiated rollback to 1');
      await patchApp('web', {
        operation: null,
        spec: { syncPolicy: { automated: { prune: true } } },
      });
      await serverSees('automated sync', (a) => a.spec.syncPolicy?.automated !== undefined);
      const auto = await srv.request('POST', '/api/v1/applications/web/rollback', {
        token: admin,
        body: { id: 1 },
      });
      assert.equal(auto.status, 400);
      assert.match(auto.text, /auto-sync is enabled/);
      await patchApp('web', { spec: { syncPolicy: null } });
    });
  });

  describe('update, spec and patch', () => {
    it('updates labels and spec with validation and an audit event', async () => {
      const cur = (await get('web')).json<Application>();
      const res = await srv.request('PUT', '/api/v1/applications/web', {
        token: admin,
        body: { ...cur, metadata: { ...cur.metadata, labels: { team: 'a', extra: 'yes' } } },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal((await live('web')).metadata.labels?.extra, 'yes');
      await waitEvent('web', 'admin updated application');
      const spec = await srv.request('PUT', '/api/v1/applications/web/spec', {
        token: admin,
        body: { ...cur.spec, info: [{ name: 'owner', value: 'team-a' }] },
      });
      assert.equal(spec.status, 200, spec.text);
      assert.deepEqual(spec.json<Application['spec']>().info, [{ name: 'owner', value: 'team-a' }]);
      const bad = await srv.request('PUT', '/api/v1/applications/web/spec', {
        token: admin,
        body: { ...cur.spec, project: 'locked' },
      });
      assert.equal(bad.status, 400);
      assert.equal((await live('web')).spec.project, 'default');
      assert.equal(
        (
          await srv.request('PUT', '/api/v1/applications/web', {
            token: viewer,
            body: cur,
          })
        ).status,
        403,
      );
    });

    it('patches with JSON patch and merge patch', async () => {
      const json = await srv.request('PATCH', '/api/v1/applications/web', {
        token: admin,
        body: {
          name: 'web',
          patch: JSON.stringify([
            { op: 'add', path: '/metadata/annotations', value: { note: 'x' } },
          ]),
        },
      });
      assert.equal(json.status, 200, json.text);
      assert.equal((await live('web')).metadata.annotations?.note, 'x');
      const merge = await srv.request('PATCH', '/api/v1/applications/web', {
        token: admin,
        body: {
          name: 'web',
          patchType: 'merge',
          patch: JSON.stringify({ spec: { revisionHistoryLimit: 3 } }),
        },
      });
      assert.equal(merge.status, 200, merge.text);
      assert.equal((await live('web')).spec.revisionHistoryLimit, 3);
      const bad = await srv.request('PATCH', '/api/v1/applications/web', {
        token: admin,
        body: {
          name: 'web',
          patch: JSON.stringify([{ op: 'replace', path: '/spec/project', value: 'locked' }]),
        },
      });
      assert.equal(bad.status, 400);
    });
  });

  describe('live state', () => {
    const track = (group: string, kind: string, name: string): Record<string, string> => ({
      'argocd.argoproj.io/tracking-id': `web:${group}/${kind}:${dest.name}/${name}`,
    });

    before(async () => {
      const ns = dest.name;
      await k.create(
        { group: '', version: 'v1', resource: 'configmaps', namespace: ns },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'guestbook', annotations: track('', 'ConfigMap', 'guestbook') },
          data: { color: 'red' },
        },
      );
      await k.create(
        { group: '', version: 'v1', resource: 'secrets', namespace: ns },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'gb-secret', annotations: track('', 'Secret', 'gb-secret') },
          data: { password: b64(LIVE_SECRET) },
        },
      );
      await k.create(
        { group: 'apps', version: 'v1', resource: 'deployments', namespace: ns },
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'guestbook', annotations: track('apps', 'Deployment', 'guestbook') },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'guestbook' } },
            template: {
              metadata: { labels: { app: 'guestbook' } },
              spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] },
            },
          },
        },
      );
      await k.create(
        { group: '', version: 'v1', resource: 'configmaps', namespace: ns },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'not-ours' },
        },
      );
      await patchApp('web', {
        status: {
          resources: [
            {
              group: '',
              version: 'v1',
              kind: 'ConfigMap',
              namespace: ns,
              name: 'guestbook',
              status: 'OutOfSync',
            },
            {
              group: '',
              version: 'v1',
              kind: 'Secret',
              namespace: ns,
              name: 'gb-secret',
              status: 'OutOfSync',
            },
            {
              group: 'apps',
              version: 'v1',
              kind: 'Deployment',
              namespace: ns,
              name: 'guestbook',
              status: 'Synced',
            },
          ],
          sync: { status: 'OutOfSync', revision: sha },
        },
      });
    });

    const secretsIn = (text: string): string[] =>
      [DESIRED_SECRET, LIVE_SECRET, b64(DESIRED_SECRET), b64(LIVE_SECRET), GIT_PASSWORD].filter(
        (s) => text.includes(s),
      );

    it('builds the resource tree from live objects, children included', async () => {
      let kinds: string[] = [];
      await srv.waitFor(
        async () => {
          const res = await srv.request('GET', '/api/v1/applications/web/resource-tree', {
            token: admin,
          });
          assert.equal(res.status, 200, res.text);
          kinds = res.json<{ nodes: { kind: string }[] }>().nodes.map((n) => n.kind);
          return kinds.includes('ReplicaSet');
        },
        'a ReplicaSet in the tree',
        20_000,
      );
      for (const kind of ['ConfigMap', 'Secret', 'Deployment', 'ReplicaSet'])
        assert.ok(kinds.includes(kind), kind);
      assert.equal(
        (await srv.request('GET', '/api/v1/applications/web/resource-tree', { token: alice }))
          .status,
        403,
      );
    });

    it('lists orphaned objects of the destination namespace only when the project asks', async () => {
      const tree = async (): Promise<{ nodes: string[]; orphaned: string[] }> => {
        const res = await srv.request('GET', '/api/v1/applications/web/resource-tree', {
          token: admin,
        });
        assert.equal(res.status, 200, res.text);
        const t = res.json<{
          nodes: { kind: string; name: string }[];
          orphanedNodes?: { kind: string; name: string }[];
        }>();
        const id = (n: { kind: string; name: string }): string => `${n.kind}/${n.name}`;
        return { nodes: t.nodes.map(id), orphaned: (t.orphanedNodes ?? []).map(id) };
      };
      assert.deepEqual((await tree()).orphaned, [], 'no orphanedResources in the project: none');
      const PROJECTS = { group: 'argoproj.io', version: 'v1alpha1', resource: 'appprojects' };
      const setRule = (rule: unknown): Promise<unknown> =>
        k.patch(
          { ...PROJECTS, namespace: srv.namespace, name: 'default' },
          { spec: { orphanedResources: rule } },
          { type: 'merge' },
        );
      await setRule({ warn: false, ignore: [{ kind: 'Endpoints' }] });
      try {
        let last = { nodes: [] as string[], orphaned: [] as string[] };
        await srv.waitFor(
          async () => {
            last = await tree();
            return last.orphaned.includes('ConfigMap/not-ours');
          },
          'the untracked ConfigMap among the orphaned nodes',
          20_000,
        );
        // managed objects, their children and what Kubernetes puts in every namespace are not orphans
        for (const managed of ['ConfigMap/guestbook', 'Secret/gb-secret', 'Deployment/guestbook'])
          assert.ok(!last.orphaned.includes(managed), managed);
        assert.ok(!last.orphaned.includes('ConfigMap/kube-root-ca.crt'));
        assert.ok(!last.orphaned.includes('ServiceAccount/default'));
        assert.ok(!last.orphaned.some((n) => n.startsWith('ReplicaSet/')), 'owned objects');
        assert.ok(!last.nodes.includes('ConfigMap/not-ours'));
      } finally {
        await setRule(null);
      }
      await srv.waitFor(
        async () => (await tree()).orphaned.length === 0,
        'no orphaned nodes once the project stops asking',
        20_000,
      );
    });

    it('returns managed resources with states as JSON strings and Secret values masked', async () => {
      const res = await srv.request('GET', '/api/v1/applications/web/managed-resources', {
        token: admin,
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(secretsIn(res.text), []);
      const items = res.json<{
        items: {
          kind: string;
          name: string;
          liveState: string;
          targetState: string;
          modified: boolean;
        }[];
      }>().items;
      const secret = items.find((i) => i.kind === 'Secret');
      assert.ok(secret);
      const liveState = JSON.parse(secret.liveState) as { data: { password: string } };
      const target = JSON.parse(secret.targetState) as { data: { password: string } };
      assert.match(liveState.data.password, /^\++$/);
      assert.match(target.data.password, /^\++$/);
      assert.notEqual(
        liveState.data.password,
        target.data.password,
        'changed values keep distinct masks',
      );
      assert.equal(secret.modified, true);
      const cm = items.find((i) => i.kind === 'ConfigMap' && i.name === 'guestbook');
      assert.equal(cm?.modified, true);
      assert.ok(!items.some((i) => i.name === 'not-ours'));
      const filtered = await srv.request(
        'GET',
        '/api/v1/applications/web/managed-resources?kind=Deployment',
        { token: admin },
      );
      assert.deepEqual(
        filtered.json<{ items: { kind: string }[] }>().items.map((i) => i.kind),
        ['Deployment'],
      );
    });

    it('returns manifests with Secret values masked', async () => {
      const res = await srv.request('GET', '/api/v1/applications/web/manifests', { token: admin });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(secretsIn(res.text), []);
      const body = res.json<{ manifests: string[]; revision: string }>();
      assert.equal(body.revision, sha);
      const kinds = body.manifests.map((m) => (JSON.parse(m) as { kind: string }).kind).sort();
      assert.deepEqual(kinds, ['ConfigMap', 'Deployment', 'Secret']);
    });

    it('gets a live resource masked; patches and deletes need fine-grained rights', async () => {
      const q = `?namespace=${dest.name}&resourceName=gb-secret&version=v1&kind=Secret&group=`;
      const res = await srv.request('GET', `/api/v1/applications/web/resource${q}`, {
        token: admin,
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(secretsIn(res.text), []);
      assert.equal(
        (JSON.parse(res.json<{ manifest: string }>().manifest) as { kind: string }).kind,
        'Secret',
      );
      const cmq = `?namespace=${dest.name}&resourceName=guestbook&version=v1&kind=ConfigMap&group=`;
      const patch = JSON.stringify({ data: { color: 'green' } });
      const denied = await srv.request(
        'POST',
        `/api/v1/applications/web/resource${cmq}&patchType=application/merge-patch%2Bjson`,
        { token: updater, body: patch },
      );
      assert.equal(denied.status, 403);
      const ok = await srv.request(
        'POST',
        `/api/v1/applications/web/resource${cmq}&patchType=application/merge-patch%2Bjson`,
        { token: admin, body: patch },
      );
      assert.equal(ok.status, 200, ok.text);
      const cm = await k.get<{ data: Record<string, string> } & KubeObject>({
        group: '',
        version: 'v1',
        resource: 'configmaps',
        namespace: dest.name,
        name: 'guestbook',
      });
      assert.equal(cm.data.color, 'green');
      await waitEvent('web', "admin patched resource /ConfigMap 'guestbook'");
      const secretPatch = await srv.request(
        'POST',
        `/api/v1/applications/web/resource${q}&patchType=application/merge-patch%2Bjson`,
        {
          token: admin,
          body: JSON.stringify({ stringData: { extra: 'patched-secret-value' } }),
        },
      );
      assert.equal(secretPatch.status, 200, secretPatch.text);
      assert.ok(!secretPatch.text.includes('patched-secret-value'));
      const foreign = await srv.request(
        'GET',
        `/api/v1/applications/web/resource?namespace=${dest.name}&resourceName=not-ours&version=v1&kind=ConfigMap&group=`,
        { token: admin },
      );
      assert.equal(foreign.status, 404);
      const del = await srv.request('DELETE', `/api/v1/applications/web/resource${cmq}`, {
        contentType: 'application/json',
        token: viewer,
      });
      assert.equal(del.status, 403);
      const delOk = await srv.request(
        'DELETE',
        `/api/v1/applications/web/resource${cmq}&force=true`,
        { contentType: 'application/json', token: admin },
      );
      assert.equal(delOk.status, 200, delOk.text);
    });

    it('lists events, sync windows, revision metadata and links', async () => {
      const ev = await srv.request('GET', '/api/v1/applications/web/events', { token: admin });
      assert.equal(ev.status, 200, ev.text);
      assert.ok(
        ev
          .json<{ items: { reason: string }[] }>()
          .items.some((e) => e.reason === 'ResourceCreated'),
      );
      const sw = await srv.request(
        'GET',
        `/api/v1/applications/web/syncwindows?appNamespace=${srv.namespace}`,
        { token: admin },
      );
      const w = sw.json<{
        assignedWindows: unknown[];
        activeWindows: unknown[];
        canSync: boolean;
      }>();
      assert.deepEqual(w, {
        assignedWindows: [
          { kind: 'allow', schedule: '0 0 * * *', duration: '24h', manualSync: true },
        ],
        activeWindows: [
          { kind: 'allow', schedule: '0 0 * * *', duration: '24h', manualSync: true },
        ],
        canSync: true,
      });
      const md = await srv.request(
        'GET',
        `/api/v1/applications/web/revisions/${sha}/metadata?sourceIndex=0`,
        { token: admin },
      );
      assert.equal(md.status, 200, md.text);
      const meta = md.json<{ author: string; message: string }>();
      assert.match(meta.author, /Fixture Author/);
      assert.match(meta.message, /guestbook/);
      const links = await srv.request('GET', '/api/v1/applications/web/links', { token: admin });
      assert.deepEqual(links.json(), {
        items: [{ title: 'Dashboard', url: 'https://dash.example.com/web' }],
      });
      const actions = await srv.request(
        'GET',
        `/api/v1/applications/web/resource/actions?namespace=${dest.name}&resourceName=guestbook&version=v1&kind=Deployment&group=apps`,
        { token: admin },
      );
      assert.deepEqual(actions.json(), {
        actions: [
          {
            name: 'pause',
            disabled: false,
            iconClass: 'fa fa-fw fa-pause-circle',
            displayName: 'Pause',
          },
          {
            name: 'restart',
            disabled: false,
            iconClass: 'fa fa-fw fa-redo',
            displayName: 'Restart',
          },
          {
            name: 'resume',
            disabled: true,
            iconClass: 'fa fa-fw fa-play-circle',
            displayName: 'Resume',
          },
        ],
      });
    });

    it('runs the built-in actions on a live Deployment, with fine-grained RBAC', async () => {
      const key = {
        namespace: dest.name,
        resourceName: 'guestbook',
        version: 'v1',
        kind: 'Deployment',
        group: 'apps',
      };
      const query = new URLSearchParams(key).toString();
      const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' } as const;
      const liveDeployment = (): Promise<
        KubeObject & {
          spec: {
            paused?: boolean;
            template: { metadata?: { annotations?: Record<string, string> } };
          };
        }
      > => k.get({ ...DEPLOYMENTS, namespace: dest.name, name: 'guestbook' });
      const v2 = (body: Record<string, unknown>, token: string) =>
        srv.request('POST', '/api/v1/applications/web/resource/actions/v2', {
          token,
          body: { ...key, ...body },
        });

      // `applications get` and `update` are not `action/apps/Deployment/restart`
      const denied = await v2({ action: 'restart' }, updater);
      assert.equal(denied.status, 403, denied.text);
      assert.equal(
        (await liveDeployment()).spec.template.metadata?.annotations?.[
          'kubectl.kubernetes.io/restartedAt'
        ],
        undefined,
      );

      const restarted = await v2({ action: 'restart' }, admin);
      assert.equal(restarted.status, 200, restarted.text);
      const stamp = (await liveDeployment()).spec.template.metadata?.annotations?.[
        'kubectl.kubernetes.io/restartedAt'
      ];
      assert.match(stamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      await waitEvent(
        'web',
        `admin ran action restart on resource apps/Deployment/${dest.name}/guestbook`,
      );

      // v1: the resource in the query, the action name as a JSON string body
      const paused = await srv.request(
        'POST',
        `/api/v1/applications/web/resource/actions?${query}`,
        {
          token: admin,
          body: 'pause',
        },
      );
      assert.equal(paused.status, 200, paused.text);
      assert.equal((await liveDeployment()).spec.paused, true);
      const again = await v2({ action: 'pause' }, admin);
      assert.equal(again.status, 400, again.text);
      assert.match(again.text, /already paused/);
      assert.equal((await v2({ action: 'resume' }, admin)).status, 200);
      assert.equal((await liveDeployment()).spec.paused, undefined);

      const unknown = await v2({ action: 'scale' }, admin);
      assert.equal(unknown.status, 400);
      assert.match(unknown.text, /has no action \\"scale\\"; it offers pause, restart, resume/);
      const badName = await v2({ action: '$(rm -rf /)' }, admin);
      assert.equal(badName.status, 400);
      const params = await v2(
        { action: 'restart', resourceActionParameters: [{ name: 'x', value: 'y' }] },
        admin,
      );
      assert.equal(params.status, 400);
      assert.match(params.text, /take no parameters/);
      const noKind = await srv.request('POST', '/api/v1/applications/web/resource/actions/v2', {
        token: admin,
        body: { action: 'restart', resourceName: 'guestbook' },
      });
      assert.equal(noKind.status, 400);
      const notOurs = await v2(
        { action: 'restart', resourceName: 'not-ours', kind: 'ConfigMap', group: '' },
        admin,
      );
      assert.equal(notOurs.status, 404, notOurs.text);
    });
  });

  describe('refresh and delete', () => {
    it('sets the refresh annotation and answers within the bound without a controller', async () => {
      const res = await get('zeta', admin, '?refresh=hard');
      assert.equal(res.status, 200, res.text);
      assert.equal(
        (await live('zeta')).metadata.annotations?.['argocd.argoproj.io/refresh'],
        'hard',
      );
      assert.equal((await get('zeta', admin, '?refresh=sometimes')).status, 400);
    });

    it('deletes with cascade through the resources finalizer, or at once without', async () => {
      const res = await srv.request('DELETE', '/api/v1/applications/zeta?cascade=true', {
        contentType: 'application/json',
        token: admin,
      });
      assert.equal(res.status, 200, res.text);
      const a = await live('zeta');
      assert.deepEqual(a.metadata.finalizers, ['resources-finalizer.argocd.argoproj.io']);
      assert.ok(a.metadata.deletionTimestamp);
      await waitEvent('zeta', 'admin deleted application');
      await patchApp('zeta', { metadata: { finalizers: null } });
      const bg = await create(app('bg'));
      assert.equal(bg.status, 200);
      assert.equal(
        (
          await srv.request('DELETE', '/api/v1/applications/bg?propagationPolicy=background', {
            contentType: 'application/json',
            token: admin,
          })
        ).status,
        200,
      );
      assert.deepEqual((await live('bg')).metadata.finalizers, [
        'resources-finalizer.argocd.argoproj.io/background',
      ]);
      await patchApp('bg', { metadata: { finalizers: null } });
      const conflict = await srv.request(
        'DELETE',
        '/api/v1/applications/api?cascade=false&propagationPolicy=foreground',
        { contentType: 'application/json', token: admin },
      );
      assert.equal(conflict.status, 400);
      assert.equal(
        (
          await srv.request('DELETE', '/api/v1/applications/api?cascade=false', {
            contentType: 'application/json',
            token: admin,
          })
        ).status,
        200,
      );
      await assert.rejects(live('api'));
    });
  });

  describe('applicationsets', () => {
    before(async () => {
      await k.create(
        {
          group: 'argoproj.io',
          version: 'v1alpha1',
          resource: 'applicationsets',
          namespace: srv.namespace,
        },
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'ApplicationSet',
          metadata: { name: 'set-a' },
          spec: {
            generators: [{ list: { elements: [] } }],
            template: {
              metadata: { name: '{{name}}' },
              spec: {
                project: 'default',
                source: { repoURL: repoUrl, path: '.' },
                destination: { server: IN_CLUSTER, namespace: 'x' },
              },
            },
          },
        },
      );
    });

    it('lists and gets ApplicationSets with RBAC, missing and forbidden alike', async () => {
      await srv.waitFor(async () => {
        const r = await srv.request('GET', '/api/v1/applicationsets', { token: admin });
        return r.json<{ items: unknown[] }>().items.length === 1;
      }, 'the ApplicationSet in the list');
      const v = await srv.request('GET', '/api/v1/applicationsets', { token: viewer });
      assert.equal(v.json<{ items: unknown[] }>().items.length, 1);
      const a = await srv.request('GET', '/api/v1/applicationsets', { token: alice });
      assert.equal(a.json<{ items: unknown[] }>().items.length, 0);
      assert.equal(
        (await srv.request('GET', '/api/v1/applicationsets/set-a', { token: admin })).status,
        200,
      );
      const forbidden = await srv.request('GET', '/api/v1/applicationsets/set-a', { token: alice });
      const missing = await srv.request('GET', '/api/v1/applicationsets/nope', { token: alice });
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.text, missing.text);
    });
  });
});
