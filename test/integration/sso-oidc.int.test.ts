/**
 * argocd-server with `oidc.config` pointing straight at an OpenID provider (a provider instance on
 * loopback, HTTPS with a test CA), end to end: login through the provider's pages, server-side
 * refresh, logout through `logoutURL`, and the negative cases (nonce mismatch, a token for another
 * client, audience-less tokens, TLS verification of the provider).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { decodeJwt, importJWK, SignJWT, type CryptoKey } from 'jose';
import { createConnectorFetch } from '../../src/oidc/index.js';
import { createSsoService, type ApiService } from '../../src/server/index.js';
import { secretObject, startTestApiServer, type TestApiServer } from '../support/api-server.js';
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

const CLIENT_SECRET = 'argocd-client-secret-0123456789abcdef';
const OTHER_SECRET = 'other-app-secret-0123456789abcdef';

const probeService: ApiService = {
  name: 'sso-probe',
  register(routes) {
    routes.route({
      method: 'GET',
      path: '/api/v1/test-sso/whoami',
      auth: 'optional',
      handler: (ctx) => ({
        loggedIn: ctx.caller.loggedIn,
        subject: ctx.caller.subject,
        issuer: ctx.caller.issuer ?? null,
        groups: ctx.caller.groups,
      }),
    });
    routes.route({
      method: 'GET',
      path: '/api/v1/test-sso/apps/:name',
      handler: (ctx, req) => {
        ctx.enforce('applications', 'get', `default/${req.params.name ?? ''}`);
        return { ok: true };
      },
    });
  },
};

function cookieHeader(browser: Browser, url: string): string {
  return Object.entries(browser.cookiesFor(url))
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

function setCookieToken(headers: Record<string, unknown>): string | undefined {
  const raw = headers['set-cookie'];
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  for (const c of list) {
    const m = /^argocd\.token=([^;]+)/.exec(c);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

describe('argocd-server with oidc.config pointing straight at a provider', () => {
  let pki: Awaited<ReturnType<typeof testPki>>;
  let idp: RunningDex;
  let srv: TestApiServer;
  let trustPem: string;
  let baseConfig: Record<string, unknown>;

  const providerConfig = (redirect: string): string => `
enablePasswordDB: true
staticPasswords:
  - email: hana@example.com
    hash: "${hashPassword('hana-password')}"
    username: hana
    userID: hana-1
    groups: [dev]
staticClients:
  - id: argocd
    secret: ${CLIENT_SECRET}
    redirectURIs: ["${redirect}"]
  - id: other-app
    secret: ${OTHER_SECRET}
    redirectURIs: ["https://other.invalid/callback"]
`;

  async function setOidcConfig(
    extra: Record<string, unknown>,
    cm: Record<string, string> = {},
  ): Promise<void> {
    const yaml = JSON.stringify({ ...baseConfig, ...extra });
    await srv.setConfigMap('argocd-cm', { 'oidc.config': yaml, ...cm });
    await srv.waitFor(
      () =>
        srv.handle.store.argocdCm()?.data?.['oidc.config'] === yaml &&
        Object.entries(cm).every(([k, v]) => srv.handle.store.argocdCm()?.data?.[k] === v),
      'oidc.config in the cache',
    );
  }

  before(async () => {
    pki = await testPki();
    idp = await startDex(providerConfig('https://placeholder.invalid/auth/callback'), {
      certificate: pki.serving,
    });
    baseConfig = {
      name: 'Corp',
      issuer: idp.issuer,
      clientID: 'argocd',
      clientSecret: '$oidc-corp:clientSecret',
      cliClientID: 'argocd-cli',
      rootCA: '$oidc-corp:ca',
      refreshTokenThreshold: '25h',
      logoutURL: `${idp.issuer}/logout?id_token_hint={{token}}&post_logout_redirect_uri={{logoutRedirectURL}}`,
    };
    srv = await startTestApiServer({
      namePrefix: 'sso-oidc',
      cm: { 'oidc.config': JSON.stringify(baseConfig) },
      rbac: { 'policy.csv': 'g, dev, role:admin\n' },
      objects: [
        secretObject(
          'oidc-corp',
          { clientSecret: CLIENT_SECRET, ca: pki.ca.certPem },
          { 'app.kubernetes.io/part-of': 'argocd' },
        ),
      ],
      deps: { services: [probeService, createSsoService({ dexServer: '127.0.0.1:1' })] },
    });
    trustPem = `${srv.caPem ?? ''}\n${pki.ca.certPem}`;
    await srv.setConfigMap('argocd-cm', { url: srv.url });
    await srv.waitFor(() => srv.handle.store.settings().url === srv.url, 'url in the cache');
    await idp.dex.update(idp.settings(providerConfig(`${srv.url}/auth/callback`)));
  });

  after(async () => {
    if (process.env.SSO_DEBUG) for (const l of srv.logs) console.error(JSON.stringify(l));
    await srv.close();
    await idp.stop();
  });

  async function browserLogin(): Promise<{ browser: Browser; token: string }> {
    const browser = new Browser({ ca: trustPem });
    const returnUrl = `${srv.url}/applications`;
    const page = await browser.follow(
      `${srv.url}/auth/login?return_url=${encodeURIComponent(returnUrl)}`,
      { stopAt: returnUrl },
    );
    assert.equal(page.status, 200, `${page.status} ${page.body.slice(0, 300)}`);
    assert.ok(page.url.startsWith(`${idp.issuer}/interaction/`), page.url);
    const form = parseForm(page.body);
    const last = await browser.follow(form.action, {
      method: 'POST',
      form: { ...form.hidden, login: 'hana@example.com', password: 'hana-password' },
      stopAt: returnUrl,
    });
    assert.equal(last.location, returnUrl, `${last.status} ${last.body.slice(0, 400)}`);
    const token = browser.cookiesFor(`${srv.url}/api/`)['argocd.token'];
    assert.ok(token !== undefined);
    return { browser, token };
  }

  it('logs in through the provider and renews the session server-side with its refresh token', async () => {
    const { browser, token } = await browserLogin();
    const authUrl = new URL(browser.visited.find((u) => u.startsWith(`${idp.issuer}/auth?`)) ?? '');
    assert.equal(authUrl.searchParams.get('client_id'), 'argocd');
    assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.deepEqual((authUrl.searchParams.get('scope') ?? '').split(' ').sort(), [
      'email',
      'groups',
      'offline_access',
      'openid',
      'profile',
    ]);
    // the ID token expires within refreshTokenThreshold (25h): the first API call renews it
    // (a second later, so the new token's iat differs)
    await new Promise((r) => setTimeout(r, 1100));
    const res = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', {
      cookie: cookieHeader(browser, `${srv.url}/api/`),
    });
    assert.equal(res.status, 200, res.text);
    const renewed = setCookieToken(res.headers);
    assert.ok(
      renewed !== undefined && renewed !== token,
      'a renewed token comes back as the cookie',
    );
    assert.equal(decodeJwt(renewed).sub, decodeJwt(token).sub);
    assert.ok(!res.text.includes('refresh'), 'the refresh token never leaves the server');
    const who = await srv.request('GET', '/api/v1/test-sso/whoami', { token: renewed });
    assert.deepEqual(who.json(), {
      loggedIn: true,
      subject: 'hana-1', // Dex's federated_claims.user_id, as Argo CD's RBAC reads it
      issuer: idp.issuer,
      groups: ['dev'],
    });
    assert.ok(srv.logs.some((l) => l.msg === 'SSO session renewed with its refresh token'));
  });

  it('logs out through logoutURL and revokes the token', async () => {
    await setOidcConfig({ refreshTokenThreshold: undefined });
    const { browser, token } = await browserLogin();
    const res = await browser.request(`${srv.url}/auth/logout`);
    assert.equal(res.status, 303);
    const to = new URL(res.location ?? '');
    assert.equal(`${to.origin}${to.pathname}`, `${idp.issuer}/logout`);
    assert.equal(to.searchParams.get('id_token_hint'), token);
    assert.equal(to.searchParams.get('post_logout_redirect_uri'), `${srv.url}/`);
    const after = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', { token });
    assert.equal(after.status, 401);
    await setOidcConfig({});
  });

  it('refuses a callback whose ID token carries another login’s nonce', async () => {
    // without PKCE only state and nonce bind the code to the login
    await setOidcConfig({ enablePKCEAuthentication: false });
    try {
      const victim = new Browser({ ca: trustPem });
      const start = await victim.request(`${srv.url}/auth/login`);
      assert.equal(start.status, 303);
      const victimState = new URL(start.location ?? '').searchParams.get('state') ?? '';
      assert.equal(new URL(start.location ?? '').searchParams.get('code_challenge'), null);

      const attacker = new Browser({ ca: trustPem });
      const page = await attacker.follow(`${srv.url}/auth/login`, {
        stopAt: `${srv.url}/auth/callback`,
      });
      const form = parseForm(page.body);
      const atCallback = await attacker.follow(form.action, {
        method: 'POST',
        form: { ...form.hidden, login: 'hana@example.com', password: 'hana-password' },
        stopAt: `${srv.url}/auth/callback`,
      });
      const cb = new URL(atCallback.location ?? '');
      cb.searchParams.set('state', victimState);
      const res = await victim.request(cb.href);
      assert.equal(res.status, 401, res.body.slice(0, 300));
      assert.equal(victim.cookiesFor(`${srv.url}/api/`)['argocd.token'], undefined);
      assert.ok(
        srv.securityEvents().some((e) => /nonce/i.test(String(e.msg))),
        'the nonce mismatch is logged',
      );
    } finally {
      await setOidcConfig({});
    }
  });

  it('refuses an ID token the provider issued for another client (CVE-2023-22482)', async () => {
    const rp = await relyingParty(idp.issuer, 'other-app', {
      secret: OTHER_SECRET,
      fetch: createConnectorFetch({ ca: pki.ca.certPem }),
    });
    const attempt = await beginLogin(rp, 'https://other.invalid/callback', 'openid email groups');
    const cb = await loginWithPassword(
      new Browser({ ca: pki.ca.certPem }),
      attempt,
      'hana@example.com',
      'hana-password',
    );
    const tokens = await client.authorizationCodeGrant(rp, cb, {
      pkceCodeVerifier: attempt.verifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
    });
    const token = tokens.id_token ?? '';
    const res = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', { token });
    assert.equal(res.status, 401);
    assert.match(res.text, /allowed audiences/);
    await setOidcConfig({ allowedAudiences: ['argocd', 'other-app'] });
    const allowed = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', { token });
    assert.equal(allowed.status, 200, allowed.text);
    await setOidcConfig({});
  });

  it('accepts a token without audience only with skipAudienceCheckWhenTokenHasNoAudience', async () => {
    const stored = await idp.keyStore.load();
    const first = stored?.keySet.keys[0];
    assert.ok(first);
    const imported = await importJWK(first.jwk, 'RS256');
    assert.ok(!(imported instanceof Uint8Array));
    const key: CryptoKey = imported;
    const token = await new SignJWT({ sub: 'svc', groups: ['dev'] })
      .setProtectedHeader({ alg: 'RS256', kid: first.kid })
      .setIssuer(idp.issuer)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(key);
    const refused = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', { token });
    assert.equal(refused.status, 401);
    assert.match(refused.text, /no audience/);
    await setOidcConfig({ skipAudienceCheckWhenTokenHasNoAudience: true });
    const ok = await srv.request('GET', '/api/v1/test-sso/apps/guestbook', { token });
    assert.equal(ok.status, 200, ok.text);
    await setOidcConfig({});
  });

  it('verifies the provider’s certificate unless told not to (CVE-2022-31105)', async () => {
    await setOidcConfig({ rootCA: undefined });
    const refused = await srv.request('GET', '/auth/login');
    assert.equal(refused.status, 503, 'a certificate from an unknown CA is refused');
    assert.ok(
      srv.logs.some(
        (l) => String(l.msg).includes('could not be reached') && /certificate/i.test(String(l.err)),
      ),
    );
    await setOidcConfig({ rootCA: undefined }, { 'oidc.tls.insecure.skip.verify': 'true' });
    const insecure = await srv.request('GET', '/auth/login');
    assert.equal(insecure.status, 303);
    assert.ok(
      srv.securityEvents().some((e) => e.security === 3 && String(e.msg).includes('NOT verified')),
      'skipping verification is logged loudly',
    );
    await setOidcConfig({}, { 'oidc.tls.insecure.skip.verify': 'false' });
    const back = await srv.request('GET', '/auth/login');
    assert.equal(back.status, 303);
  });

  it('never shows the client secret and refuses tokens of the bundled provider', async () => {
    const settings = await srv.request('GET', '/api/v1/settings');
    assert.equal(settings.status, 200);
    const oidc = settings.json<{ oidcConfig: Record<string, unknown> }>().oidcConfig;
    assert.equal(oidc.issuer, idp.issuer);
    assert.equal(oidc.clientID, 'argocd');
    assert.equal(oidc.cliClientID, 'argocd-cli');
    assert.equal(oidc.name, 'Corp');
    assert.ok(!settings.text.includes(CLIENT_SECRET) && !settings.text.includes('clientSecret'));
    const all = srv.logs.map((l) => JSON.stringify(l)).join('\n');
    assert.ok(!all.includes(CLIENT_SECRET), 'the client secret is not logged');
    const res = await srv.request('GET', '/api/dex/.well-known/openid-configuration');
    assert.equal(res.status, 404, 'no proxy to a bundled provider that is not configured');
  });
});
