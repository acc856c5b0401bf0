/**
 * `argocd login --sso`, twice over:
 * - the flow itself (src/cli/sso.ts) against the bundled OpenID provider in-process: PKCE S256, the
 *   loopback redirect on 127.0.0.1, the state check, the code exchange, a refresh, the refusals;
 * - the whole command end to end: the real `argocd` binary against argocd-server's SSO (the
 *   `/api/dex/` proxy, dex.config, groups → RBAC) with the real `argocd-dex-server` program behind
 *   it; a scripted browser plays the user on the URL the CLI prints. Then the API as the SSO user,
 *   the automatic refresh of an expired ID token, logout revoking the token, and a user whose groups
 *   grant nothing.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArgoCdClient } from '../../src/client/index.js';
import { refreshSsoToken, ssoLogin, type SsoContext } from '../../src/cli/index.js';
import { freePort, testCluster } from '../../src/kubeenv/index.js';
import { createSsoService } from '../../src/server/index.js';
import { startTestApiServer, type TestApiServer } from '../support/api-server.js';
import { cliFixture, fileMode, given, type CliFixture, type RunOptions } from '../support/e2e.js';
import { repoRoot } from '../support/kube.js';
import { Browser, hashPassword, startDex, submitLogin, type RunningDex } from '../support/oidc.js';

const DEX_CONFIG = `
enablePasswordDB: true
staticPasswords:
  - email: erin@example.com
    hash: "${hashPassword('erin-password')}"
    username: erin
    userID: erin-1
    groups: [ops]
`;

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >;
}

/** The browser's view of `http://localhost:<port>`: the loopback address the CLI listens on. */
function loopback(url: string): string {
  return url.replace('://localhost:', '://127.0.0.1:');
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('argocd login --sso flow (bundled OpenID provider)', () => {
  let dex: RunningDex;
  let client: ArgoCdClient;
  const stderr: string[] = [];
  const ctx: SsoContext = {
    io: { stderr: { write: (t) => void stderr.push(t) } },
    secrets: [],
    log: { debug: () => undefined },
  };

  before(async () => {
    dex = await startDex(DEX_CONFIG);
    client = new ArgoCdClient({ baseUrl: dex.url });
  });
  after(async () => {
    client.close();
    await dex.stop();
  });

  const settings = (): { url: string; dexConfig: object } => ({ url: dex.url, dexConfig: {} });

  it('logs in with PKCE through the browser and refreshes the token', async () => {
    const browser = new Browser();
    let authUrl: URL | undefined;
    const tokens = await ssoLogin(ctx, client, settings(), {
      port: 0,
      openUrl: async (url) => {
        authUrl = new URL(url);
        const redirect = authUrl.searchParams.get('redirect_uri') ?? '';
        // a forged redirect with another state is refused and the CLI keeps waiting
        assert.equal(await get(`${loopback(redirect)}?code=forged&state=not-the-state`), 400);
        const page = await browser.follow(url, { stopAt: redirect });
        const last = await submitLogin(
          browser,
          page,
          'erin@example.com',
          'erin-password',
          redirect,
        );
        assert.ok(last.location?.startsWith(redirect), `no redirect to the CLI: ${last.status}`);
        const delivered = await browser.request(loopback(last.location ?? ''));
        assert.equal(delivered.status, 200);
        assert.match(delivered.body, /Login successful/);
      },
    });
    assert.ok(authUrl);
    assert.equal(authUrl.searchParams.get('client_id'), 'argo-cd-cli');
    assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authUrl.searchParams.get('code_challenge') ?? '', /^[\w-]{43}$/);
    assert.match(
      authUrl.searchParams.get('redirect_uri') ?? '',
      /^http:\/\/localhost:\d+\/auth\/callback$/,
    );
    assert.match(authUrl.searchParams.get('scope') ?? '', /offline_access/);
    const c = claims(tokens.idToken);
    assert.equal(c.iss, dex.issuer);
    assert.equal(c.email, 'erin@example.com');
    assert.ok(tokens.refreshToken, 'no refresh token');
    assert.ok(ctx.secrets.includes(tokens.idToken));
    assert.match(stderr.join(''), /open this URL in a browser/);

    const fresh = await refreshSsoToken(ctx, client, tokens.refreshToken, settings());
    assert.equal(claims(fresh.idToken).iss, dex.issuer);
    assert.equal(claims(fresh.idToken).email, 'erin@example.com');
  });

  it('fails with a clear message when the provider answers an error', async () => {
    await assert.rejects(
      ssoLogin(ctx, client, settings(), {
        port: 0,
        openUrl: async (url) => {
          const redirect = new URL(url).searchParams.get('redirect_uri') ?? '';
          const state = new URL(url).searchParams.get('state') ?? '';
          assert.equal(await get(`${loopback(redirect)}?error=access_denied&state=${state}`), 400);
        },
      }),
      /the identity provider answered access_denied/,
    );
  });

  it('refuses a refresh token the provider does not know: run argocd relogin', async () => {
    await assert.rejects(
      refreshSsoToken(ctx, client, 'not-a-refresh-token', settings()),
      /argocd relogin/,
    );
  });

  it('refuses a plain-http issuer that is not the Argo CD server itself', async () => {
    const other = new ArgoCdClient({ baseUrl: 'http://127.0.0.1:1' });
    try {
      await assert.rejects(
        ssoLogin(ctx, other, settings(), { port: 0 }),
        /plain http and not the Argo CD server itself/,
      );
    } finally {
      other.close();
    }
  });
});

