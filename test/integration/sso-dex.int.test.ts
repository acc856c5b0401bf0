/**
 * argocd-server as the relying party of the bundled provider, end to end: the real
 * argocd-dex-server program (TLS from a mounted directory, keys in a Secret) and the API server in
 * one temporary namespace of the real test cluster, a scripted browser that follows redirects and
 * posts the login form through the `/api/dex/` proxy, and API calls with the resulting cookie.
 * Then the upstream `oidc` connector to a second provider instance, and the negative cases.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import * as client from 'openid-client';
import { importJWK, SignJWT, type CryptoKey } from 'jose';
import { decodeSecretData, type Secret } from '../../src/apis/index.js';
import { freePort, testCluster } from '../../src/kubeenv/index.js';
import { createConnectorFetch, decodeKeySet } from '../../src/oidc/index.js';
import {
  createSsoService,
  INSECURE_DEX_LINK,
  type ApiService,
  type DexLinkTls,
} from '../../src/server/index.js';
import {
  ClientTlsSource,
  createCertificateAuthority,
  dexServerClientTlsOptions,
  issueCertificate,
} from '../../src/tls/index.js';
import { startTestApiServer, type TestApiServer } from '../support/api-server.js';
import { repoRoot } from '../support/kube.js';
import {
  Browser,
  beginLogin,
  hashPassword,
  loginWithPassword,
  parseForm,
  relyingParty,
  startDex,
  testPki,
  type RunningDex,
} from '../support/oidc.js';

const STATIC_USERS = `
enablePasswordDB: true
staticPasswords:
  - email: erin@example.com
    hash: "${hashPassword('erin-password')}"
    username: erin
    userID: erin-1
    groups: [ops]
  - email: frank@example.com
    hash: "${hashPassword('frank-password')}"
    username: frank
    userID: frank-1
`;

/** A route for the tests: who the server thinks the caller is, and an RBAC-checked one. */
const probeService: ApiService = {
  name: 'sso-probe',
  register(routes) {
    routes.route({
      method: 'GET',
      path: '/api/v1/test-sso/whoami',
      auth: 'optional',
      handler: (ctx) => ({
        loggedIn: ctx.caller.loggedIn,
        kind: ctx.caller.kind,
        subject: ctx.caller.subject,
        username: ctx.caller.username,
        issuer: ctx.caller.issuer ?? null,
        groups: ctx.caller.groups,
      }),
    });
    routes.route({
      method: 'GET',
      path: '/api/v1/test-sso/apps/:name',
      handler: (ctx, req) => {
        ctx.enforce('applications', 'get', `default/${req.params.name ?? ''}`);
        return { name: req.params.name, subject: ctx.caller.subject };
      },
    });
  },
};

interface DexProgram {
  readonly proc: ChildProcess;
  readonly logs: string[];
  stop(): Promise<void>;
}

async function startDexProgram(args: string[]): Promise<DexProgram> {
  const { kubeconfigPath } = await testCluster();
  const proc = spawn(
    process.execPath,
    [
      join(repoRoot, 'bin', 'argocd-dex-server.js'),
      '--kubeconfig',
      kubeconfigPath,
      '--address',
      '127.0.0.1',
      '--logformat',
      'json',
      ...args,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: string[] = [];
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      resolve();
    }),
  );
  const serving = new Promise<boolean>((resolve) => {
    let buf = '';
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        if (line.includes('argocd-dex-server is serving')) resolve(true);
      }
    });
    void exited.then(() => {
      resolve(false);
    });
  });
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGTERM');
    await exited;
  };
  if (!(await serving)) {
    await stop();
    throw new Error(`argocd-dex-server did not start:\n${logs.join('\n')}`);
  }
  return { proc, logs, stop };
}

