/**
 * The whole system end to end, the way a newcomer meets it: `npm start` (src/cmd/local.ts) runs as
 * a child process against the shared test cluster (its own namespaces, data directory and free
 * ports, with the demo), and the real `bin/argocd` drives it through Given/When/Then steps: log in,
 * register a git repository served over HTTPS by npm start's demo git server, create a project
 * and an app, sync it to Synced and Healthy, see a change in git in `app diff`, sync again, roll
 * back, create and revoke a project token, log in through SSO as the demo user, refuse a bad input
 * at each command group, update the password and see the old session refused. Assertions are on
 * exit codes, JSON output and what is in the cluster (read with the kube client). The last test
 * stops npm start by PID and checks that every process it started is gone.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { AppProject, Application, ConfigMap, Secret } from '../../src/apis/index.js';
import { isNotFound, type KubeClient } from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';
import { DEMO_APP, DEMO_REPO_SECRET, DEMO_SSO_EMAIL } from '../../src/cmd/local-demo.js';
import { runGit } from '../../src/cmd/local-git-server.js';
import { DEMO_GROUP } from '../../src/cmd/local-install.js';
import { Browser } from '../support/browser.js';
import { cliFixture, fileMode, given, type CliFixture } from '../support/e2e.js';
import { kube, repoRoot, tempNamespace } from '../support/kube.js';
import { submitLogin } from '../support/oidc.js';

const IN_CLUSTER = 'https://kubernetes.default.svc';
const APPS = { group: 'argoproj.io', version: 'v1alpha1', resource: 'applications' } as const;
const PROJECTS = { group: 'argoproj.io', version: 'v1alpha1', resource: 'appprojects' } as const;
const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' } as const;
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' } as const;

/** not 'guestbook': test/integration/cli-app uses that name in its own Argo CD namespace on the same cluster */
const APP = 'e2e-guestbook';
const PROJECT = 'team-e2e';
const NEW_PASSWORD = 'e2e-N3w-passw0rd';