/** The real argocd-dex-server program (self-signed TLS, as Argo CD's default link expects). */
async function startDexProgram(
  namespace: string,
  port: number,
  tlsDir: string,
): Promise<{ stop: () => Promise<void> }> {
  const { kubeconfigPath } = await testCluster();
  const proc: ChildProcess = spawn(
    process.execPath,
    [
      join(repoRoot, 'bin', 'argocd-dex-server.js'),
      '--kubeconfig',
      kubeconfigPath,
      '--namespace',
      namespace,
      '--address',
      '127.0.0.1',
      '--port',
      String(port),
      '--tls-dir',
      tlsDir,
      '--logformat',
      'json',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      resolve();
    }),
  );
  let output = '';
  const serving = await new Promise<boolean>((resolve) => {
    const onData = (c: Buffer): void => {
      output += c.toString();
      if (output.includes('argocd-dex-server is serving')) resolve(true);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    void exited.then(() => {
      resolve(false);
    });
  });
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGTERM');
    await exited;
  };
  if (!serving) {
    await stop();
    throw new Error(`argocd-dex-server did not start:\n${output}`);
  }
  return { stop };
}

/** ID tokens live 6 s here, so that the refresh test does not wait long. */
const SHORT_DEX_CONFIG = `${DEX_CONFIG}
  - email: frank@example.com
    hash: "${hashPassword('frank-password')}"
    username: frank
    userID: frank-1
    groups: [visitors]
expiry:
  idTokens: 6s
`;

/**
 * Plays the user of `argocd login --sso`: once the CLI prints the provider's URL, a browser
 * follows it (through the API server), posts the login form, and takes the provider's redirect to
 * the CLI's loopback listener. `run` is the CLI run option; `done()` rethrows what went wrong.
 */
