/**
 * The argocd CLI end to end: the real `bin/argocd.js` against a real API server on the real
 * kube-apiserver (TLS verified with the server's own certificate), a real git server.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import {
  decodeSecretData,
  type AppProject,
  type KubeObject,
  type Secret,
} from '../../src/apis/index.js';
import { KubeClient, loadKubeconfig } from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';
import { createSelfSignedCertificate } from '../../src/tls/index.js';
import { startTestApiServer, type TestApiServer } from '../support/api-server.js';
import { cliFixture, fileMode, given, type CliFixture } from '../support/e2e.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { tempNamespace } from '../support/kube.js';
import { startTestRepoServer, type TestRepoServer } from '../support/repo-server.js';

const GIT_USER = 'git-reader';
const GIT_PASSWORD = 'git-s3cret-pass-word';
const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;

describe('argocd CLI against the API server', () => {
  let srv: TestApiServer;
  let fx: CliFixture;
  let git: GitServer;
  let rs: TestRepoServer;
  let kubeconfig: string;

  before(async () => {
    git = await startGitServer({ username: GIT_USER, password: GIT_PASSWORD });
    const repo = await git.createRepo('apps');
    await repo.write({
      'guestbook/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gb}\n',
    });
    await repo.commit('add guestbook');
    rs = await startTestRepoServer();
    srv = await startTestApiServer({
      namePrefix: 'cli',
      cm: { 'accounts.alice': 'login, apiKey', 'accounts.ci': 'apiKey' },
      rbac: { 'policy.csv': 'p, alice, projects, get, *, allow\n' },
      objects: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'argocd-tls-certs-cm' },
          data: { '127.0.0.1': git.caPem },
        },
      ],
      deps: { repoServer: rs.client() },
    });
    kubeconfig = (await testCluster()).kubeconfigPath;
    fx = await cliFixture({
      server: srv.url,
      caPem: srv.caPem,
      adminPassword: srv.adminPassword,
      env: { KUBECONFIG: kubeconfig },
    });
  });
  after(async () => {
    await fx.close();
    await srv.close();
    await rs.close();
    await git.stop();
  });

  it('refuses a server whose certificate it cannot verify, and says what to do', async () => {
    await given(fx)
      .when()
      .argocdWithStdin(`${srv.adminPassword}\n`, 'login', fx.server, '--username', 'admin')
      .expect()
      .failure(11)
      .stderr(/not trusted.*--server-crt/)
      .notInOutput(srv.adminPassword);
  });

  it('refuses a wrong password with exit 12 and never echoes it', async () => {
    await given(fx)
      .when()
      .argocdWithStdin(
        'wrong-password-123\n',
        'login',
        fx.server,
        '--username',
        'admin',
        '--server-crt',
        fx.caFile ?? '',
      )
      .expect()
      .failure(12)
      .stderr(/Invalid username or password/)
      .notInOutput('wrong-password-123');
  });

  it('logs in with the password on stdin and saves a private config in Argo CD format', async () => {
    await given(fx)
      .when()
      .argocdWithStdin(
        `${srv.adminPassword}\n`,
        'login',
        fx.server,
        '--username',
        'admin',
        '--server-crt',
        fx.caFile ?? '',
      )
      .expect()
      .success()
      .stdout(/'admin' logged in successfully/)
      .stdout(`Context '${fx.server}' updated`)
      .notInOutput(srv.adminPassword)
      .check(async () => {
        assert.equal(await fileMode(fx.configPath), 0o600);
        assert.equal(await fileMode(dirname(fx.configPath)), 0o700);
        const cfg = parseYaml(await fx.readConfig()) as Record<string, unknown> & {
          servers: Record<string, unknown>[];
          users: Record<string, unknown>[];
        };
        assert.equal(cfg['current-context'], fx.server);
        const s0 = cfg.servers[0];
        assert.ok(s0);
        assert.equal(s0.server, fx.server);
        assert.equal(
          Buffer.from(String(s0['certificate-authority-data']), 'base64').toString(),
          srv.caPem,
        );
        assert.match(String(cfg.users[0]?.['auth-token']), /^eyJ/);
      })
      .when()
      .argocd('context')
      .expect()
      .success()
      .stdout(
        new RegExp(
          `\\*\\s+${fx.server.replace(/\./g, '\\.')}\\s+${fx.server.replace(/\./g, '\\.')}`,
        ),
      );
  });

  it('logs in with --insecure and --grpc-web, and with --plaintext to a server without TLS; switches, goes back to and deletes contexts', async () => {
    const plain = await startTestApiServer({
      namePrefix: 'cli-plain',
      options: { insecure: true },
    });
    const other = await cliFixture({ server: srv.url, adminPassword: srv.adminPassword });
    const plainServer = plain.url.replace(/^http:\/\//, '');
    type Cfg = {
      'current-context': string;
      contexts: { name: string; server: string }[];
      servers: Record<string, unknown>[];
    };
    const config = async (): Promise<Cfg> => parseYaml(await other.readConfig()) as Cfg;
    try {
      await given(other)
        .when()
        .argocdWithStdin(
          `${srv.adminPassword}\n`,
          'login',
          other.server,
          '--username',
          'admin',
          '--insecure',
          '--grpc-web',
          '--name',
          'tls-insecure',
        )
        .expect()
        .success()
        .stdout("Context 'tls-insecure' updated")
        .check(async () => {
          const s = (await config()).servers.find((x) => x.server === other.server);
          assert.equal(s?.insecure, true);
          assert.equal(s['grpc-web'], true);
        })
        .when()
        .argocd('account', 'get-user-info', '-o', 'json')
        .expect()
        .success()
        .json<{ loggedIn: boolean; username: string }>((u) => {
          assert.deepEqual([u.loggedIn, u.username], [true, 'admin']);
        })
        .when()
        .argocdWithStdin(`${plain.adminPassword}\n`, 'login', plainServer, '--username', 'admin')
        .expect()
        .failure(11)
        .stderr(/does not speak TLS on this port.*--plaintext/)
        .notInOutput(plain.adminPassword)
        .when()
        .argocdWithStdin(
          `${plain.adminPassword}\n`,
          'login',
          plainServer,
          '--username',
          'admin',
          '--plaintext',
          '--name',
          'plain',
        )
        .expect()
        .success()
        .notInOutput(plain.adminPassword)
        .check(async () => {
          const c = await config();
          assert.equal(c['current-context'], 'plain');
          const s = c.servers.find((x) => x.server === plainServer);
          assert.equal(s?.['plain-text'], true);
        })
        .when()
        .argocd('account', 'get-user-info', '-o', 'json')
        .expect()
        .success()
        .json<{ loggedIn: boolean; username: string }>((u) => {
          assert.deepEqual([u.loggedIn, u.username], [true, 'admin']);
        })
        .when()
        .argocd('context', 'tls-insecure')
        .expect()
        .success()
        .stdout("Switched to context 'tls-insecure'")
        .when()
        .argocd('context')
        .expect()
        .success()
        .stdout(/^\*\s+tls-insecure\s/m)
        .stdout(/^\s+plain\s/m)
        .when()
        .argocd('context', '-')
        .expect()
        .success()
        .stdout("Switched to context 'plain'")
        .when()
        .argocd('context', 'tls-insecure', '--delete')
        .expect()
        .success()
        .stdout("Context 'tls-insecure' deleted")
        .check(async () => {
          const c = await config();
          assert.deepEqual(
            c.contexts.map((x) => x.name),
            ['plain'],
          );
          assert.equal(c['current-context'], 'plain');
        })
        .when()
        .argocd('context', 'tls-insecure')
        .expect()
        .failure(13)
        .stderr(/does not exist: 'argocd context' lists them/);
    } finally {
      await other.close();
      await plain.close();
    }
  });

  it('prints the client and server versions (table and JSON)', async () => {
    await given(fx)
      .when()
      .argocd('version')
      .expect()
      .success()
      .stdout(/^argocd: v\d/m)
      .stdout(/^argocd-server: v\d/m)
      .when()
      .argocd('version', '-o', 'json')
      .expect()
      .success()
      .json<{ client: { Version: string }; server: { Version: string } }>((v) => {
        assert.match(v.client.Version, /^v\d/);
        assert.match(v.server.Version, /^v?\d/);
      })
      .when()
      .argocd('version', '--client', '--short')
      .expect()
      .success()
      .check((r) => {
        assert.match(r.stdout, /^argocd: v\d\S*\n$/);
      });
  });

  it('creates, shows, lists and deletes a project', async () => {
    await given(fx)
      .when()
      .argocd(
        'proj',
        'create',
        'cli-team-a',
        '--description',
        'Team A',
        '-s',
        'https://git.example/team-a.git',
        '-d',
        'https://kubernetes.default.svc,team-a',
        '--allow-cluster-resource',
        '/Namespace',
      )
      .expect()
      .success()
      .stdout("project 'cli-team-a' created")
      .when()
      .argocd('proj', 'get', 'cli-team-a')
      .expect()
      .success()
      .stdout(/Description:\s+Team A/)
      .stdout(/Destinations:\s+https:\/\/kubernetes\.default\.svc,team-a/)
      .stdout(/Allowed Cluster Resources:\s+\/Namespace/)
      .when()
      .argocd('proj', 'get', 'cli-team-a', '-o', 'json')
      .expect()
      .json<AppProject>((p) => {
        assert.deepEqual(p.spec.sourceRepos, ['https://git.example/team-a.git']);
      })
      .when()
      .argocd('proj', 'list', '-o', 'name')
      .expect()
      .success()
      .stdout(/^cli-team-a$/m)
      .when()
      .argocd('proj', 'delete', 'cli-team-a')
      .expect()
      .success()
      .when()
      .argocd('proj', 'get', 'cli-team-a')
      .expect()
      .failure(13)
      .stderr(/failed to get project "cli-team-a"/);
  });

  it('manages a project role, its policy and a token that works until it is deleted', async () => {
    let token = '';
    let iat = '';
    await given(fx)
      .argocd('proj', 'create', 'cli-roles', '-s', '*', '-d', '*,*')
      .when()
      .argocd('proj', 'role', 'create', 'cli-roles', 'ci', '--description', 'pipelines')
      .expect()
      .success()
      .when()
      .argocd('proj', 'role', 'add-policy', 'cli-roles', 'ci', '-a', 'sync', '-o', '*')
      .expect()
      .success()
      .stdout('p, proj:cli-roles:ci, applications, sync, cli-roles/*, allow')
      .when()
      .argocd('proj', 'role', 'create-token', 'cli-roles', 'ci', '-e', '1h', '-t')
      .expect()
      .success()
      .check((r) => {
        token = r.stdout.trim();
        assert.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
        const claims = JSON.parse(
          Buffer.from(token.split('.')[1] ?? '', 'base64url').toString(),
        ) as {
          iat: number;
          sub: string;
        };
        iat = String(claims.iat);
        assert.equal(claims.sub, 'proj:cli-roles:ci');
      })
      .when()
      .argocd('proj', 'role', 'get', 'cli-roles', 'ci')
      .expect()
      .success()
      .stdout(/Policies:\np, proj:cli-roles:ci, applications, sync, cli-roles\/\*, allow/)
      .check((r) => {
        assert.ok(r.stdout.includes(iat), `the token's iat ${iat} is not listed:\n${r.stdout}`);
        assert.ok(!r.stdout.includes(token), 'role get prints the token');
      });
    // the token works ...
    await given(fx)
      .when()
      .step(async () => {
        const r = await fx.run([
          'account',
          'can-i',
          'sync',
          'applications',
          'cli-roles/web',
          '--auth-token',
          token,
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'yes');
      })
      .when()
      .argocd('account', 'can-i', 'sync', 'applications', 'other/web', '--auth-token', token)
      .expect()
      .success()
      .stdout(/^no$/m)
      .notInOutput(token)
      .when()
      .argocd('proj', 'role', 'delete-token', 'cli-roles', 'ci', iat)
      .expect()
      .success();
    // ... until it is deleted
    await srv.waitFor(async () => {
      const r = await srv.request('GET', '/api/v1/account/can-i/applications/sync/cli-roles/web', {
        token,
      });
      return r.status === 401;
    }, 'the deleted token to be refused');
    await given(fx)
      .when()
      .argocd('account', 'can-i', 'sync', 'applications', 'cli-roles/web', '--auth-token', token)
      .expect()
      .failure(12)
      .stderr(/hint: not logged in, or the session expired or was revoked/)
      .notInOutput(token)
      .when()
      .argocd('proj', 'role', 'remove-policy', 'cli-roles', 'ci', '-a', 'sync', '-o', '*')
      .expect()
      .success()
      .when()
      .argocd('proj', 'role', 'delete', 'cli-roles', 'ci')
      .expect()
      .success()
      .when()
      .argocd('proj', 'role', 'list', 'cli-roles', '-o', 'name')
      .expect()
      .success()
      .check((r) => {
        assert.equal(r.stdout.trim(), '');
      });
  });

  it('creates role tokens without expiry unless --expires-in is given (CLI and REST, as Argo CD)', async () => {
    const claimsOf = (jwt: string): { exp?: number; iat: number } =>
      JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as {
        exp?: number;
        iat: number;
      };
    await given(fx)
      .argocd('proj', 'create', 'cli-expiry', '-s', '*', '-d', '*,*')
      .argocd('proj', 'role', 'create', 'cli-expiry', 'ci')
      .when()
      .argocd('proj', 'role', 'create-token', 'cli-expiry', 'ci', '--id', 'forever')
      .expect()
      .success()
      .stdout(/Expires At: Never/)
      .check((r) => {
        const jwt = /Token: (\S+)/.exec(r.stdout)?.[1] ?? '';
        assert.equal(claimsOf(jwt).exp, undefined, 'a token created without -e has an exp');
      })
      .when()
      .argocd('proj', 'role', 'create-token', 'cli-expiry', 'ci', '-e', '2h', '-t')
      .expect()
      .success()
      .check((r) => {
        const c = claimsOf(r.stdout.trim());
        assert.equal((c.exp ?? 0) - c.iat, 7200);
      });
    const admin = await srv.login('admin', srv.adminPassword);
    const res = await srv.request('POST', '/api/v1/projects/cli-expiry/roles/ci/token', {
      token: admin,
      body: { id: 'rest-forever' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(claimsOf(res.json<{ token: string }>().token).exp, undefined);
    await given(fx).when().argocd('proj', 'delete', 'cli-expiry').expect().success();
  });

  it('adds a private repository with the password from stdin, lists it, removes it; never prints the password', async () => {
    const url = git.url('apps');
    await given(fx)
      .when()
      .argocdWithStdin(
        'wrong-pass-word-42',
        'repo',
        'add',
        url,
        '--username',
        GIT_USER,
        '--password-stdin',
      )
      .expect()
      .failure()
      .stderr(/failed to add repository/)
      .notInOutput('wrong-pass-word-42')
      .when()
      .argocdWithStdin(
        `${GIT_PASSWORD}\n`,
        'repo',
        'add',
        url,
        '--username',
        GIT_USER,
        '--password-stdin',
      )
      .expect()
      .success()
      .stdout(`Repository '${url}' added`)
      .notInOutput(GIT_PASSWORD)
      .when()
      .argocd('repo', 'list')
      .expect()
      .success()
      .stdout(/TYPE\s+NAME\s+REPO\s+INSECURE/)
      .stdout(
        new RegExp(
          `git\\s+${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+false\\s+false\\s+false\\s+true`,
        ),
      )
      .when()
      .argocd('repo', 'list', '-o', 'json')
      .expect()
      .success()
      .notInOutput(GIT_PASSWORD)
      .json<{ repo: string; password?: string }[]>((repos) => {
        const r = repos.find((x) => x.repo === url);
        assert.ok(r, 'the repository is listed');
        assert.ok(!r.password, 'the password is returned');
      })
      .when()
      .argocd('repo', 'get', url, '-o', 'url')
      .expect()
      .success()
      .stdout(url)
      .when()
      .argocd('repo', 'rm', url)
      .expect()
      .success()
      .when()
      .argocd('repo', 'list', '-o', 'url')
      .expect()
      .success()
      .check((r) => {
        assert.ok(!r.stdout.includes(url), 'the repository is still listed');
      });
  });

  it('adds a repository with a TLS client certificate and key read from files; never prints the key', async () => {
    const url = git.url('apps');
    const client = await createSelfSignedCertificate({
      commonName: 'git-client',
      clientAuth: true,
    });
    const certFile = join(fx.home, 'git-client.crt');
    const keyFile = join(fx.home, 'git-client.key');
    await writeFile(certFile, client.certPem);
    await writeFile(keyFile, client.keyPem, { mode: 0o600 });
    const keyBody = client.keyPem.split('\n')[1] ?? '';
    assert.ok(keyBody.length > 20);
    await given(fx)
      .when()
      .argocdWithStdin(
        `${GIT_PASSWORD}\n`,
        'repo',
        'add',
        url,
        '--username',
        GIT_USER,
        '--password-stdin',
        '--tls-client-cert-path',
        certFile,
        '--tls-client-cert-key-path',
        keyFile,
      )
      .expect()
      .success()
      .notInOutput(keyBody)
      .notInOutput(GIT_PASSWORD)
      .check(async () => {
        const secrets = await srv.kube.list<Secret>({ ...SECRETS, namespace: srv.namespace });
        const stored = secrets.items
          .map((x) => decodeSecretData(x))
          .find((d) => d.url === url && d.type === 'git');
        assert.ok(stored, 'the repository Secret exists');
        assert.equal(stored.tlsClientCertData, client.certPem);
        assert.equal(stored.tlsClientCertKey, client.keyPem);
      })
      .when()
      .argocd('repo', 'get', url, '-o', 'json')
      .expect()
      .success()
      .notInOutput(keyBody)
      .when()
      .argocd('repo', 'rm', url)
      .expect()
      .success()
      // a key file that cannot be read is named, its content never shown
      .when()
      .argocd(
        'repo',
        'add',
        url,
        '--tls-client-cert-path',
        certFile,
        '--tls-client-cert-key-path',
        join(fx.home, 'no-such.key'),
      )
      .expect()
      .failure()
      .stderr(/--tls-client-cert-key-path/)
      .notInOutput(keyBody);
  });

  it('adds and removes a credential template', async () => {
    const prefix = `${git.baseUrl}/`;
    await given(fx)
      .when()
      .argocdWithStdin(
        GIT_PASSWORD,
        'repocreds',
        'add',
        prefix,
        '--username',
        GIT_USER,
        '--password-stdin',
      )
      .expect()
      .success()
      .notInOutput(GIT_PASSWORD)
      .when()
      .argocd('repocreds', 'list')
      .expect()
      .success()
      .stdout(new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+git\\s+${GIT_USER}`))
      .when()
      .argocd('repocreds', 'rm', prefix)
      .expect()
      .success();
  });

  it('manages API tokens of an account: generate, use, delete (then refused)', async () => {
    let token = '';
    await given(fx)
      .when()
      .argocd('account', 'generate-token', '--account', 'ci', '-e', '1h', '--id', 'cli-test')
      .expect()
      .success()
      .check((r) => {
        token = r.stdout.trim();
        assert.match(token, /^eyJ/);
      });
    await given(fx)
      .when()
      .argocd('account', 'get-user-info', '-o', 'json', '--auth-token', token)
      .expect()
      .success()
      .json<{ loggedIn: boolean; username: string }>((u) => {
        assert.equal(u.loggedIn, true);
        assert.equal(u.username, 'ci');
      })
      .when()
      .argocd('account', 'get', '--account', 'ci')
      .expect()
      .success()
      .stdout(/Capabilities:\s+apiKey/)
      .stdout(/cli-test/)
      .when()
      .argocd('account', 'list')
      .expect()
      .success()
      .stdout(/^NAME\s+ENABLED\s+CAPABILITIES$/m)
      .stdout(/^admin\s+true\s+login$/m)
      .stdout(/^alice\s+true\s+(login, apiKey|apiKey, login)$/m)
      .stdout(/^ci\s+true\s+apiKey$/m)
      .when()
      .argocd('account', 'delete-token', '--account', 'ci', 'cli-test')
      .expect()
      .success();
    await srv.waitFor(
      async () =>
        (await srv.request('GET', '/api/v1/session/userinfo', { token })).json<{
          loggedIn?: boolean;
        }>().loggedIn !== true,
      'the deleted API token to be refused',
    );
    await given(fx)
      .when()
      .argocd('account', 'get', '--account', 'ci', '--auth-token', token)
      .expect()
      .failure(12);
  });

  it("changes passwords: the old session is refused and the user's context is renewed", async () => {
    const alice = await cliFixture({ server: srv.url, caPem: srv.caPem });
    try {
      const first = 'alice-first-pass-1';
      const second = 'alice-second-pass-2';
      // the admin sets alice's password (its own password confirms the change)
      await given(fx)
        .when()
        .argocd(
          'account',
          'update-password',
          '--account',
          'alice',
          '--current-password',
          srv.adminPassword,
          '--new-password',
          first,
        )
        .expect()
        .success()
        .stdout('Password updated')
        .notInOutput(first);
      await given(alice).loggedIn('alice', first);
      const oldToken = (await alice.currentToken()) ?? '';
      assert.match(oldToken, /^eyJ/);
      // JWT iat has one-second granularity: a token from the same second as the change stays valid
      await new Promise((r) => setTimeout(r, 1100));
      await given(alice)
        .when()
        .argocdWithStdin(`${first}\n${second}\n`, 'account', 'update-password')
        .expect()
        .success()
        .stdout('Password updated')
        .stdout(`Context '${alice.server}' updated`)
        .notInOutput(second)
        .when()
        .argocd('account', 'get-user-info')
        .expect()
        .success()
        .stdout(/Username: alice/)
        .when()
        .argocd('account', 'get-user-info', '-o', 'json', '--auth-token', oldToken)
        .expect()
        .success()
        .json<{ loggedIn: boolean }>((u) => {
          assert.equal(u.loggedIn, false, 'the session from before the change still works');
        })
        .when()
        .argocd('proj', 'list', '--auth-token', oldToken)
        .expect()
        .failure(12)
        .stderr(/argocd login|relogin/);
      // RBAC as alice: she may read projects and nothing more
      await given(alice)
        .when()
        .argocd('account', 'can-i', 'get', 'projects', 'default')
        .expect()
        .success()
        .stdout(/^yes$/m)
        .when()
        .argocd('account', 'can-i', 'delete', 'projects', 'default')
        .expect()
        .success()
        .stdout(/^no$/m)
        .when()
        .argocd('proj', 'delete', 'default')
        .expect()
        .failure(12)
        .stderr(/permission/i)
        .stderr(/hint: your account lacks the RBAC permission/);
    } finally {
      await alice.close();
    }
  });

  it('prints the initial admin password from the cluster', async () => {
    await given(fx)
      .when()
      .argocd('admin', 'initial-password', '-n', srv.namespace)
      .expect()
      .success()
      .check((r) => {
        assert.equal(r.stdout.trim(), srv.adminPassword);
        assert.match(r.stderr, /update-password/);
      })
      .when()
      .argocd('admin', 'initial-password', '-n', 'argocd-ts-test-no-such-namespace')
      .expect()
      .failure(13)
      .stderr(/argocd-initial-admin-secret not found/);
  });

  it("answers admin settings rbac can from the cluster's argocd-rbac-cm (offline, no API server)", async () => {
    await given(fx)
      .when()
      .argocd(
        'admin',
        'settings',
        'rbac',
        'can',
        'alice',
        'get',
        'projects',
        'any',
        '-n',
        srv.namespace,
      )
      .expect()
      .success()
      .stdout(/^Yes$/m)
      .when()
      .argocd(
        'admin',
        'settings',
        'rbac',
        'can',
        'alice',
        'delete',
        'projects',
        'any',
        '-n',
        srv.namespace,
      )
      .expect()
      .failure(1)
      .stdout(/^No$/m);
  });

  it('adds a cluster with a least-privilege service account (namespaced Role, token works only there)', async () => {
    const sys = await tempNamespace('cli-sys');
    const app = await tempNamespace('cli-app');
    const admin = new KubeClient(loadKubeconfig(kubeconfig));
    try {
      await given(fx)
        .when()
        .argocd(
          'cluster',
          'add',
          'argocd-ts-local',
          '--kubeconfig',
          kubeconfig,
          '--name',
          'cli-target',
          '--namespace',
          app.name,
          '--system-namespace',
          sys.name,
          '-y',
        )
        .expect()
        .success()
        .stdout(/Cluster 'https:\/\/127\.0\.0\.1:\d+' added/)
        .when()
        .argocd('cluster', 'list')
        .expect()
        .success()
        .stdout(/cli-target/)
        .when()
        .argocd('cluster', 'get', 'cli-target', '-o', 'json')
        .expect()
        .success()
        .json<{ namespaces?: string[]; config?: { bearerToken?: string } }>((c) => {
          assert.deepEqual(c.namespaces, [app.name]);
          assert.ok(!c.config?.bearerToken, 'the bearer token is returned');
        });
      // the token of argocd-manager may use the namespace it was given, and nothing else
      const secrets = await admin.list<Secret>({ ...SECRETS, namespace: sys.name });
      const tokenSecret = secrets.items.find(
        (x) => x.metadata.annotations?.['kubernetes.io/service-account.name'] === 'argocd-manager',
      );
      assert.ok(tokenSecret, 'no token Secret for argocd-manager');
      const token = decodeSecretData(tokenSecret).token ?? '';
      const asManager = new KubeClient({
        ...loadKubeconfig(kubeconfig),
        certPem: undefined,
        keyPem: undefined,
        token,
      } as never);
      try {
        await asManager.list({
          group: '',
          version: 'v1',
          resource: 'configmaps',
          namespace: app.name,
        });
        await assert.rejects(
          asManager.list({ group: '', version: 'v1', resource: 'configmaps', namespace: sys.name }),
          /forbidden|403/i,
        );
        await assert.rejects(
          asManager.list({ group: '', version: 'v1', resource: 'namespaces' }),
          /forbidden|403/i,
        );
      } finally {
        asManager.close();
      }
      await given(fx).when().argocd('cluster', 'rm', 'cli-target', '-y').expect().success();
    } finally {
      admin.close();
      await app.cleanup();
      await sys.cleanup();
    }
  });

  it('adds a cluster with full access by default: ClusterRole argocd-manager-role bound to the service account', async () => {
    const sys = await tempNamespace('cli-sys-full');
    const admin = new KubeClient(loadKubeconfig(kubeconfig));
    const RBAC = { group: 'rbac.authorization.k8s.io', version: 'v1' } as const;
    try {
      await given(fx)
        .when()
        .argocd(
          'cluster',
          'add',
          'argocd-ts-local',
          '--kubeconfig',
          kubeconfig,
          '--name',
          'cli-full',
          '--system-namespace',
          sys.name,
          '-y',
        )
        .expect()
        .success()
        .stdout(/Cluster 'https:\/\/127\.0\.0\.1:\d+' added/);
      const role = await admin.get<KubeObject & { rules?: { verbs?: string[] }[] }>({
        ...RBAC,
        resource: 'clusterroles',
        name: 'argocd-manager-role',
      });
      assert.ok(role.rules?.some((r) => r.verbs?.includes('*')));
      const binding = await admin.get<KubeObject & { subjects?: unknown[] }>({
        ...RBAC,
        resource: 'clusterrolebindings',
        name: 'argocd-manager-role-binding',
      });
      assert.deepEqual(binding.subjects, [
        { kind: 'ServiceAccount', name: 'argocd-manager', namespace: sys.name },
      ]);
      // the stored token works cluster-wide
      const secrets = await admin.list<Secret>({ ...SECRETS, namespace: sys.name });
      const tokenSecret = secrets.items.find(
        (x) => x.metadata.annotations?.['kubernetes.io/service-account.name'] === 'argocd-manager',
      );
      assert.ok(tokenSecret, 'no token Secret for argocd-manager');
      const asManager = new KubeClient({
        ...loadKubeconfig(kubeconfig),
        certPem: undefined,
        keyPem: undefined,
        token: decodeSecretData(tokenSecret).token ?? '',
      } as never);
      try {
        await asManager.list({ group: '', version: 'v1', resource: 'namespaces' });
      } finally {
        asManager.close();
      }
      await given(fx).when().argocd('cluster', 'rm', 'cli-full', '-y').expect().success();
    } finally {
      for (const [resource, name] of [
        ['clusterrolebindings', 'argocd-manager-role-binding'],
        ['clusterroles', 'argocd-manager-role'],
      ] as const)
        await admin.delete({ ...RBAC, resource, name }).catch(() => undefined);
      admin.close();
      await sys.cleanup();
    }
  });

  it('creates the internal PKI as Secrets, refuses to overwrite, renews keeping the CA', async () => {
    const ns = await tempNamespace('cli-pki');
    const admin = new KubeClient(loadKubeconfig(kubeconfig));
    try {
      await given(fx)
        .when()
        .argocd('admin', 'tls', 'init', '-n', ns.name, '--kubeconfig', kubeconfig)
        .expect()
        .success()
        .stdout(`Secret ${ns.name}/argocd-repo-server-tls created`)
        .when()
        .argocd('admin', 'tls', 'init', '-n', ns.name, '--kubeconfig', kubeconfig)
        .expect()
        .failure()
        .stderr(/exists: pass --overwrite/);
      const before = decodeSecretData(
        await admin.get<Secret>({ ...SECRETS, namespace: ns.name, name: 'argocd-internal-ca' }),
      );
      const leafBefore = decodeSecretData(
        await admin.get<Secret>({ ...SECRETS, namespace: ns.name, name: 'argocd-repo-server-tls' }),
      );
      await given(fx)
        .when()
        .argocd(
          'admin',
          'tls',
          'init',
          '-n',
          ns.name,
          '--kubeconfig',
          kubeconfig,
          '--renew',
          '--overwrite',
        )
        .expect()
        .success();
      const after = decodeSecretData(
        await admin.get<Secret>({ ...SECRETS, namespace: ns.name, name: 'argocd-internal-ca' }),
      );
      const leafAfter = decodeSecretData(
        await admin.get<Secret>({ ...SECRETS, namespace: ns.name, name: 'argocd-repo-server-tls' }),
      );
      assert.equal(after['tls.crt'], before['tls.crt'], 'the CA changed on renewal');
      assert.notEqual(
        leafAfter['tls.crt'],
        leafBefore['tls.crt'],
        'the certificate was not renewed',
      );
      assert.equal(leafAfter['ca.crt'], before['tls.crt']);
    } finally {
      admin.close();
      await ns.cleanup();
    }
  });

  it('refuses bad input with a clear message and a stable exit code (real process; the full table is in src/cli/program.test.ts)', async () => {
    const cases: { args: string[]; code: number; message: RegExp }[] = [
      { args: ['app', 'create', 'web', '--dest-server', 'https://x'], code: 2, message: /--repo/ },
      {
        args: ['cluster', 'add', 'no-such-context', '-y'],
        code: 20,
        message: /no context "no-such-context"/,
      },
      {
        args: ['proj', 'get', 'no-such-project'],
        code: 13,
        message: /failed to get project "no-such-project"/,
      },
      { args: ['app', 'list', '--bogus'], code: 2, message: /unknown option '--bogus'/ },
    ];
    for (const c of cases) {
      const r = await fx.run(c.args, { stdin: '' });
      assert.equal(
        r.code,
        c.code,
        `argocd ${c.args.join(' ')}: exit ${r.code}, want ${c.code}\n${r.stderr}`,
      );
      assert.match(r.stderr, c.message, `argocd ${c.args.join(' ')}: ${r.stderr}`);
    }
  });

  it('prints completion scripts that the shells accept', async () => {
    const bash = await fx.run(['completion', 'bash']);
    assert.equal(bash.code, 0);
    execFileSync('bash', ['-n'], { input: bash.stdout });
    const out = execFileSync('bash', [
      '-c',
      `${bash.stdout}\nCOMP_WORDS=(argocd proj role c); COMP_CWORD=3; _argocd; echo "\${COMPREPLY[*]}"`,
    ]).toString();
    assert.match(out, /create create-token/);
  });

  it('prints a zsh completion script that zsh accepts and that completes subcommands', async (t) => {
    const zsh = spawnSync('zsh', ['--version']);
    if (zsh.error) {
      t.skip(
        'zsh is not installed (apt-get install zsh); the script is unit-tested in program.test.ts',
      );
      return;
    }
    const r = await fx.run(['completion', 'zsh']);
    assert.equal(r.code, 0);
    execFileSync('zsh', ['-n'], { input: r.stdout });
    // zsh's _describe replaced by one that prints the candidates it is given
    const out = execFileSync('zsh', [
      '-c',
      `compdef() { :; }\n${r.stdout}\n_describe() { shift 3; print -l -- "\${(@P)1}"; }\nwords=(argocd proj role c); CURRENT=4; _argocd`,
    ]).toString();
    assert.match(out, /^create:Create a role$/m);
    assert.match(out, /^create-token:/m);
  });

  it('logs out: the session ends and the next command says how to log in', async () => {
    const token = (await fx.currentToken()) ?? '';
    await given(fx)
      .when()
      .argocd('logout')
      .expect()
      .success()
      .stdout(`Logged out from '${fx.server}'`)
      .when()
      .argocd('proj', 'list')
      .expect()
      .failure(12)
      .stderr(/argocd login/);
    const r = await srv.request('GET', '/api/v1/session/userinfo', { token });
    assert.equal(
      r.json<{ loggedIn?: boolean }>().loggedIn,
      false,
      'the session still works after logout',
    );
  });
});