/** The app's one manifest: a ConfigMap whose `k` is `value`. */
const manifest = (value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e2e-guestbook\ndata:\n  k: ${value}\n`;

/** `npm start` running as a child process, and what it wrote once ready. */
interface LocalSystem {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly dataDir: string;
  /** `<data-dir>/local.env`, parsed */
  readonly env: Readonly<Record<string, string>>;
  /** component name → PID, from `<data-dir>/local.json` */
  readonly components: Readonly<Record<string, number>>;
  /** everything it printed so far */
  output(): string;
}

/** Parses local.env: `export NAME='value'` lines (shell single quotes). */
function parseLocalEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_]+)='((?:[^']|'\\'')*)'$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2].replace(/'\\''/g, "'");
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `fn` every 100 ms until it is true; fails with `what` after `timeoutMs`. */
async function until(
  what: string,
  fn: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Starts `npm start`'s entry with `args`; resolves once local.env is written. */
async function startLocalSystem(
  dataDir: string,
  args: readonly string[],
  kubeconfig: string,
): Promise<LocalSystem> {
  const home = join(dataDir, 'home');
  await mkdir(home, { recursive: true });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'src', 'cmd', 'local.ts'), '--data-dir', dataDir, ...args],
    {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`npm start did not start:\n${output}`);
  const envPath = join(dataDir, 'local.env');
  const deadline = Date.now() + 300_000;
  while (!existsSync(envPath)) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `npm start exited (${String(child.exitCode)}) before it was ready:\n${output}`,
      );
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGTERM');
      throw new Error(`npm start was not ready in 300 s:\n${output}`);
    }
    await sleep(200);
  }
  const env = parseLocalEnv(await readFile(envPath, 'utf8'));
  const state = JSON.parse(await readFile(join(dataDir, 'local.json'), 'utf8')) as {
    ready?: boolean;
    components?: Record<string, number>;
  };
  assert.equal(state.ready, true, `local.json does not say ready:\n${output}`);
  return {
    child,
    pid,
    dataDir,
    env,
    components: state.components ?? {},
    output: () => output,
  };
}

describe('the whole system (npm start) through the argocd CLI', () => {
  const suffix = randomBytes(3).toString('hex');
  const namespace = `argocd-ts-test-e2e-${suffix}`;
  const demoNamespace = `argocd-ts-test-e2e-demo-${suffix}`;
  let k: KubeClient;
  let dataDir: string | undefined;
  let sys: LocalSystem | undefined;
  let dest: { name: string; cleanup: () => Promise<void> } | undefined;
  let fx: CliFixture | undefined;
  const others: CliFixture[] = [];
  let kubeconfig = '';
  let gitUrl = '';
  let gitUser = '';
  let gitPassword = '';
  let workDir = '';
  const shas: string[] = [];
  let setupError: Error | undefined;

  before(async () => {
    k = await kube();
    kubeconfig = (await testCluster()).kubeconfigPath;
    dataDir = await mkdtemp(join(tmpdir(), 'argocd-ts-e2e-'));
    dest = await tempNamespace('e2e-dest');
    try {
      sys = await startLocalSystem(
        dataDir,
        [
          '--use-kubeconfig',
          '--namespace',
          namespace,
          '--demo-namespace',
          demoNamespace,
          '--free-ports',
        ],
        kubeconfig,
      );
    } catch (err) {
      setupError = err instanceof Error ? err : new Error(String(err));
      return;
    }
    // the demo git server serves every repository under <data-dir>/demo/git: add one for the test
    const demoRepo = await k.get<Secret>({ ...SECRETS, namespace, name: DEMO_REPO_SECRET });
    const field = (name: string): string =>
      Buffer.from(demoRepo.data?.[name] ?? '', 'base64').toString('utf8');
    gitUrl = field('url').replace(/\/demo\.git$/, '/e2e.git');
    gitUser = field('username');
    gitPassword = field('password');
    const bare = join(dataDir, 'demo', 'git', 'e2e.git');
    workDir = join(dataDir, 'e2e-work');
    await mkdir(bare, { recursive: true });
    await mkdir(join(workDir, 'guestbook'), { recursive: true });
    await runGit(bare, ['init', '--quiet', '--bare', '--initial-branch=main']);
    await runGit(workDir, ['init', '--quiet', '--initial-branch=main']);
    await runGit(workDir, ['remote', 'add', 'origin', bare]);
    shas.push(await commit('v1'));
  });

  after(async () => {
    // a safety net: the last test stops npm start and checks it; here it is only killed
    if (sys && sys.child.exitCode === null && sys.child.signalCode === null) {
      process.kill(sys.pid, 'SIGKILL');
      for (const pid of Object.values(sys.components)) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    await fx?.close();
    for (const o of others) await o.close();
    await dest?.cleanup();
    for (const name of [namespace, demoNamespace])
      await k.delete({ ...NAMESPACES, name }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  /** commits `guestbook/cm.yaml` with `value` and pushes; returns the commit SHA */
  async function commit(value: string): Promise<string> {
    await writeFile(join(workDir, 'guestbook', 'cm.yaml'), manifest(value));
    await runGit(workDir, ['add', '--all']);
    await runGit(workDir, ['commit', '--quiet', '-m', `guestbook ${value}`]);
    await runGit(workDir, ['push', '--quiet', 'origin', 'main']);
    return (await runGit(workDir, ['rev-parse', 'HEAD'])).trim();
  }

  /** the system and the admin's fixture; fails the test when the system did not start */
  const ready = (): { s: LocalSystem; f: CliFixture } => {
    if (setupError !== undefined) throw setupError;
    assert.ok(sys && fx, 'the system is not up or the admin is not logged in');
    return { s: sys, f: fx };
  };

  /** a fresh CLI home on the same server, not logged in */
  const another = async (): Promise<CliFixture> => {
    const { s } = ready();
    const o = await cliFixture({
      server: s.env.ARGOCD_SERVER ?? '',
      caPem: await readFile(s.env.ARGOCD_SERVER_CA ?? '', 'utf8'),
    });
    others.push(o);
    return o;
  };

  /** the value `k` of the app's ConfigMap in the cluster (undefined when absent) */
  const liveValue = async (): Promise<string | undefined> => {
    try {
      const cm = await k.get<ConfigMap>({
        ...CONFIGMAPS,
        namespace: dest?.name ?? '',
        name: 'e2e-guestbook',
      });
      return cm.data?.k;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };

  const exists = async (ref: Parameters<KubeClient['get']>[0]): Promise<boolean> => {
    try {
      await k.get(ref);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  };

  it('starts with local.env naming the server, its CA, the namespace and the logs', () => {
    if (setupError !== undefined) throw setupError;
    assert.ok(sys);
    assert.match(sys.env.ARGOCD_SERVER ?? '', /^127\.0\.0\.1:\d+$/);
    assert.equal(sys.env.ARGOCD_SERVER_URL, `https://${sys.env.ARGOCD_SERVER ?? ''}`);
    assert.equal(sys.env.ARGOCD_NAMESPACE, namespace);
    assert.equal(sys.env.KUBECONFIG, kubeconfig);
    assert.equal(sys.env.ARGOCD_TS_PID, String(sys.pid));
    assert.ok(existsSync(sys.env.ARGOCD_SERVER_CA ?? ''), 'no server CA file');
    assert.deepEqual(Object.keys(sys.components).sort(), [
      'argocd-application-controller',
      'argocd-dex-server',
      'argocd-repo-server',
      'argocd-server',
    ]);
    for (const [name, pid] of Object.entries(sys.components)) {
      assert.ok(alive(pid), `${name} (PID ${String(pid)}) is not running`);
      assert.ok(existsSync(join(sys.env.ARGOCD_TS_LOG_DIR ?? '', `${name}.log`)), `no ${name}.log`);
    }
  });

  it('logs in as admin with the initial password; get-user-info and version answer', async () => {
    if (setupError !== undefined) throw setupError;
    assert.ok(sys);
    const caPem = await readFile(sys.env.ARGOCD_SERVER_CA ?? '', 'utf8');
    const bootstrap = await cliFixture({ server: sys.env.ARGOCD_SERVER ?? '', caPem });
    others.push(bootstrap);
    const r = await bootstrap.run([
      'admin',
      'initial-password',
      '-n',
      namespace,
      '--kubeconfig',
      kubeconfig,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const password = r.stdout.split('\n')[0]?.trim() ?? '';
    assert.match(password, /^\S{8,}$/);
    fx = await cliFixture({ server: sys.env.ARGOCD_SERVER ?? '', caPem, adminPassword: password });
    await given(fx)
      .loggedIn()
      .when()
      .argocd('account', 'get-user-info', '-o', 'json')
      .expect()
      .success()
      .json<{ loggedIn: boolean; username: string; iss: string }>((u) => {
        assert.equal(u.loggedIn, true);
        assert.equal(u.username, 'admin');
        assert.equal(u.iss, 'argocd');
      })
      .when()
      .argocd('version', '-o', 'json')
      .expect()
      .success()
      .json<{ client: { Version: string }; server: { Version: string } }>((v) => {
        assert.match(v.client.Version, /^v\d+\.\d+\.\d+/);
        assert.equal(v.server.Version, v.client.Version);
      })
      .notInOutput(password);
    assert.equal(await fileMode(fx.configPath), 0o600);
    assert.match(await fx.readConfig(), /auth-token: \S+/);
  });

  it('shows the demo app npm start seeded as Synced and Healthy', async () => {
    const { f } = ready();
    await given(f)
      .when()
      .argocd('app', 'get', DEMO_APP, '-o', 'json')
      .expect()
      .success()
      .json<Application>((a) => {
        assert.equal(a.metadata.namespace, namespace);
        assert.equal(a.status?.sync?.status, 'Synced');
        assert.equal(a.status.health?.status, 'Healthy');
      });
    const cm = await k.get<ConfigMap>({
      ...CONFIGMAPS,
      namespace: demoNamespace,
      name: 'demo-config',
    });
    assert.equal(cm.data?.greeting, 'hello from argocd-ts');
  });

  it('adds a git repository with credentials, a project and an app; syncs it to Synced and Healthy', async () => {
    const { f } = ready();
    const destNs = dest?.name ?? '';
    await given(f)
      .when()
      .argocdWithStdin(
        `${gitPassword}\n`,
        'repo',
        'add',
        gitUrl,
        '--username',
        gitUser,
        '--password-stdin',
      )
      .expect()
      .success()
      .stdout(`Repository '${gitUrl}' added`)
      .notInOutput(gitPassword)
      .when()
      .argocd('repo', 'list', '-o', 'json')
      .expect()
      .success()
      .notInOutput(gitPassword)
      .json<{ repo: string; username?: string }[]>((repos) => {
        const r = repos.find((x) => x.repo === gitUrl);
        assert.ok(r, `${gitUrl} is not listed`);
        assert.equal(r.username, gitUser);
      })
      .when()
      .argocd('proj', 'create', PROJECT, '-d', `${IN_CLUSTER},${destNs}`, '-s', gitUrl)
      .expect()
      .success()
      .stdout(`project '${PROJECT}' created`)
      .when()
      .argocd(
        'app',
        'create',
        APP,
        '--project',
        PROJECT,
        '--repo',
        gitUrl,
        '--path',
        'guestbook',
        '--dest-server',
        IN_CLUSTER,
        '--dest-namespace',
        destNs,
      )
      .expect()
      .success()
      .stdout(`application '${APP}' created`)
      .when()
      .argocd('app', 'sync', APP, '--timeout', '120')
      .expect()
      .success()
      .stdout(/^Phase:\s+Succeeded$/m)
      .stdout(new RegExp(`^Sync Revision:\\s+${shas[0] ?? '-'}$`, 'm'))
      .when()
      .argocd('app', 'wait', APP, '--health', '--sync', '--timeout', '120')
      .expect()
      .success()
      .when()
      .argocd('app', 'get', APP, '-o', 'json')
      .expect()
      .success()
      .json<Application>((a) => {
        assert.equal(a.spec.project, PROJECT);
        assert.equal(a.status?.sync?.status, 'Synced');
        assert.equal(a.status.sync.revision, shas[0]);
        assert.equal(a.status.health?.status, 'Healthy');
      });
    // the cluster: the repository Secret (credentials stored, not in the output), project, app, resource
    const secrets = await k.list<Secret>(
      { ...SECRETS, namespace },
      { labelSelector: 'argocd.argoproj.io/secret-type=repository' },
    );
    const repoSecret = secrets.items.find(
      (s) => Buffer.from(s.data?.url ?? '', 'base64').toString() === gitUrl,
    );
    assert.ok(repoSecret, 'no repository Secret for the new repository');
    assert.equal(Buffer.from(repoSecret.data?.password ?? '', 'base64').toString(), gitPassword);
    const proj = await k.get<AppProject>({ ...PROJECTS, namespace, name: PROJECT });
    assert.deepEqual(proj.spec.sourceRepos, [gitUrl]);
    assert.deepEqual(proj.spec.destinations, [{ server: IN_CLUSTER, namespace: destNs }]);
    assert.equal(await liveValue(), 'v1');
  });

  it('shows a change in git with app diff --exit-code, syncs it, and rolls back', async () => {
    const { f } = ready();
    shas.push(await commit('v2'));
    let firstId = '';
    await given(f)
      .when()
      .argocd('app', 'diff', APP, '--refresh', '--exit-code')
      .expect()
      .failure(1)
      .stdout(/===== \/ConfigMap [\w-]+\/e2e-guestbook ======/)
      .stdout(/- {2}k: v1\n\+ {2}k: v2/)
      .when()
      .argocd('app', 'sync', APP, '--timeout', '120')
      .expect()
      .success()
      .stdout(new RegExp(`^Sync Revision:\\s+${shas[1] ?? '-'}$`, 'm'))
      .when()
      .argocd('app', 'diff', APP, '--exit-code')
      .expect()
      .success()
      .when()
      .argocd('app', 'history', APP, '-o', 'json')
      .expect()
      .success()
      .json<{ id: number; revision: string }[]>((h) => {
        assert.deepEqual(
          h.map((x) => x.revision),
          [shas[0], shas[1]],
        );
        firstId = String(h[0]?.id);
      });
    assert.equal(await liveValue(), 'v2');
    await given(f)
      .when()
      .argocd('app', 'rollback', APP, firstId, '--timeout', '120')
      .expect()
      .success()
      .stdout(/^Phase:\s+Succeeded$/m)
      .when()
      .argocd('app', 'get', APP, '-o', 'json')
      .expect()
      .success()
      .json<Application>((a) => {
        assert.equal(a.status?.operationState?.syncResult?.revision, shas[0]);
        // git says v2, the cluster has v1 again
        assert.equal(a.status?.sync?.status, 'OutOfSync');
      });
    assert.equal(await liveValue(), 'v1');
  });

  it('creates a project role token that works for what its policy allows, and refuses it once deleted', async () => {
    const { s, f } = ready();
    let token = '';
    await given(f)
      .when()
      .argocd('proj', 'role', 'create', PROJECT, 'ci')
      .expect()
      .success()
      .when()
      .argocd('proj', 'role', 'add-policy', PROJECT, 'ci', '-a', 'get', '-o', '*', '-p', 'allow')
      .expect()
      .success()
      .when()
      .argocd('proj', 'role', 'create-token', PROJECT, 'ci', '-i', 'e2e-token', '-t')
      .expect()
      .success()
      .check((r) => {
        token = r.stdout.trim();
        assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      });
    const proj = await k.get<AppProject>({ ...PROJECTS, namespace, name: PROJECT });
    assert.deepEqual(
      proj.spec.roles?.find((r) => r.name === 'ci')?.jwtTokens?.map((t) => t.id),
      ['e2e-token'],
    );
    const ci = await another();
    const withToken = (...args: string[]): string[] => [
      '--server',
      s.env.ARGOCD_SERVER ?? '',
      '--server-crt',
      ci.caFile ?? '',
      '--auth-token',
      token,
      ...args,
    ];
    await given(ci)
      .when()
      .argocd(...withToken('app', 'get', APP, '-o', 'json'))
      .expect()
      .success()
      .notInOutput(token)
      .json<Application>((a) => {
        assert.equal(a.metadata.name, APP);
      })
      .when()
      .argocd(...withToken('account', 'get-user-info', '-o', 'json'))
      .expect()
      .success()
      .json<{ username: string }>((u) => {
        assert.equal(u.username, `proj:${PROJECT}:ci`);
      })
      // the policy grants get, not delete
      .when()
      .argocd(...withToken('app', 'delete', APP, '-y'))
      .expect()
      .failure(12)
      .stderr(/permission denied/);
    assert.ok(await exists({ ...APPS, namespace, name: APP }), 'the app was deleted');
    await given(f)
      .when()
      .argocd('proj', 'role', 'delete-token', PROJECT, 'ci', 'e2e-token')
      .expect()
      .success();
    await given(ci)
      .when()
      .argocd(...withToken('app', 'get', APP, '-o', 'json'))
      .expect()
      .failure(12)
      .stderr(/the project token has been deleted/)
      .stderr(/run 'argocd login/)
      .notInOutput(token);
    const revoked = await k.get<AppProject>({ ...PROJECTS, namespace, name: PROJECT });
    assert.deepEqual(revoked.spec.roles?.find((r) => r.name === 'ci')?.jwtTokens ?? [], []);
  });

  it('logs in through SSO as the demo user of the bundled provider', async () => {
    const { s } = ready();
    const sso = await another();
    const password = (await readFile(join(s.dataDir, 'demo', 'sso-password'), 'utf8')).trim();
    let browsing: Promise<void> | undefined;
    /** the user's part: open the URL the CLI printed, log in, follow the redirect to the CLI */
    const browse = async (url: string): Promise<void> => {
      const browser = new Browser({ ca: await readFile(sso.caFile ?? '', 'utf8') });
      const redirect = new URL(url).searchParams.get('redirect_uri') ?? '';
      assert.match(redirect, /^http:\/\/localhost:\d+\/auth\/callback$/);
      const page = await browser.follow(url, { stopAt: redirect });
      assert.equal(page.status, 200, `expected the login page: ${page.body.slice(0, 300)}`);
      const last = await submitLogin(browser, page, DEMO_SSO_EMAIL, password, redirect);
      const location = last.location ?? '';
      assert.ok(location.startsWith(redirect), `no redirect to the CLI: ${String(last.status)}`);
      // the CLI listens on 127.0.0.1; `localhost` is what the provider has registered
      const back = await browser.request(location.replace('://localhost:', '://127.0.0.1:'));
      assert.equal(back.status, 200);
    };
    await given(sso)
      .when()
      .argocdWith(
        {
          timeoutMs: 90_000,
          onStderr: (text) => {
            // the whole URL: it ends with the line
            const m = /(https:\/\/\S+\/api\/dex\/auth\?\S+)\n/.exec(text);
            if (browsing || m?.[1] === undefined) return;
            browsing = browse(m[1]);
            // awaited below; this keeps a failure from being an unhandled rejection meanwhile
            browsing.catch(() => undefined);
          },
        },
        'login',
        s.env.ARGOCD_SERVER ?? '',
        '--sso',
        '--sso-launch-browser=false',
        '--sso-port',
        '0',
        '--server-crt',
        sso.caFile ?? '',
      )
      .expect()
      .check(async () => {
        assert.ok(browsing, 'the CLI printed no login URL');
        await browsing;
      })
      .success()
      .stdout(/logged in successfully/)
      .notInOutput(password)
      .when()
      .argocd('account', 'get-user-info', '-o', 'json')
      .expect()
      .success()
      .json<{ loggedIn: boolean; iss: string; groups: string[] }>((u) => {
        assert.equal(u.loggedIn, true);
        assert.match(u.iss, /\/api\/dex$/);
        assert.ok(u.groups.includes(DEMO_GROUP), `groups: ${u.groups.join(',')}`);
      })
      // the demo role may read apps of the default project, not of team-e2e
      .when()
      .argocd('app', 'get', DEMO_APP, '-o', 'json')
      .expect()
      .success()
      .when()
      .argocd('app', 'get', APP)
      .expect()
      .failure(12)
      .stderr(/permission denied/);
  });

  it('refuses a bad input at each command group with a clear message, creating nothing', async () => {
    const { f } = ready();
    const destNs = dest?.name ?? '';
    const tokenBefore = await f.currentToken();
    const badRepo = gitUrl.replace(/\/e2e\.git$/, '/e2e-bad.git');
    await given(f)
      // app: an invalid name; a source the project does not permit
      .when()
      .argocd('app', 'create', 'Bad_App', '--repo', gitUrl, '--path', 'guestbook')
      .expect()
      .failure(2)
      .stderr(/invalid application name "Bad_App"/)
      .when()
      .argocd(
        'app',
        'create',
        'e2e-not-permitted',
        '--project',
        PROJECT,
        '--repo',
        gitUrl.replace(/\/e2e\.git$/, '/demo.git'),
        '--path',
        'apps/demo',
        '--dest-server',
        IN_CLUSTER,
        '--dest-namespace',
        destNs,
      )
      .expect()
      .failure()
      .stderr(/is not permitted in project 'team-e2e'/)
      // proj: an invalid name
      .when()
      .argocd('proj', 'create', 'Bad_Project', '-s', '*')
      .expect()
      .failure(2)
      .stderr(/invalid project name "Bad_Project"/)
      // repo: wrong credentials
      .when()
      .argocd('repo', 'add', badRepo, '--username', gitUser, '--password', 'not-the-password')
      .expect()
      .failure()
      .stderr(/failed to add repository/)
      .stderr(/Authentication failed/)
      .notInOutput('not-the-password')
      // account: the wrong current password; a new password the policy refuses
      .when()
      .argocd(
        'account',
        'update-password',
        '--current-password',
        'not-the-password',
        '--new-password',
        NEW_PASSWORD,
      )
      .expect()
      .failure()
      .stderr(/current password does not match/)
      .notInOutput(NEW_PASSWORD)
      .when()
      .argocd(
        'account',
        'update-password',
        '--current-password',
        f.adminPassword ?? '',
        '--new-password',
        'short',
      )
      .expect()
      .failure()
      .stderr(/failed to accept the new password/)
      .notInOutput(f.adminPassword ?? '')
      // login: a wrong password; no server
      .when()
      .argocdWithStdin(
        'not-the-password\n',
        'login',
        f.server,
        '--username',
        'admin',
        '--server-crt',
        f.caFile ?? '',
      )
      .expect()
      .failure(12)
      .stderr(/failed to log in as "admin": Invalid username or password/)
      .stderr(/hint: check the user name and the password.*'argocd admin initial-password/)
      .notInOutput("run 'argocd login")
      .when()
      .argocd('login')
      .expect()
      .failure(2)
      .stderr(/missing required argument 'server'/);
    // nothing was created or changed
    assert.equal(await exists({ ...APPS, namespace, name: 'e2e-not-permitted' }), false);
    const projects = await k.list<AppProject>({ ...PROJECTS, namespace });
    assert.deepEqual(projects.items.map((p) => p.metadata.name).sort(), ['default', PROJECT]);
    const secrets = await k.list<Secret>(
      { ...SECRETS, namespace },
      { labelSelector: 'argocd.argoproj.io/secret-type=repository' },
    );
    assert.ok(
      !secrets.items.some((s) => Buffer.from(s.data?.url ?? '', 'base64').toString() === badRepo),
      'a Secret was created for the refused repository',
    );
    assert.equal(await f.currentToken(), tokenBefore, 'a failed login changed the session');
    await given(f).when().argocd('account', 'get-user-info', '-o', 'json').expect().success();
  });

  it('updates the password: the old session is refused, a new login works', async () => {
    const { f } = ready();
    // a copy of the session as it is now
    const old = await another();
    await mkdir(join(old.configPath, '..'), { recursive: true });
    await writeFile(old.configPath, await f.readConfig(), { mode: 0o600 });
    await given(old).when().argocd('app', 'list', '-o', 'name').expect().success();
    await given(f)
      .when()
      .argocd(
        'account',
        'update-password',
        '--current-password',
        f.adminPassword ?? '',
        '--new-password',
        NEW_PASSWORD,
      )
      .expect()
      .success()
      .stdout('Password updated')
      .notInOutput(NEW_PASSWORD);
    await given(old)
      .when()
      .argocd('app', 'list')
      .expect()
      .failure(12)
      .stderr(/the token has been revoked/)
      .stderr(/run 'argocd login/);
    const fresh = await another();
    await given(fresh)
      .when()
      .argocdWithStdin(
        `${f.adminPassword ?? ''}\n`,
        'login',
        fresh.server,
        '--username',
        'admin',
        '--server-crt',
        fresh.caFile ?? '',
      )
      .expect()
      .failure(12)
      .stderr(/Invalid username or password/)
      .when()
      .argocdWithStdin(
        `${NEW_PASSWORD}\n`,
        'login',
        fresh.server,
        '--username',
        'admin',
        '--server-crt',
        fresh.caFile ?? '',
      )
      .expect()
      .success()
      .when()
      .argocd('app', 'list', '-o', 'name')
      .expect()
      .success()
      .stdout(APP);
  });

  it('stops every process it started when it gets SIGTERM (by PID)', async (t: TestContext) => {
    if (setupError !== undefined) throw setupError;
    assert.ok(sys);
    const s = sys;
    const exited = new Promise<number | null>((resolve) => {
      if (s.child.exitCode !== null) resolve(s.child.exitCode);
      else
        s.child.once('exit', (code) => {
          resolve(code);
        });
    });
    process.kill(s.pid, 'SIGTERM');
    const code = await Promise.race([exited, sleep(90_000).then(() => 'timeout' as const)]);
    assert.notEqual(code, 'timeout', `npm start did not exit after SIGTERM:\n${s.output()}`);
    assert.equal(code, 0, s.output());
    for (const [name, pid] of Object.entries(s.components))
      await until(`${name} (PID ${String(pid)}) to be gone`, () => !alive(pid), 10_000);
    assert.ok(!existsSync(join(s.dataDir, 'local.env')), 'local.env is left behind');
    assert.ok(!existsSync(join(s.dataDir, 'local.json')), 'local.json is left behind');
    assert.match(s.output(), /stopped\n?$/);
    t.diagnostic(`npm start stopped: ${Object.values(s.components).join(', ')} gone`);
  });
});
