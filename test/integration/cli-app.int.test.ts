/**
 * `argocd app ...` end to end: the real CLI against the API server with the applications API, the
 * real `argocd-application-controller` binary, a repo server and a git server on the real
 * kube-apiserver. Create an app, see the diff, sync it with live progress, wait until Synced and
 * Healthy, change git and see the diff, sync again, roll back, change the spec, delete in cascade.
 *
 * Until the applications API and the controller are in the same build as the CLI (the branches are
 * merged), the tests skip and say why.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Application, ConfigMap, KubeObject } from '../../src/apis/index.js';
import { isNotFound } from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';
import { stringify as stringifyYaml } from 'yaml';
import { programs } from '../../src/cmd/main.js';
import { secretObject, startTestApiServer, type TestApiServer } from '../support/api-server.js';
import { cliFixture, given, type CliFixture } from '../support/e2e.js';
import { startGitServer, type FixtureRepo, type GitServer } from '../support/git-server.js';
import { repoRoot, tempNamespace } from '../support/kube.js';
import { startTestRepoServer, type TestRepoServer } from '../support/repo-server.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' } as const;
const IN_CLUSTER = 'https://kubernetes.default.svc';

const manifest = (value: string): Record<string, string> => ({
  'guestbook/a.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gb-a}\ndata: {k: ${value}}\n`,
  'guestbook/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gb-b}\ndata: {k: fixed}\n',
});

/** The real controller binary; resolves once it runs (rejects with its output when it exits). */
async function startController(
  namespace: string,
  repoServer: string,
  repoCaPem: string,
): Promise<{ stop: () => Promise<void> }> {
  const { kubeconfigPath } = await testCluster();
  const dir = await mkdtemp(join(tmpdir(), 'cli-app-ctl-'));
  await writeFile(join(dir, 'repo-ca.crt'), repoCaPem);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(repoRoot, 'bin', 'argocd-application-controller.js'),
      '--kubeconfig',
      kubeconfigPath,
      '--namespace',
      namespace,
      '--repo-server',
      repoServer,
      '--repo-server-ca-cert-path',
      join(dir, 'repo-ca.crt'),
      '--internal-tls-dir',
      'none',
      '--metrics-address',
      '127.0.0.1',
      '--metrics-port',
      '0',
      '--logformat',
      'json',
    ],
    {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the controller did not start in 60 s:\n${output}`));
    }, 60_000);
    const onData = (c: Buffer): void => {
      output += c.toString();
      if (output.includes('application controller running')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the controller exited with ${String(code)}:\n${output}`));
    });
  });
  return {
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('argocd app against the API server and the application controller', () => {
  let git: GitServer;
  let repo: FixtureRepo;
  let rs: TestRepoServer | undefined;
  let srv: TestApiServer | undefined;
  let ctl: { stop: () => Promise<void> } | undefined;
  let dest: { name: string; cleanup: () => Promise<void> } | undefined;
  let fx: CliFixture | undefined;
  let skip: string | undefined;
  const shas: string[] = [];

  before(async () => {
    if (!programs['argocd-application-controller'].load) {
      skip = 'argocd-application-controller is not in this build yet';
      return;
    }
    git = await startGitServer({ username: 'git-user', password: 'git-pass-word-9' });
    repo = await git.createRepo('apps');
    await repo.write(manifest('v1'));
    shas.push(await repo.commit('guestbook v1'));
    rs = await startTestRepoServer();
    dest = await tempNamespace('cli-app-dest');
    srv = await startTestApiServer({
      namePrefix: 'cli-app',
      objects: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'argocd-tls-certs-cm' },
          data: { '127.0.0.1': git.caPem },
        },
        secretObject(
          'repo-apps',
          { type: 'git', url: git.url('apps'), username: 'git-user', password: 'git-pass-word-9' },
          { 'argocd.argoproj.io/secret-type': 'repository' },
        ),
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'AppProject',
          metadata: { name: 'default' },
          spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
        },
      ],
      deps: { repoServer: rs.client() },
    });
    const token = await srv.login('admin', srv.adminPassword);
    if ((await srv.request('GET', '/api/v1/applications', { token })).status === 404) {
      skip = 'the applications API is not in this build yet';
      return;
    }
    ctl = await startController(srv.namespace, `127.0.0.1:${rs.handle.port}`, rs.ca.certPem);
    fx = await cliFixture({ server: srv.url, caPem: srv.caPem, adminPassword: srv.adminPassword });
    await given(fx).loggedIn();
  });
  after(async () => {
    await ctl?.stop();
    await fx?.close();
    await srv?.close();
    await rs?.close();
    await dest?.cleanup();
    if (git as GitServer | undefined) await git.stop();
  });

  /** the fixture, or skips the test with the reason */
  const ready = (t: TestContext): CliFixture | undefined => {
    if (skip !== undefined || !fx) {
      t.skip(skip ?? 'setup failed');
      return undefined;
    }
    return fx;
  };

  const liveValue = async (): Promise<string | undefined> => {
    if (!srv || !dest) return undefined;
    try {
      const cm = await srv.kube.get<ConfigMap>({
        ...CONFIGMAPS,
        namespace: dest.name,
        name: 'gb-a',
      });
      return cm.data?.k;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };

  it('creates an app and shows what a sync would create', async (t) => {
    const f = ready(t);
    if (!f || !dest) return;
    await given(f)
      .when()
      .argocd(
        'app',
        'create',
        'guestbook',
        '--repo',
        git.url('apps'),
        '--path',
        'guestbook',
        '--dest-server',
        IN_CLUSTER,
        '--dest-namespace',
        dest.name,
      )
      .expect()
      .success()
      .stdout("application 'guestbook' created")
      .when()
      .argocd('app', 'wait', 'guestbook', '--operation', '--timeout', '60')
      .expect()
      .success()
      .when()
      .argocd('app', 'diff', 'guestbook', '--refresh')
      .expect()
      .failure(1)
      .stdout(/===== \/ConfigMap [\w-]+\/gb-a ======/)
      .stdout(/\+ {2}k: v1/)
      .when()
      .argocd('app', 'list')
      .expect()
      .success()
      .stdout(/guestbook\s+https:\/\/kubernetes\.default\.svc\s+\S+\s+default\s+OutOfSync/);
  });

  it('syncs with live progress until Synced and Healthy; then there is no diff', async (t) => {
    const f = ready(t);
    if (!f) return;
    await given(f)
      .when()
      .argocd('app', 'sync', 'guestbook', '--timeout', '120')
      .expect()
      .success()
      .stdout(/TIMESTAMP\s+GROUP\s+KIND\s+NAMESPACE\s+NAME\s+STATUS\s+HEALTH/)
      // a progress row per resource, as it changes
      .stdout(/^\d{4}-\d\d-\d\dT[\d:]+Z\s+ConfigMap\s+\S+\s+gb-a\s/m)
      .stdout(/^Phase:\s+Succeeded$/m)
      .stdout(new RegExp(`^Sync Revision:\\s+${shas[0] ?? ''}$`, 'm'))
      .when()
      .argocd('app', 'wait', 'guestbook', '--health', '--sync', '--timeout', '120')
      .expect()
      .success()
      .stdout(/^Sync Status:\s+Synced to HEAD/m)
      .stdout(/^Health Status:\s+Healthy$/m)
      .when()
      .argocd('app', 'diff', 'guestbook')
      .expect()
      .success()
      .check((r) => {
        assert.equal(r.stdout.trim(), '');
      })
      .when()
      .argocd('app', 'get', 'guestbook', '-o', 'tree')
      .expect()
      .success()
      .stdout(/^ConfigMap\/gb-a\s+Synced/m);
    assert.equal(await liveValue(), 'v1');
  });

  it('shows the difference after a change in git, syncs it, and rolls back', async (t) => {
    const f = ready(t);
    if (!f) return;
    await repo.write(manifest('v2'));
    shas.push(await repo.commit('guestbook v2'));
    let firstId = '';
    await given(f)
      .when()
      .argocd('app', 'diff', 'guestbook', '--hard-refresh')
      .expect()
      .failure(1)
      .stdout(/- {2}k: v1\n\+ {2}k: v2/)
      .when()
      .argocd('app', 'sync', 'guestbook', '--timeout', '120')
      .expect()
      .success()
      .stdout(new RegExp(`^Sync Revision:\\s+${shas[1] ?? ''}$`, 'm'))
      .when()
      .argocd('app', 'history', 'guestbook', '-o', 'id')
      .expect()
      .success()
      .check((r) => {
        const ids = r.stdout.trim().split('\n');
        assert.equal(ids.length, 2, r.stdout);
        firstId = ids[0] ?? '';
      });
    assert.equal(await liveValue(), 'v2');
    await given(f)
      .when()
      .argocd('app', 'rollback', 'guestbook', firstId, '--timeout', '120')
      .expect()
      .success()
      .stdout(/^Phase:\s+Succeeded$/m);
    assert.equal(await liveValue(), 'v1');
  });

  it('prints machine output and refuses bad input with clear messages', async (t) => {
    const f = ready(t);
    if (!f || !dest) return;
    const destNamespace = dest.name;
    const create = (name: string, ...extra: string[]): string[] => [
      'app',
      'create',
      name,
      '--repo',
      git.url('apps'),
      '--path',
      'guestbook',
      '--dest-server',
      IN_CLUSTER,
      '--dest-namespace',
      destNamespace,
      ...extra,
    ];
    await given(f)
      .when()
      .argocd('app', 'list', '-o', 'name')
      .expect()
      .success()
      .check((r) => {
        assert.deepEqual(r.stdout.trim().split('\n'), [`${srv?.namespace ?? ''}/guestbook`]);
      })
      .when()
      .argocd('app', 'get', 'guestbook', '-o', 'yaml')
      .expect()
      .success()
      .stdout(/^kind: Application$/m)
      .stdout(/^ {2}name: guestbook$/m)
      .when()
      .argocd('app', 'manifests', 'guestbook')
      .expect()
      .success()
      .stdout(/name: gb-a/)
      .stdout(/name: gb-b/)
      // the same name with another spec is refused unless --upsert
      .when()
      .argocd(...create('guestbook', '--revision', shas[0] ?? ''))
      .expect()
      .failure()
      .stderr(/existing application spec is different, use upsert/)
      .when()
      .argocd(...create('stray', '--revision', 'no-such-branch'))
      .expect()
      .failure()
      .stderr(/failed to resolve revision "no-such-branch"/)
      .when()
      .argocd(...create('stray', '--project', 'no-such-project'))
      .expect()
      .failure()
      .stderr(/no-such-project/)
      .when()
      .argocd('app', 'sync', 'no-such-app', '--timeout', '10')
      .expect()
      .failure(12)
      .stderr(/permission denied/)
      .stderr(/hint: .*app does not exist/)
      .when()
      .argocd('app', 'wait', 'guestbook', '--suspended', '--timeout', '1')
      .expect()
      .failure(1)
      .stderr(/timed out \(1s\) waiting for application "guestbook": still waiting for/)
      .when()
      .argocd('app', 'rollback', 'guestbook', '999', '--timeout', '10')
      .expect()
      .failure()
      .stderr(/999/);
  });

  it('creates an app from a file, and terminates its sync while it waits on a hook', async (t) => {
    const f = ready(t);
    if (!f || !dest || !srv) return;
    const api = srv;
    await repo.write({
      'hooked/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hooked}\ndata: {k: v}\n',
      // no kubelet runs in the test cluster: the hook Pod stays Pending, so the sync waits on it
      'hooked/pre.yaml':
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: hooked-pre\n  annotations: {argocd.argoproj.io/hook: PreSync}\nspec:\n  containers: [{name: c, image: registry.invalid/never:1}]\n',
    });
    // the new commit by its SHA: HEAD may still resolve to the previous one in the repo server's cache
    const sha = await repo.commit('hooked app');
    const file = join(f.home, 'hooked.yaml');
    await writeFile(
      file,
      stringifyYaml({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'hooked' },
        spec: {
          project: 'default',
          source: { repoURL: git.url('apps'), path: 'hooked', targetRevision: sha },
          destination: { server: IN_CLUSTER, namespace: dest.name },
        },
      }),
    );
    const destNamespace = dest.name;
    await given(f)
      .when()
      .argocd('app', 'create', '-f', file)
      .expect()
      .success()
      .stdout("application 'hooked' created")
      .when()
      .argocd('app', 'get', 'hooked', '-o', 'json')
      .expect()
      .success()
      .json<Application>((a) => {
        assert.equal(a.spec.source?.path, 'hooked');
        assert.equal(a.spec.destination.namespace, destNamespace);
      });
    // the sync follows its progress until the operation ends; it is terminated meanwhile
    const sync = f.run(['app', 'sync', 'hooked', '--timeout', '120'], { timeoutMs: 150_000 });
    const token = (await f.currentToken()) ?? '';
    await api.waitFor(
      async () => {
        const a = (await api.request('GET', '/api/v1/applications/hooked', { token })).json<
          Partial<Application>
        >();
        const op = a.status?.operationState;
        return (
          op?.phase === 'Running' &&
          (op.syncResult?.resources ?? []).some((r) => r.hookType === 'PreSync')
        );
      },
      'the sync to wait on its PreSync hook',
      60_000,
    );
    await given(f)
      .when()
      .argocd('app', 'terminate-op', 'hooked')
      .expect()
      .success()
      .stdout("Application 'hooked' operation terminating");
    const r = await sync;
    assert.equal(r.code, 1, `app sync: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /ended with phase Failed: Operation terminated/);
    assert.match(r.stdout, /PreSync/);
    await given(f)
      .when()
      .argocd('app', 'get', 'hooked', '-o', 'wide')
      .expect()
      .success()
      .stdout(/^GROUP\s+KIND\s+NAMESPACE\s+NAME\s+WAVE\s+STATUS\s+HEALTH/m)
      .stdout(/ConfigMap\s+\S+\s+hooked\s+\S*\s*OutOfSync/)
      .when()
      .argocd('app', 'delete', 'hooked', '-y', '--wait', '--timeout', '120')
      .expect()
      .success();
  });

  it('changes the spec, refuses to terminate when nothing runs, deletes in cascade', async (t) => {
    const f = ready(t);
    if (!f) return;
    await given(f)
      .when()
      .argocd('app', 'set', 'guestbook', '--sync-policy', 'automated', '--self-heal')
      .expect()
      .success()
      .when()
      .argocd('app', 'get', 'guestbook', '-o', 'json')
      .expect()
      .json<Application>((a) => {
        assert.deepEqual(a.spec.syncPolicy?.automated, { selfHeal: true });
      })
      .when()
      .argocd('app', 'set', 'guestbook')
      .expect()
      .failure(2)
      .stderr(/nothing to change/)
      .when()
      .argocd('app', 'terminate-op', 'guestbook')
      .expect()
      .failure()
      .stderr(/failed to terminate the operation of application "guestbook"/)
      .when()
      .argocd('app', 'delete', 'guestbook', '-y', '--wait', '--timeout', '120')
      .expect()
      .success()
      .when()
      .argocd('app', 'get', 'guestbook')
      .expect()
      .failure(12)
      .stderr(/permission denied/);
    if (!srv) return;
    await srv.waitFor(
      async () => (await liveValue()) === undefined,
      'the live ConfigMap to be deleted',
      60_000,
    );
  });

  it('lists and runs resource actions: restart, pause and resume a Deployment', async (t) => {
    const f = ready(t);
    if (!f || !dest || !srv) return;
    await repo.write({
      'workload/web.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web}',
        'spec:',
        '  replicas: 0',
        '  selector: {matchLabels: {app: web}}',
        '  template:',
        '    metadata: {labels: {app: web}}',
        '    spec: {containers: [{name: web, image: registry.example/web:1}]}',
        '',
      ].join('\n'),
    });
    // pinned to the commit: HEAD's resolution is cached by the repo server for a while
    const workloadSha = await repo.commit('a workload');
    const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' } as const;
    type Live = KubeObject & {
      spec: { paused?: boolean; template: { metadata?: { annotations?: Record<string, string> } } };
    };
    const liveWeb = (): Promise<Live> =>
      (srv as TestApiServer).kube.get<Live>({
        ...DEPLOYMENTS,
        namespace: dest?.name ?? '',
        name: 'web',
      });
    await given(f)
      .when()
      .argocd(
        'app',
        'create',
        'workload',
        '--repo',
        git.url('apps'),
        '--path',
        'workload',
        '--revision',
        workloadSha,
        '--dest-server',
        IN_CLUSTER,
        '--dest-namespace',
        dest.name,
      )
      .expect()
      .success()
      .when()
      .argocd('app', 'sync', 'workload', '--timeout', '120')
      .expect()
      .success()
      .when()
      .argocd('app', 'actions', 'list', 'workload', '--kind', 'Deployment')
      .expect()
      .success()
      .stdout(/^GROUP\s+KIND\s+NAMESPACE\s+NAME\s+ACTION\s+DISABLED$/m)
      .stdout(/^apps\s+Deployment\s+\S+\s+web\s+pause\s+false$/m)
      .stdout(/^apps\s+Deployment\s+\S+\s+web\s+restart\s+false$/m)
      .stdout(/^apps\s+Deployment\s+\S+\s+web\s+resume\s+true$/m)
      .when()
      .argocd(
        'app',
        'actions',
        'run',
        'workload',
        'restart',
        '--kind',
        'Deployment',
        '--resource-name',
        'web',
      )
      .expect()
      .success()
      .stdout(/ran action 'restart' on Deployment \S+\/web/);
    assert.match(
      (await liveWeb()).spec.template.metadata?.annotations?.[
        'kubectl.kubernetes.io/restartedAt'
      ] ?? '',
      /^\d{4}-\d\d-\d\dT[\d:]+Z$/,
    );
    await given(f)
      .when()
      .argocd('app', 'actions', 'run', 'workload', 'pause', '--kind', 'Deployment', '--all')
      .expect()
      .success()
      .when()
      .argocd('app', 'actions', 'list', 'workload', '--kind', 'Deployment', '-o', 'json')
      .expect()
      .success()
      .json<{ action: string; disabled: boolean }[]>((rows) => {
        assert.deepEqual(
          rows.map((r) => `${r.action}:${String(r.disabled)}`),
          ['pause:true', 'restart:false', 'resume:false'],
        );
      })
      .when()
      .argocd(
        'app',
        'actions',
        'run',
        'workload',
        'pause',
        '--kind',
        'Deployment',
        '--resource-name',
        'web',
      )
      .expect()
      .failure()
      .stderr(/already paused/)
      .when()
      .argocd(
        'app',
        'actions',
        'run',
        'workload',
        'scale',
        '--kind',
        'Deployment',
        '--resource-name',
        'web',
      )
      .expect()
      .failure()
      .stderr(/has no action "scale"; it offers pause, restart, resume/)
      .when()
      .argocd('app', 'actions', 'run', 'workload', 'restart', '--kind', 'StatefulSet')
      .expect()
      .failure(13)
      .stderr(/no resource of application 'workload' matches kind=StatefulSet/)
      .when()
      .argocd('app', 'actions', 'run', 'workload', 'restart')
      .expect()
      .failure(2)
      .stderr(/--kind is required/)
      .when()
      .argocd(
        'app',
        'actions',
        'run',
        'workload',
        'resume',
        '--kind',
        'Deployment',
        '--resource-name',
        'web',
      )
      .expect()
      .success();
    assert.equal((await liveWeb()).spec.paused, undefined);
    await given(f)
      .when()
      .argocd('app', 'delete', 'workload', '-y', '--wait', '--timeout', '120')
      .expect()
      .success();
  });
});