function ssoUser(
  caPem: string | undefined,
  login: string,
  password: string,
  expectedPrefix: string,
): { run: RunOptions; done: () => Promise<void> } {
  let flow: Promise<void> | undefined;
  const run: RunOptions = {
    timeoutMs: 60_000,
    onStderr: (text) => {
      const url = /open this URL in a browser:\s+(\S+)/.exec(text)?.[1];
      if (url === undefined || flow) return;
      flow = (async () => {
        assert.ok(url.startsWith(expectedPrefix), `the CLI sends the user to ${url}`);
        const redirect = new URL(url).searchParams.get('redirect_uri') ?? '';
        const browser = new Browser(caPem === undefined ? {} : { ca: caPem });
        const page = await browser.follow(url, { stopAt: redirect });
        assert.equal(page.status, 200, `expected the login form: ${page.body.slice(0, 300)}`);
        const last = await submitLogin(browser, page, login, password, redirect);
        assert.ok(
          last.location?.startsWith(redirect),
          `no redirect to the CLI: ${last.status} ${last.body.slice(0, 300)}`,
        );
        const delivered = await browser.request(loopback(last.location ?? ''));
        assert.equal(delivered.status, 200);
      })();
      flow.catch(() => undefined);
    },
  };
  return {
    run,
    done: async () => {
      assert.ok(flow, 'the CLI printed no login URL');
      await flow;
    },
  };
}