function b64(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

function cookieHeader(browser: Browser, url: string): string {
  return Object.entries(browser.cookiesFor(url))
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

describe('argocd-server with the bundled provider (argocd-dex-server)', () => {
  let dir: string;
  let srv: TestApiServer;
  let dex: DexProgram;
  let upstream: RunningDex;
  let issuer: string;
  let trustPem: string;
  let goodLink: ClientTlsSource;
  let wrongCaLink: ClientTlsSource;
  let link: DexLinkTls;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'argocd-sso-dex-'));
    const pki = await testPki();
    const tlsDir = join(dir, 'dex-tls');
    mkdirSync(tlsDir);
    writeFileSync(join(tlsDir, 'tls.crt'), pki.serving.certPem);
    writeFileSync(join(tlsDir, 'tls.key'), pki.serving.keyPem);
    writeFileSync(join(tlsDir, 'ca.crt'), pki.ca.certPem);
    // what --dex-server-strict-tls would read from another CA
    const otherCa = await createCertificateAuthority({ commonName: 'some other CA' });
    const otherDir = join(dir, 'other-tls');
    mkdirSync(otherDir);
    writeFileSync(join(otherDir, 'ca.crt'), otherCa.certPem);
    writeFileSync(
      join(otherDir, 'tls.crt'),
      (await issueCertificate(otherCa, { commonName: 'x', hosts: ['127.0.0.1'] })).certPem,
    );

    const dexPort = await freePort();
    const flags = {
      dexServer: `127.0.0.1:${dexPort}`,
      dexServerPlaintext: false,
      dexServerStrictTls: true,
      dexServerCaCertPath: undefined,
      dexServerClientCertPath: undefined,
      dexServerClientCertKeyPath: undefined,
    };
    goodLink = await ClientTlsSource.open(
      dexServerClientTlsOptions(flags, { strictTlsDir: tlsDir, internalTlsDir: 'none' }),
    );
    wrongCaLink = await ClientTlsSource.open(
      dexServerClientTlsOptions(flags, { strictTlsDir: otherDir, internalTlsDir: 'none' }),
    );
    let current: ClientTlsSource = goodLink;
    link = {
      get mode() {
        return current.mode;
      },
      connectionOptions: () => current.connectionOptions(),
    };
    (link as { use?: (s: ClientTlsSource) => void }).use = (s) => {
      current = s;
    };

    // the second provider the bundled one federates to
    upstream = await startDex(
      `
enablePasswordDB: true
staticPasswords:
  - email: gail@example.com
    hash: "${hashPassword('gail-password')}"
    username: gail
    userID: gail-1
    groups: [platform]
staticClients:
  - id: argocd-dex
    secret: upstream-client-secret-0123456789
    redirectURIs: ["https://placeholder.invalid/callback"]
`,
      { certificate: pki.serving },
    );

    srv = await startTestApiServer({
      namePrefix: 'sso-dex',
      cm: { 'dex.config': STATIC_USERS },
      rbac: { 'policy.csv': 'g, ops, role:admin\ng, platform, role:readonly\n' },
      deps: {
        services: [
          probeService,
          createSsoService({
            dexServer: `127.0.0.1:${dexPort}`,
            dexTls: link,
            jwks: { cooldownMs: 0 },
          }),
        ],
      },
    });
    trustPem = `${srv.caPem ?? ''}\n${pki.ca.certPem}`;
    issuer = `${srv.url}/api/dex`;
    // argocd-cm url is this server, so the issuer is <url>/api/dex and redirects come back here
    await srv.setConfigMap('argocd-cm', { url: srv.url });
    await srv.waitFor(() => srv.handle.store.settings().url === srv.url, 'url in the cache');
    // the upstream connector's client secret and CA, referenced from dex.config
    const secretRef = {
      group: '',
      version: 'v1',
      resource: 'secrets',
      namespace: srv.namespace,
      name: 'argocd-secret',
    };
    const current2 = await srv.kube.get<Secret>(secretRef);
    await srv.kube.replace(secretRef, {
      ...current2,
      data: {
        ...current2.data,
        'dex.upstream.clientSecret': Buffer.from('upstream-client-secret-0123456789').toString(
          'base64',
        ),
        'dex.upstream.ca': Buffer.from(pki.ca.certPem).toString('base64'),
      },
    });
    dex = await startDexProgram([
      '--namespace',
      srv.namespace,
      '--port',
      String(dexPort),
      '--tls-dir',
      tlsDir,
      '--key-check-interval',
      '1h',
    ]);
  });

  after(async () => {
    await dex.stop();
    await upstream.stop();
    goodLink.close();
    wrongCaLink.close();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** /auth/login → provider login form (through the proxy) → callback → back at `returnPath`. */
  async function browserLogin(
    login: string,
    password: string,
    returnPath = '/applications',
  ): Promise<{ browser: Browser; token: string }> {
    const browser = new Browser({ ca: trustPem });
    const returnUrl = `${srv.url}${returnPath}`;
    const page = await browser.follow(
      `${srv.url}/auth/login?return_url=${encodeURIComponent(returnUrl)}`,
      { stopAt: returnUrl },
    );
    assert.equal(
      page.status,
      200,
      `expected the login form: ${page.status} ${page.body.slice(0, 300)}`,
    );
    assert.ok(page.url.startsWith(`${issuer}/interaction/`), page.url);
    const form = parseForm(page.body);
    const last = await browser.follow(form.action, {
      method: 'POST',
      form: { ...form.hidden, login, password },
      stopAt: returnUrl,
    });
    assert.equal(
      last.status,
      303,
      `${last.status} ${last.body.slice(0, 500)}\n${browser.visited.join('\n')}`,
    );
    assert.equal(last.location, returnUrl);
    const token = browser.cookiesFor(`${srv.url}/api/v1/`)['argocd.token'];
    assert.ok(
      token !== undefined && token.split('.').length === 3,
      'argocd.token holds the ID token',
    );
    return { browser, token };
  }

  async function signingKey(): Promise<{
    kid: string;
    key: CryptoKey;
    jwk: Record<string, unknown>;
  }> {
    const s = await srv.kube.get<Secret>({
      group: '',
      version: 'v1',
      resource: 'secrets',
      namespace: srv.namespace,
      name: 'argocd-dex-server-keys',
    });
    const first = decodeKeySet(decodeSecretData(s)['keys.json'] ?? '').keys[0];
    assert.ok(first);
    const imported = await importJWK(first.jwk, 'RS256');
    assert.ok(!(imported instanceof Uint8Array));
    const key: CryptoKey = imported;
    const {
      d: _d,
      p: _p,
      q: _q,
      dp: _dp,
      dq: _dq,
      qi: _qi,
      ...pub
    } = first.jwk as unknown as Record<string, unknown>;
    return { kid: first.kid, key, jwk: pub };
  }

  it('logs a user in through the provider pages and the API applies the groups’ RBAC', async () => {
    const { browser, token } = await browserLogin('erin@example.com', 'erin-password');
    const visited = browser.visited.join('\n');
    assert.match(visited, /\/api\/dex\/auth\?/);
    assert.match(visited, /\/auth\/callback\?code=/);
    const authUrl = new URL(browser.visited.find((u) => u.includes('/api/dex/auth?')) ?? '');
    assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authUrl.searchParams.get('client_id'), 'argo-cd');
    assert.ok((authUrl.searchParams.get('nonce') ?? '').length >= 32);
    assert.ok((authUrl.searchParams.get('state') ?? '').length >= 32);
    assert.equal(authUrl.searchParams.get('redirect_uri'), `${srv.url}/auth/callback`);

    const cookie = cookieHeader(browser, `${srv.url}/api/v1/`);
    assert.ok(!cookie.includes('argocd.oauthstate'), 'the state cookie is gone after the callback');
    const who = await srv.request('GET', '/api/v1/test-sso/whoami', { cookie });
    assert.equal(who.status, 200, who.text);
    assert.deepEqual(who.json(), {
      loggedIn: true,
      kind: 'sso',
      subject: 'erin-1',
      username: 'erin@example.com',
      issuer,
      groups: ['ops'],
    });
    const app = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', { cookie });
    assert.equal(app.status, 200, app.text);
    const info = await srv.request('GET', '/api/v1/session/userinfo', { cookie });
    const body = info.json<{
      loggedIn: boolean;
      username: string;
      iss: string;
      groups: string[];
      roles: string[];
    }>();
    assert.equal(body.loggedIn, true);
    assert.equal(body.username, 'erin@example.com');
    assert.equal(body.iss, issuer);
    assert.deepEqual(body.groups, ['ops']);
    assert.ok(body.roles.includes('role:admin'), `effective roles: ${body.roles.join(', ')}`);
    // the same token as a bearer (what the CLI does)
    const bearer = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', { token });
    assert.equal(bearer.status, 200);
  });

  it('denies by default a user whose login yields no groups, and says so in the log', async () => {
    const { browser } = await browserLogin('frank@example.com', 'frank-password');
    const cookie = cookieHeader(browser, `${srv.url}/api/v1/`);
    const app = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', { cookie });
    assert.equal(app.status, 403);
    const warning = srv.logs.find((l) => String(l.msg).includes('yielded no groups'));
    assert.ok(warning, 'a warning names the missing groups');
    assert.ok(Array.isArray(warning.claims) && warning.claims.includes('email'));
  });

  it('lets the CLI client (argo-cd-cli, PKCE, loopback redirect) log in and call the API', async () => {
    const trusting = createConnectorFetch({ ca: trustPem });
    const rp = await relyingParty(issuer, 'argo-cd-cli', { fetch: trusting });
    const attempt = await beginLogin(rp, 'http://localhost:8085/auth/callback');
    const callback = await loginWithPassword(
      new Browser({ ca: trustPem }),
      attempt,
      'erin@example.com',
      'erin-password',
    );
    const tokens = await client.authorizationCodeGrant(rp, callback, {
      pkceCodeVerifier: attempt.verifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
    });
    const res = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', {
      token: tokens.id_token ?? '',
    });
    assert.equal(res.status, 200, res.text);
  });

  it('federates through the upstream oidc connector to a second provider instance', async () => {
    await upstream.dex.update(
      upstream.settings(
        `
enablePasswordDB: true
staticPasswords:
  - email: gail@example.com
    hash: "${hashPassword('gail-password')}"
    username: gail
    userID: gail-1
    groups: [platform]
staticClients:
  - id: argocd-dex
    secret: upstream-client-secret-0123456789
    redirectURIs: ["${issuer}/callback"]
`,
      ),
    );
    await srv.setConfigMap('argocd-cm', {
      'dex.config': `${STATIC_USERS}
connectors:
  - type: oidc
    id: corp
    name: Corp
    config:
      issuer: ${upstream.issuer}
      clientID: argocd-dex
      clientSecret: $dex.upstream.clientSecret
      rootCA: $dex.upstream.ca
      insecureEnableGroups: true
      scopes: [profile, email, groups]
`,
      'dex.auth.connectorId': 'corp',
    });
    // the provider picks the change up from its watch
    const browser = new Browser({ ca: trustPem });
    const returnUrl = `${srv.url}/applications`;
    let page = await browser.follow(
      `${srv.url}/auth/login?return_url=${encodeURIComponent(returnUrl)}`,
      {
        stopAt: returnUrl,
      },
    );
    for (let i = 0; i < 50 && !page.url.startsWith(upstream.issuer); i++) {
      await new Promise((r) => setTimeout(r, 100));
      page = await browser.follow(
        `${srv.url}/auth/login?return_url=${encodeURIComponent(returnUrl)}`,
        {
          stopAt: returnUrl,
        },
      );
    }
    assert.ok(page.url.startsWith(`${upstream.issuer}/interaction/`), page.url);
    const form = parseForm(page.body);
    const last = await browser.follow(form.action, {
      method: 'POST',
      form: { ...form.hidden, login: 'gail@example.com', password: 'gail-password' },
      stopAt: returnUrl,
    });
    assert.equal(last.location, returnUrl, `${last.status} ${last.body.slice(0, 300)}`);
    const cookie = cookieHeader(browser, `${srv.url}/api/v1/`);
    const who = await srv.request('GET', '/api/v1/test-sso/whoami', { cookie });
    assert.equal(who.json<{ groups: string[] }>().groups.join(','), 'platform');
    assert.equal(who.json<{ issuer: string }>().issuer, issuer);
    // platform is readonly: get allowed
    assert.equal((await srv.request('GET', '/api/v1/test-sso/apps/x', { cookie })).status, 200);
    await srv.setConfigMap('argocd-cm', { 'dex.config': STATIC_USERS, 'dex.auth.connectorId': '' });
    // wait until the provider shows its own login form again
    for (let i = 0; i < 100; i++) {
      const p = await new Browser({ ca: trustPem }).follow(`${srv.url}/auth/login`, {
        stopAt: `${srv.url}/auth/callback`,
      });
      if (p.url.startsWith(`${issuer}/interaction/`)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('revokes the token at logout and clears the cookie', async () => {
    const { browser, token } = await browserLogin('erin@example.com', 'erin-password');
    const before = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', { token });
    assert.equal(before.status, 200);
    const res = await browser.request(`${srv.url}/auth/logout`);
    assert.equal(res.status, 303);
    assert.equal(res.location, `${srv.url}/`);
    assert.equal(
      browser.cookiesFor(`${srv.url}/api/v1/`)['argocd.token'],
      undefined,
      'cookie cleared',
    );
    const afterLogout = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', { token });
    assert.equal(afterLogout.status, 401);
    assert.match(afterLogout.text, /revoked/);
  });

  const forged: {
    name: string;
    make: (k: Awaited<ReturnType<typeof signingKey>>, real: string) => Promise<string> | string;
    want?: RegExp;
  }[] = [
    {
      name: 'a wrong audience',
      make: (k) =>
        new SignJWT({ sub: 'x', groups: ['ops'], aud: 'some-other-app' })
          .setProtectedHeader({ alg: 'RS256', kid: k.kid })
          .setIssuer(issuer)
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(k.key),
      want: /allowed audiences/,
    },
    {
      name: 'no audience',
      make: (k) =>
        new SignJWT({ sub: 'x', groups: ['ops'] })
          .setProtectedHeader({ alg: 'RS256', kid: k.kid })
          .setIssuer(issuer)
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(k.key),
      want: /no audience/,
    },
    {
      name: 'another issuer',
      make: (k) =>
        new SignJWT({ sub: 'x', groups: ['ops'], aud: 'argo-cd' })
          .setProtectedHeader({ alg: 'RS256', kid: k.kid })
          .setIssuer('https://idp.other.example')
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(k.key),
    },
    {
      name: 'an expired token',
      make: (k) =>
        new SignJWT({ sub: 'x', groups: ['ops'], aud: 'argo-cd' })
          .setProtectedHeader({ alg: 'RS256', kid: k.kid })
          .setIssuer(issuer)
          .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
          .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
          .sign(k.key),
      want: /expired/,
    },
    {
      name: 'a tampered payload',
      make: (_k, real) => {
        const [h, p, s] = real.split('.');
        const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<
          string,
          unknown
        >;
        return `${h ?? ''}.${b64({ ...claims, groups: ['ops', 'admins'] })}.${s ?? ''}`;
      },
      want: /signature/,
    },
    {
      name: 'alg none',
      make: () =>
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: issuer, sub: 'admin', aud: 'argo-cd', groups: ['ops'], exp: Math.floor(Date.now() / 1000) + 600 })}.`,
      want: /not allowed/,
    },
    {
      name: 'HS256 keyed with the provider’s public JWK',
      make: (k) => {
        const h = b64({ alg: 'HS256', typ: 'JWT', kid: k.kid });
        const p = b64({
          iss: issuer,
          sub: 'admin',
          aud: 'argo-cd',
          groups: ['ops'],
          exp: Math.floor(Date.now() / 1000) + 600,
        });
        const sig = createHmac('sha256', JSON.stringify(k.jwk))
          .update(`${h}.${p}`)
          .digest('base64url');
        return `${h}.${p}.${sig}`;
      },
      want: /not allowed/,
    },
  ];

  for (const c of forged) {
    it(`refuses ${c.name}`, async () => {
      const k = await signingKey();
      const real = (await browserLogin('frank@example.com', 'frank-password')).token;
      const token = await c.make(k, real);
      const res = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', { token });
      assert.equal(res.status, 401, res.text);
      if (c.want) assert.match(res.text, c.want);
    });
  }

  it('marks an expired SSO session so the UI re-logs in through /auth/login', async () => {
    const k = await signingKey();
    const expired = await new SignJWT({ sub: 'x', aud: 'argo-cd' })
      .setProtectedHeader({ alg: 'RS256', kid: k.kid })
      .setIssuer(issuer)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(k.key);
    const res = await srv.request('GET', '/api/v1/test-sso/whoami', {
      cookie: `argocd.token=${expired}`,
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), {
      loggedIn: false,
      kind: 'anonymous',
      subject: '',
      username: '',
      issuer: 'sso',
      groups: [],
    });
    const info = await srv.request('GET', '/api/v1/session/userinfo', {
      cookie: `argocd.token=${expired}`,
    });
    assert.deepEqual(info.json(), { loggedIn: false, iss: 'sso' });
    const api = await srv.request('GET', '/api/v1/test-sso/apps/x', {
      cookie: `argocd.token=${expired}`,
    });
    assert.equal(api.status, 401);
  });

  it('with anonymous access on, never trusts the claims of a token that fails verification', async () => {
    await srv.setConfigMap('argocd-cm', { 'users.anonymous.enabled': 'true' });
    await srv.waitFor(() => srv.handle.store.settings().anonymousEnabled, 'anonymous enabled');
    try {
      const forgedToken = `${b64({ alg: 'none' })}.${b64({ iss: issuer, sub: 'admin', aud: 'argo-cd', groups: ['ops'], exp: Math.floor(Date.now() / 1000) + 600 })}.`;
      const who = await srv.request('GET', '/api/v1/test-sso/whoami', { token: forgedToken });
      assert.equal(who.status, 200);
      assert.equal(who.json<{ loggedIn: boolean }>().loggedIn, false);
      assert.deepEqual(who.json<{ groups: string[] }>().groups, []);
      assert.equal(who.json<{ subject: string }>().subject, '');
      const app = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', {
        token: forgedToken,
      });
      assert.equal(app.status, 403, 'only policy.default (none) applies, not the forged ops group');
    } finally {
      await srv.setConfigMap('argocd-cm', { 'users.anonymous.enabled': 'false' });
      await srv.waitFor(() => !srv.handle.store.settings().anonymousEnabled, 'anonymous disabled');
    }
  });

  it('refuses a return URL on another host without starting a login', async () => {
    for (const bad of [
      'https://evil.example/applications',
      `//evil.example/`,
      'javascript:alert(1)',
      `${srv.url}.evil.example/`,
      `${srv.url.replace('https://', 'https://user:pw@')}/`,
    ]) {
      const res = await srv.request('GET', `/auth/login?return_url=${encodeURIComponent(bad)}`);
      assert.equal(res.status, 400, bad);
      assert.equal(res.headers['set-cookie'], undefined, 'no login state is created');
      assert.ok(!res.text.includes('evil'), 'the refused URL is not reflected');
    }
    const ok = await srv.request(
      'GET',
      `/auth/login?return_url=${encodeURIComponent(`${srv.url}/applications/x?y=1`)}`,
    );
    assert.equal(ok.status, 303);
    assert.ok(String(ok.headers['set-cookie']).includes('argocd.oauthstate='));
    assert.match(String(ok.headers['set-cookie']), /HttpOnly; SameSite=Lax; Secure/);
  });

  it('refuses a callback without the state cookie or with another state', async () => {
    const start = await srv.request('GET', '/auth/login');
    assert.equal(start.status, 303);
    const location = new URL(String(start.headers.location));
    const state = location.searchParams.get('state') ?? '';
    const cookie = String(start.headers['set-cookie']).split(';')[0] ?? '';
    const missing = await srv.request('GET', `/auth/callback?code=abc&state=${state}`);
    assert.equal(missing.status, 400);
    assert.match(missing.text, /not started here/);
    const other = await srv.request('GET', '/auth/callback?code=abc&state=forged', { cookie });
    assert.equal(other.status, 400);
    assert.ok(
      srv.securityEvents().some((e) => String(e.msg).includes('does not match') && e.CWE === 352),
      'a CSRF attempt is logged',
    );
    assert.equal(new URL(String(start.headers.location)).origin, new URL(srv.url).origin);
  });

  it('renders provider errors on a plain page without reflecting the input', async () => {
    const start = await srv.request('GET', '/auth/login');
    const state = new URL(String(start.headers.location)).searchParams.get('state') ?? '';
    const cookie = String(start.headers['set-cookie']).split(';')[0] ?? '';
    const evil = await srv.request(
      'GET',
      `/auth/callback?state=${state}&error=${encodeURIComponent('<script>alert(1)</script>')}&error_description=${encodeURIComponent('<img src=x onerror=alert(1)> Your session expired, call +1-555')}`,
      { cookie },
    );
    assert.equal(evil.status, 401);
    assert.match(String(evil.headers['content-type']), /^text\/html/);
    assert.match(String(evil.headers['content-security-policy']), /default-src 'none'/);
    assert.ok(!evil.text.includes('<script>alert'), 'no script from the URL');
    assert.ok(!evil.text.includes('<img'), 'no markup from the URL');
    assert.ok(!evil.text.includes('555'), 'no message from the URL (spoofing)');
    const start2 = await srv.request('GET', '/auth/login');
    const state2 = new URL(String(start2.headers.location)).searchParams.get('state') ?? '';
    const cookie2 = String(start2.headers['set-cookie']).split(';')[0] ?? '';
    const plain = await srv.request('GET', `/auth/callback?state=${state2}&error=access_denied`, {
      cookie: cookie2,
    });
    assert.match(plain.text, /<code>access_denied<\/code>/);
  });

  it('proxies /api/dex/ with bounded bodies and without the session cookie', async () => {
    const doc = await srv.request('GET', '/api/dex/.well-known/openid-configuration', {
      cookie: 'argocd.token=secret-session; other=1',
    });
    assert.equal(doc.status, 200);
    assert.equal(doc.json<{ issuer: string }>().issuer, issuer);
    const big = await srv.request('POST', '/api/dex/token', {
      rawBody: 'x'.repeat(2 * 1024 * 1024),
      contentType: 'application/x-www-form-urlencoded',
    });
    assert.equal(big.status, 413);
  });

  it('refuses the provider’s certificate when strict TLS trusts another CA', async () => {
    (link as unknown as { use: (s: ClientTlsSource) => void }).use(wrongCaLink);
    try {
      const res = await srv.request('GET', '/api/dex/.well-known/openid-configuration');
      assert.equal(res.status, 502);
      assert.ok(
        srv.logs.some(
          (l) =>
            String(l.msg).includes('could not be reached') &&
            /certificate|self.signed|issuer/i.test(String(l.err)),
        ),
        'the TLS failure is logged',
      );
    } finally {
      (link as unknown as { use: (s: ClientTlsSource) => void }).use(goodLink);
    }
    const again = await srv.request('GET', '/api/dex/.well-known/openid-configuration');
    assert.equal(again.status, 200);
  });
});

