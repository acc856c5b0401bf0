import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { dexSubject, type DexServerSettings } from './index.js';
import {
  Browser,
  beginLogin,
  hashPassword,
  parseForm,
  relyingParty,
  startDex,
  testPki,
  type RunningDex,
} from '../../test/support/oidc.js';

const NO_SCRIPT = /<script/i;
const DOWNSTREAM_SECRET = 'downstream-client-secret-0123456789';

describe('DexServer federating to an upstream OpenID provider (type: oidc)', () => {
  let caPem: string;
  let upstream: RunningDex;
  let downstream: RunningDex;
  let rp: client.Configuration;
  let redirectUri: string;
  /** dex.config of the downstream provider, with a connector to the upstream */
  let connectorConfig: (extra?: string, name?: string) => string;
  const secrets: Record<string, string> = {};

  before(async () => {
    const pki = await testPki();
    caPem = pki.ca.certPem;
    secrets['dex.upstream.clientSecret'] = DOWNSTREAM_SECRET;
    secrets['dex.upstream.ca'] = caPem;
    downstream = await startDex('', { lookup: (ref) => secrets[ref] });
    upstream = await startDex(
      `
enablePasswordDB: true
staticPasswords:
  - email: bob@example.com
    hash: "${hashPassword('bob-password')}"
    username: bob
    userID: bob-1
    groups: [platform, "team:payments"]
staticClients:
  - id: argocd-downstream
    name: Argo CD downstream
    secret: ${DOWNSTREAM_SECRET}
    redirectURIs: ["${downstream.issuer}/callback"]
`,
      { certificate: pki.serving },
    );
    connectorConfig = (extra = '', name = 'Corporate SSO') => `
connectors:
  - type: oidc
    id: upstream
    name: "${name}"
    config:
      issuer: ${upstream.issuer}
      clientID: argocd-downstream
      clientSecret: $dex.upstream.clientSecret
      rootCA: $dex.upstream.ca
      insecureEnableGroups: true
      getUserInfo: true
      scopes: [profile, email, groups]
${extra}`;
    await downstream.dex.update(downstream.settings(connectorConfig()));
    rp = await relyingParty(downstream.issuer, 'argo-cd');
    redirectUri = `${downstream.url}/auth/callback`;
  });
  after(async () => {
    await downstream.stop();
    await upstream.stop();
  });

  it('logs in through the upstream provider and maps its groups into the ID token', async () => {
    const browser = new Browser({ ca: caPem });
    const attempt = await beginLogin(rp, redirectUri);
    // downstream /auth → its only connector → upstream /auth → upstream login page
    const page = await browser.follow(attempt.authUrl.href, { stopAt: redirectUri });
    assert.equal(page.status, 200);
    assert.ok(page.url.startsWith(`${upstream.issuer}/interaction/`), page.url);
    const upstreamAuth = browser.visited.find((u) => u.startsWith(`${upstream.issuer}/auth?`));
    assert.ok(upstreamAuth);
    const sent = new URL(upstreamAuth).searchParams;
    assert.equal(sent.get('code_challenge_method'), 'S256');
    assert.ok(sent.get('nonce'));
    assert.ok(sent.get('state'));
    assert.equal(sent.get('redirect_uri'), `${downstream.issuer}/callback`);

    const form = parseForm(page.body);
    const last = await browser.follow(form.action, {
      method: 'POST',
      form: { ...form.hidden, login: 'bob@example.com', password: 'bob-password' },
      stopAt: redirectUri,
    });
    assert.ok(
      last.location !== undefined && last.location.startsWith(redirectUri),
      `${last.status} ${last.body.slice(0, 300)}`,
    );
    assert.ok(browser.visited.some((u) => u.startsWith(`${downstream.issuer}/callback?`)));

    const tokens = await client.authorizationCodeGrant(rp, new URL(last.location), {
      pkceCodeVerifier: attempt.verifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
    });
    const { payload } = await jwtVerify(
      tokens.id_token ?? '',
      createRemoteJWKSet(new URL(`${downstream.issuer}/keys`)),
      { issuer: downstream.issuer, audience: 'argo-cd', algorithms: ['RS256'] },
    );
    const upstreamSub = dexSubject('bob-1', 'local');
    assert.equal(payload.sub, dexSubject(upstreamSub, 'upstream'));
    assert.deepEqual(payload.groups, ['platform', 'team:payments']);
    assert.equal(payload.email, 'bob@example.com');
    assert.equal(payload.name, 'bob');
    assert.deepEqual(payload.federated_claims, { connector_id: 'upstream', user_id: upstreamSub });
  });

  it('offers a chooser with escaped names when there are several login methods', async () => {
    const evil = '<script>alert(1)</script>';
    const settings: DexServerSettings = downstream.settings(
      `enablePasswordDB: true\n${connectorConfig('', evil)}`,
    );
    await downstream.dex.update(settings);
    try {
      const attempt = await beginLogin(rp, redirectUri);
      const page = await new Browser({ ca: caPem }).follow(attempt.authUrl.href);
      assert.equal(page.status, 200);
      assert.match(page.body, /Log in with Email/);
      assert.match(page.body, /Log in with &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.doesNotMatch(page.body, NO_SCRIPT);

      // connector_id in the authorization request skips the chooser (as with Dex)
      const direct = await beginLogin(rp, redirectUri, 'openid', { connector_id: 'upstream' });
      const browser = new Browser({ ca: caPem });
      const res = await browser.follow(direct.authUrl.href);
      assert.ok(res.url.startsWith(`${upstream.issuer}/interaction/`), res.url);

      // so does argocd-cm dex.auth.connectorId
      await downstream.dex.update({ ...settings, defaultConnectorId: 'upstream' });
      const viaDefault = await new Browser({ ca: caPem }).follow(
        (await beginLogin(rp, redirectUri)).authUrl.href,
      );
      assert.ok(viaDefault.url.startsWith(`${upstream.issuer}/interaction/`), viaDefault.url);
    } finally {
      await downstream.dex.update(downstream.settings(connectorConfig()));
    }
  });

  it('shows an upstream error escaped and never trusts an unknown state', async () => {
    const browser = new Browser({ ca: caPem });
    const attempt = await beginLogin(rp, redirectUri);
    const toUpstream = await browser.follow(attempt.authUrl.href, {
      stopAt: `${upstream.issuer}/auth`,
    });
    const state = new URL(toUpstream.location ?? '').searchParams.get('state') ?? '';
    assert.ok(state);

    const unknown = await browser.follow(`${downstream.issuer}/callback?state=forged&code=abc`);
    assert.equal(unknown.status, 400);

    const evil = '<script>alert(1)</script>';
    const back = new URL(`${downstream.issuer}/callback`);
    back.searchParams.set('state', state);
    back.searchParams.set('error', 'access_denied');
    back.searchParams.set('error_description', evil);
    back.searchParams.set('iss', upstream.issuer);
    const res = await browser.follow(back.href);
    assert.equal(res.status, 502);
    assert.match(res.body, /refused the login: access_denied/);
    assert.match(res.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.doesNotMatch(res.body, NO_SCRIPT);

    // the state was used up: replaying it is refused
    const replay = await browser.follow(back.href);
    assert.equal(replay.status, 400);
  });

  it('refuses an upstream whose certificate is not trusted (TLS verified by default)', async () => {
    const untrusting = await startDex(
      connectorConfig().replace('      rootCA: $dex.upstream.ca\n', ''),
      { lookup: (ref) => secrets[ref] },
    );
    try {
      const rp2 = await relyingParty(untrusting.issuer, 'argo-cd');
      const attempt = await beginLogin(rp2, `${untrusting.url}/auth/callback`);
      const res = await new Browser().follow(attempt.authUrl.href);
      assert.equal(res.status, 502);
      assert.match(
        res.body,
        /failed to discover the OpenID provider of connector &quot;upstream&quot;/,
      );
      assert.match(res.body, /certificate/);
    } finally {
      await untrusting.stop();
    }
  });
});