describe('argocd login --sso end to end (argocd-server SSO, argocd-dex-server, the CLI)', () => {
  let dir: string | undefined;
  let srv: TestApiServer;
  let dex: { stop: () => Promise<void> } | undefined;
  let fx: CliFixture;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-sso-'));
    const dexPort = await freePort();
    srv = await startTestApiServer({
      namePrefix: 'cli-sso',
      cm: { 'dex.config': SHORT_DEX_CONFIG },
      rbac: { 'policy.csv': 'g, ops, role:admin\n' },
      // Argo CD's default link to the provider: TLS without verification (self-signed)
      deps: { services: [createSsoService({ dexServer: `127.0.0.1:${dexPort}` })] },
    });
    // argocd-cm url is this server: the issuer is <url>/api/dex, reached through the proxy
    await srv.setConfigMap('argocd-cm', { url: srv.url });
    await srv.waitFor(() => srv.handle.store.settings().url === srv.url, 'url in the cache');
    dex = await startDexProgram(srv.namespace, dexPort, dir);
    fx = await cliFixture({ server: srv.url, caPem: srv.caPem });
  });
  after(async () => {
    // each part only if it started (a failed `before` leaves the rest undefined)
    await dex?.stop();
    await (fx as CliFixture | undefined)?.close();
    await (srv as TestApiServer | undefined)?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const issuer = (): string => `${srv.url}/api/dex`;
  const loginArgs = (): string[] => [
    'login',
    fx.server,
    '--sso',
    '--sso-port',
    '0',
    '--sso-launch-browser=false',
    '--server-crt',
    fx.caFile ?? '',
  ];

  it('logs in through the server’s provider and calls the API as the SSO user', async () => {
    const user = ssoUser(srv.caPem, 'erin@example.com', 'erin-password', `${issuer()}/auth?`);
    await given(fx)
      .when()
      .argocdWith(user.run, ...loginArgs())
      .step(user.done)
      .expect()
      .success()
      .stdout(`'erin@example.com' logged in successfully`)
      .stdout(`Context '${fx.server}' updated`)
      .check(async (r, f) => {
        const token = (await f.currentToken()) ?? '';
        const c = claims(token);
        assert.equal(c.iss, issuer());
        assert.equal(c.aud, 'argo-cd-cli');
        assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), 'the token is printed');
        assert.match(await f.readConfig(), /refresh-token: \S+/);
        assert.equal(await fileMode(f.configPath), 0o600);
      })
      .when()
      .argocd('account', 'get-user-info', '-o', 'json')
      .expect()
      .success()
      .json<{ loggedIn: boolean; username: string; iss: string; groups: string[] }>((info) => {
        assert.equal(info.loggedIn, true);
        assert.equal(info.username, 'erin@example.com');
        assert.equal(info.iss, issuer());
        assert.deepEqual(info.groups, ['ops']);
      })
      // the group ops is role:admin in argocd-rbac-cm
      .when()
      .argocd('proj', 'create', 'sso-team', '-d', '*,*', '-s', '*')
      .expect()
      .success()
      .when()
      .argocd('proj', 'delete', 'sso-team')
      .expect()
      .success();
  });

  it('refreshes an expired ID token with the refresh token, without a browser', async () => {
    const before = (await fx.currentToken()) ?? '';
    const exp = Number(claims(before).exp) * 1000;
    assert.ok(exp > 0, 'the ID token has an expiry');
    await new Promise((r) => setTimeout(r, Math.max(0, exp - Date.now() + 1100)));
    await given(fx)
      .when()
      .argocd('account', 'get-user-info', '-o', 'json')
      .expect()
      .success()
      .json<{ loggedIn: boolean; username: string }>((info) => {
        assert.equal(info.loggedIn, true);
        assert.equal(info.username, 'erin@example.com');
      })
      .check(async (_r, f) => {
        const after = (await f.currentToken()) ?? '';
        assert.notEqual(after, before, 'the config holds the refreshed token');
        assert.equal(claims(after).iss, issuer());
        assert.ok(Number(claims(after).exp) * 1000 > exp);
      });
  });

  it('logs out: the server refuses the SSO token afterwards', async () => {
    // a fresh token, so that expiry is not what refuses it
    const user = ssoUser(srv.caPem, 'erin@example.com', 'erin-password', `${issuer()}/auth?`);
    let token = '';
    await given(fx)
      .when()
      .argocdWith(user.run, ...loginArgs())
      .step(user.done)
      .expect()
      .success()
      .check(async (_r, f) => {
        token = (await f.currentToken()) ?? '';
      })
      .when()
      .argocd('logout')
      .expect()
      .success()
      .stdout(`Logged out from '${fx.server}'`)
      .check(async (_r, f) => {
        assert.equal(await f.currentToken(), undefined);
      })
      .when()
      .argocd('proj', 'list')
      .expect()
      .failure(12)
      .stderr(/argocd login/);
    const res = await srv.request('GET', '/api/v1/projects', { token });
    assert.equal(res.status, 401, res.text);
  });

  it('refuses what the user’s groups do not grant, with exit 12 and a clear message', async () => {
    const user = ssoUser(srv.caPem, 'frank@example.com', 'frank-password', `${issuer()}/auth?`);
    await given(fx)
      .when()
      .argocdWith(user.run, ...loginArgs())
      .step(user.done)
      .expect()
      .success()
      .stdout(`'frank@example.com' logged in successfully`)
      .when()
      .argocd('proj', 'create', 'not-allowed', '-d', '*,*')
      .expect()
      .failure(12)
      .stderr(/permission denied/);
  });

  it('refuses a wrong password at the provider and leaves the CLI waiting for a good one', async () => {
    const browser = new Browser({ ca: srv.caPem ?? '' });
    let flow: Promise<void> | undefined;
    await given(fx)
      .when()
      .argocdWith(
        {
          timeoutMs: 60_000,
          onStderr: (text) => {
            const url = /open this URL in a browser:\s+(\S+)/.exec(text)?.[1];
            if (url === undefined || flow) return;
            flow = (async () => {
              const redirect = new URL(url).searchParams.get('redirect_uri') ?? '';
              const page = await browser.follow(url, { stopAt: redirect });
              const bad = await submitLogin(browser, page, 'erin@example.com', 'wrong', redirect);
              assert.ok(!bad.location?.startsWith(redirect), 'a wrong password reached the CLI');
              const retry = await browser.follow(url, { stopAt: redirect });
              const good = await submitLogin(
                browser,
                retry,
                'erin@example.com',
                'erin-password',
                redirect,
              );
              assert.equal((await browser.request(loopback(good.location ?? ''))).status, 200);
            })();
            flow.catch(() => undefined);
          },
        },
        ...loginArgs(),
      )
      .step(async () => {
        await flow;
      })
      .expect()
      .success()
      .stdout(`'erin@example.com' logged in successfully`);
  });
});