describe('the Dex server link', () => {
  it('refuses plain HTTP unless --dex-server-plaintext says so', () => {
    assert.throws(
      () => createSsoService({ dexServer: 'http://127.0.0.1:5556' }),
      /TLS is required/,
    );
    assert.throws(
      () => createSsoService({ dexServer: 'https://127.0.0.1:5556', dexServerPlaintext: true }),
      /use one or the other/,
    );
    createSsoService({ dexServer: 'http://127.0.0.1:5556', dexServerPlaintext: true });
    createSsoService({ dexServer: 'argocd-dex-server:5556' });
  });

  it('uses verified mutual TLS with the internal CA when it is installed', async () => {
    const ca = await createCertificateAuthority({ commonName: 'argocd-ts internal CA (test)' });
    const serving = await issueCertificate(ca, {
      commonName: 'argocd-dex-server',
      hosts: ['127.0.0.1', 'localhost'],
    });
    const clientPair = await issueCertificate(ca, {
      commonName: 'argocd-server',
      clientAuth: true,
      serverAuth: false,
    });
    const internal = mkdtempSync(join(tmpdir(), 'argocd-sso-internal-'));
    writeFileSync(join(internal, 'ca.crt'), ca.certPem);
    writeFileSync(join(internal, 'tls.crt'), clientPair.certPem);
    writeFileSync(join(internal, 'tls.key'), clientPair.keyPem);
    // a provider stand-in that demands a client certificate from the internal CA
    const upstreamTls = createHttpsServer(
      {
        key: serving.keyPem,
        cert: serving.certPem,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const socket = req.socket;
        assert.ok(socket instanceof TLSSocket);
        const peer = socket.getPeerCertificate();
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ path: req.url, clientCn: peer.subject.CN }));
      },
    );
    await new Promise<void>((r) => upstreamTls.listen(0, '127.0.0.1', r));
    const port = (upstreamTls.address() as AddressInfo).port;
    const internalLink = await ClientTlsSource.open(
      dexServerClientTlsOptions(
        {
          dexServer: `127.0.0.1:${port}`,
          dexServerPlaintext: false,
          dexServerStrictTls: false,
          dexServerCaCertPath: undefined,
          dexServerClientCertPath: undefined,
          dexServerClientCertKeyPath: undefined,
        },
        { internalTlsDir: internal },
      ),
    );
    assert.equal(internalLink.mode, 'internal-ca');
    let current: DexLinkTls = internalLink;
    const srv3 = await startTestApiServer({
      namePrefix: 'sso-mtls',
      cm: { 'dex.config': STATIC_USERS },
      deps: {
        services: [
          createSsoService({
            dexServer: `127.0.0.1:${port}`,
            dexTls: { mode: 'internal-ca', connectionOptions: () => current.connectionOptions() },
          }),
        ],
      },
    });
    try {
      const res = await srv3.request('GET', '/api/dex/probe?x=1');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json(), { path: '/api/dex/probe?x=1', clientCn: 'argocd-server' });
      // Argo CD's default link presents no certificate: the provider refuses the handshake
      current = INSECURE_DEX_LINK;
      const without = await srv3.request('GET', '/api/dex/probe');
      assert.equal(without.status, 502);
    } finally {
      await srv3.close();
      internalLink.close();
      await new Promise((r) => upstreamTls.close(r));
      rmSync(internal, { recursive: true, force: true });
    }
  });

  it('does not fall back to plaintext when the provider speaks plain HTTP', async () => {
    const plain = await startDex(STATIC_USERS);
    const port = new URL(plain.url).port;
    const srv2 = await startTestApiServer({
      namePrefix: 'sso-plain',
      cm: { 'dex.config': STATIC_USERS },
      deps: { services: [createSsoService({ dexServer: `127.0.0.1:${port}` })] },
    });
    try {
      const res = await srv2.request('GET', '/auth/login');
      assert.equal(res.status, 503);
      assert.ok(!String(res.headers['set-cookie'] ?? '').includes('oauthstate'));
      const proxied = await srv2.request('GET', '/api/dex/.well-known/openid-configuration');
      assert.equal(proxied.status, 502);
    } finally {
      await srv2.close();
      await plain.stop();
    }
  });
});
