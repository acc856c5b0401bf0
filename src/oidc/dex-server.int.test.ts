import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { OidcError, dexSubject } from './index.js';
import {
  Browser,
  SERVER_SECRET_KEY,
  beginLogin,
  hashPassword,
  loginWithPassword,
  openLoginPage,
  parseForm,
  relyingParty,
  startDex,
  submitLogin,
  type RunningDex,
} from '../../test/support/oidc.js';

const ALICE_ID = '08a8684b-db88-4b73-90a9-3cd1661f5466';
const DEX_CONFIG = `
enablePasswordDB: true
staticPasswords:
  - email: alice@example.com
    hash: "${hashPassword('alice-password')}"
    username: alice
    userID: ${ALICE_ID}
    groups: [admins, developers]
`;

const NO_SCRIPT = /<script/i;

/** Messages of an error and its causes, joined. */
function causes(err: unknown): string {
  const out: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) out.push(e.message);
  return out.join(' <- ');
}

/** A GET with a chosen Host header (fetch does not allow setting Host). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host, 'x-forwarded-host': host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('DexServer with the password database', () => {
  let running: RunningDex;
  let rp: client.Configuration;
  let redirectUri: string;
  before(async () => {
    running = await startDex(DEX_CONFIG);
    rp = await relyingParty(running.issuer, 'argo-cd');
    redirectUri = `${running.url}/auth/callback`;
  });
  after(async () => {
    await running.stop();
  });

  it('logs a static user in with code + PKCE and issues a verifiable ID token with groups', async () => {
    const attempt = await beginLogin(rp, redirectUri);
    const callback = await loginWithPassword(
      new Browser(),
      attempt,
      'alice@example.com',
      'alice-password',
    );
    const tokens = await client.authorizationCodeGrant(rp, callback, {
      pkceCodeVerifier: attempt.verifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
      idTokenExpected: true,
    });
    assert.ok(tokens.id_token);
    const jwks = createRemoteJWKSet(new URL(`${running.issuer}/keys`));
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token, jwks, {
      issuer: running.issuer,
      audience: 'argo-cd',
      algorithms: ['RS256'],
    });
    assert.equal(protectedHeader.kid, running.dex.keyIds[0]);
    assert.equal(payload.nonce, attempt.nonce);
    assert.equal(payload.sub, dexSubject(ALICE_ID, 'local'));
    assert.deepEqual(payload.groups, ['admins', 'developers']);
    assert.equal(payload.email, 'alice@example.com');
    assert.equal(payload.email_verified, true);
    assert.equal(payload.name, 'alice');
    assert.equal(payload.preferred_username, 'alice');
    assert.deepEqual(payload.federated_claims, { connector_id: 'local', user_id: ALICE_ID });
    const lifetime = (payload.exp ?? 0) - (payload.iat ?? 0);
    assert.equal(lifetime, 24 * 3600, 'ID tokens live 24 h, as Dex issues them');

    const info = await client.fetchUserInfo(rp, tokens.access_token, payload.sub ?? '');
    assert.deepEqual(info.groups, ['admins', 'developers']);
    assert.equal(info.email, 'alice@example.com');

    assert.ok(tokens.refresh_token, 'offline_access gives the argo-cd client a refresh token');
    const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token);
    assert.ok(refreshed.id_token);
    const again = await jwtVerify(refreshed.id_token, jwks, {
      issuer: running.issuer,
      audience: 'argo-cd',
      algorithms: ['RS256'],
    });
    assert.deepEqual(again.payload.groups, ['admins', 'developers']);

    // a client can revoke its refresh token; it is dead afterwards
    const current = refreshed.refresh_token ?? tokens.refresh_token;
    await client.tokenRevocation(rp, current);
    await assert.rejects(client.refreshTokenGrant(rp, current));
  });

  it('advertises every endpoint under the issuer whatever Host the request names', async () => {
    const res = await getWithHost(
      `${running.issuer}/.well-known/openid-configuration`,
      'evil.example:8443',
    );
    assert.equal(res.status, 200);
    const doc = JSON.parse(res.body) as Record<string, unknown>;
    assert.equal(doc.issuer, running.issuer);
    for (const key of [
      'authorization_endpoint',
      'token_endpoint',
      'jwks_uri',
      'userinfo_endpoint',
      'end_session_endpoint',
    ]) {
      const v = doc[key];
      assert.ok(
        typeof v === 'string' && v.startsWith(`${running.issuer}/`),
        `${key}: ${String(v)}`,
      );
    }
    assert.equal(doc.jwks_uri, `${running.issuer}/keys`);
    assert.ok((doc.scopes_supported as string[]).includes('groups'));
  });

  it('serves /healthz and nothing outside the issuer path', async () => {
    assert.equal((await fetch(`${running.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${running.url}/api/other/keys`)).status, 404);
    assert.equal((await fetch(`${running.url}/.well-known/openid-configuration`)).status, 404);
  });

  it('lets the public CLI client log in with PKCE on any loopback port (RFC 8252)', async () => {
    const cli = await relyingParty(running.issuer, 'argo-cd-cli');
    const attempt = await beginLogin(
      cli,
      'http://localhost:40123/auth/callback',
      'openid groups offline_access',
    );
    const callback = await loginWithPassword(
      new Browser(),
      attempt,
      'Alice@Example.com',
      'alice-password',
    );
    const tokens = await client.authorizationCodeGrant(cli, callback, {
      pkceCodeVerifier: attempt.verifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
    });
    const claims = tokens.claims();
    assert.ok(claims);
    assert.equal(claims.aud, 'argo-cd-cli');
    assert.deepEqual(claims.groups, ['admins', 'developers']);
    // the CLI refreshes as a public client (no secret); its refresh tokens rotate
    assert.ok(tokens.refresh_token);
    const refreshed = await client.refreshTokenGrant(cli, tokens.refresh_token);
    assert.ok(refreshed.id_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    await assert.rejects(client.refreshTokenGrant(cli, tokens.refresh_token), 'used once only');
  });

  it('refuses the public CLI client an authorization request without PKCE', async () => {
    const cli = await relyingParty(running.issuer, 'argo-cd-cli');
    const url = client.buildAuthorizationUrl(cli, {
      redirect_uri: 'http://localhost:8085/auth/callback',
      scope: 'openid',
      state: 'some-state',
    });
    const res = await new Browser().request(url.href);
    assert.equal(res.status, 303);
    const back = new URL(res.location ?? '');
    assert.equal(back.origin + back.pathname, 'http://localhost:8085/auth/callback');
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.match(back.searchParams.get('error_description') ?? '', /PKCE/);
    assert.equal(back.searchParams.get('state'), 'some-state');
  });

  it('refuses a redirect URI that is not registered, without redirecting to it', async () => {
    const attempt = await beginLogin(rp, 'https://attacker.example/auth/callback');
    const res = await new Browser().request(attempt.authUrl.href);
    assert.equal(res.status, 400);
    assert.equal(res.location, undefined);
    assert.match(res.body, /redirect_uri/);
    assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
  });

  it('rejects the code exchange with a wrong client secret for argo-cd', async () => {
    const attempt = await beginLogin(rp, redirectUri);
    const callback = await loginWithPassword(
      new Browser(),
      attempt,
      'alice@example.com',
      'alice-password',
    );
    const wrong = await relyingParty(running.issuer, 'argo-cd', { secret: 'not-the-secret' });
    await assert.rejects(
      client.authorizationCodeGrant(wrong, callback, {
        pkceCodeVerifier: attempt.verifier,
        expectedState: attempt.state,
        expectedNonce: attempt.nonce,
      }),
      (err: unknown) =>
        err instanceof client.WWWAuthenticateChallengeError &&
        err.response.status === 401 &&
        err.cause.some((c) => c.parameters.error === 'invalid_client'),
    );
  });

  it('returns one uniform error for a wrong password and for an unknown user', async () => {
    const browser = new Browser();
    const attempt = await beginLogin(rp, redirectUri);
    const page = await openLoginPage(browser, attempt);
    const wrong = await submitLogin(browser, page, 'alice@example.com', 'nope', redirectUri);
    const unknown = await submitLogin(browser, wrong, 'mallory@example.com', 'nope', redirectUri);
    for (const res of [wrong, unknown]) {
      assert.equal(res.status, 401);
      assert.match(res.body, /Invalid email address or password\./);
      assert.match(res.body, /role="alert"/);
      assert.match(res.body, /aria-describedby="login-error"/);
    }
    const message = (html: string): string | undefined =>
      /<p id="login-error"[^>]*>([^<]*)<\/p>/.exec(html)?.[1];
    assert.equal(message(wrong.body), message(unknown.body));
    // the same interaction still accepts the right password afterwards
    const ok = await submitLogin(
      browser,
      unknown,
      'alice@example.com',
      'alice-password',
      redirectUri,
    );
    assert.ok(ok.location?.startsWith(redirectUri));
  });

  it('escapes what the user typed when the login page is shown again', async () => {
    const browser = new Browser();
    const attempt = await beginLogin(rp, redirectUri);
    const page = await openLoginPage(browser, attempt);
    const evil = '"><script>alert(1)</script>';
    const res = await submitLogin(browser, page, evil, 'x', redirectUri);
    assert.equal(res.status, 401);
    assert.doesNotMatch(res.body, NO_SCRIPT);
    assert.match(res.body, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
    assert.match(
      String(res.headers['content-security-policy']),
      /default-src 'none'; style-src 'self'/,
    );
  });

  it('escapes request parameters reflected on the provider error page', async () => {
    const url = new URL(`${running.issuer}/auth`);
    url.searchParams.set('client_id', '<script>alert(1)</script>');
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', 'openid');
    url.searchParams.set('redirect_uri', 'https://x.example/<script>');
    const res = await new Browser().request(url.href);
    assert.equal(res.status, 400);
    assert.doesNotMatch(res.body, NO_SCRIPT);
  });

  it('refuses a login form posted without its anti-forgery token', async () => {
    const browser = new Browser();
    const attempt = await beginLogin(rp, redirectUri);
    const page = await openLoginPage(browser, attempt);
    const form = parseForm(page.body);
    for (const csrf of [undefined, 'forged', form.hidden.csrf?.replace(/.$/, 'x')]) {
      const res = await browser.request(form.action, {
        form: {
          ...(csrf === undefined ? {} : { csrf }),
          login: 'alice@example.com',
          password: 'alice-password',
        },
      });
      assert.equal(res.status, 403);
      assert.equal(res.location, undefined);
    }
  });

  it('refuses a login form posted from another browser (no interaction cookie)', async () => {
    const attempt = await beginLogin(rp, redirectUri);
    const page = await openLoginPage(new Browser(), attempt);
    const form = parseForm(page.body);
    const res = await new Browser().request(form.action, {
      form: { ...form.hidden, login: 'alice@example.com', password: 'alice-password' },
    });
    assert.equal(res.status, 400);
    assert.match(res.body, /expired/);
  });

  it('asks for the password again on the next authorization request (no silent SSO)', async () => {
    const browser = new Browser();
    const first = await beginLogin(rp, redirectUri);
    await loginWithPassword(browser, first, 'alice@example.com', 'alice-password');
    const second = await beginLogin(rp, redirectUri);
    const page = await openLoginPage(browser, second);
    assert.match(page.body, /<form method="post"/);
  });

  it('lets the relying party detect a nonce or state that is not its own', async () => {
    const attempt = await beginLogin(rp, redirectUri);
    const callback = await loginWithPassword(
      new Browser(),
      attempt,
      'alice@example.com',
      'alice-password',
    );
    assert.equal(callback.searchParams.get('state'), attempt.state);
    await assert.rejects(
      client.authorizationCodeGrant(rp, callback, {
        pkceCodeVerifier: attempt.verifier,
        expectedState: 'another-state',
        expectedNonce: attempt.nonce,
      }),
      (err: unknown) => /"state"/.test(causes(err)),
    );
    await assert.rejects(
      client.authorizationCodeGrant(rp, callback, {
        pkceCodeVerifier: attempt.verifier,
        expectedState: attempt.state,
        expectedNonce: 'another-nonce',
      }),
      (err: unknown) => /"nonce"/.test(causes(err)),
    );
  });

  it('issues ID tokens whose tampered signature or claims fail verification', async () => {
    const attempt = await beginLogin(rp, redirectUri);
    const callback = await loginWithPassword(
      new Browser(),
      attempt,
      'alice@example.com',
      'alice-password',
    );
    const tokens = await client.authorizationCodeGrant(rp, callback, {
      pkceCodeVerifier: attempt.verifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
    });
    const idToken = tokens.id_token ?? '';
    const [header = '', payload = '', signature = ''] = idToken.split('.');
    const jwks = createRemoteJWKSet(new URL(`${running.issuer}/keys`));
    const verify = (token: string) =>
      jwtVerify(token, jwks, {
        issuer: running.issuer,
        audience: 'argo-cd',
        algorithms: ['RS256'],
      });
    await verify(idToken);
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
    await assert.rejects(
      verify(`${header}.${payload}.${flipped}`),
      /signature verification failed/,
    );
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const forged = Buffer.from(JSON.stringify({ ...claims, groups: ['system:masters'] })).toString(
      'base64url',
    );
    await assert.rejects(
      verify(`${header}.${forged}.${signature}`),
      /signature verification failed/,
    );
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    await assert.rejects(verify(`${none}.${payload}.`));
  });

  it('shows its own logout page without scripts for RP-initiated logout', async () => {
    const browser = new Browser();
    await loginWithPassword(
      browser,
      await beginLogin(rp, redirectUri),
      'alice@example.com',
      'alice-password',
    );
    const res = await browser.request(`${running.issuer}/logout?client_id=argo-cd`);
    assert.equal(res.status, 200);
    assert.match(res.body, /Log out of Argo CD\?/);
    assert.doesNotMatch(res.body, NO_SCRIPT);
    assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
    const form = parseForm(res.body);
    const done = await browser.follow(form.action, { form: { ...form.hidden, logout: 'yes' } });
    assert.equal(done.status, 200);
    assert.match(done.body, /You are logged out/);
  });

  it('registers argo-cd only while server.secretkey is known and follows url changes', async () => {
    assert.deepEqual(running.dex.clientIds, ['argo-cd', 'argo-cd-cli', 'argo-cd-pkce']);
    await running.dex.update(running.settings(DEX_CONFIG, { serverSecretKey: undefined }));
    try {
      assert.deepEqual(running.dex.clientIds, ['argo-cd-cli', 'argo-cd-pkce']);
    } finally {
      await running.dex.update(
        running.settings(DEX_CONFIG, { serverSecretKey: SERVER_SECRET_KEY }),
      );
    }
    assert.deepEqual(running.dex.clientIds, ['argo-cd', 'argo-cd-cli', 'argo-cd-pkce']);
  });

  it('keeps the old configuration when an update is invalid', async () => {
    await assert.rejects(
      running.dex.update(running.settings(DEX_CONFIG, { defaultConnectorId: 'missing' })),
      /dex.auth.connectorId/,
    );
    const badClient = `${DEX_CONFIG}staticClients: [{id: x, public: true, redirectURIs: ["javascript:alert(1)"]}]\n`;
    await assert.rejects(
      running.dex.update(running.settings(badClient)),
      (err: unknown) =>
        err instanceof OidcError &&
        err.code === 'ERR_OIDC_CONFIG' &&
        /redirect URI "javascript:alert\(1\)" must not use the javascript: scheme/.test(
          err.message,
        ),
    );
    assert.deepEqual(running.dex.clientIds, ['argo-cd', 'argo-cd-cli', 'argo-cd-pkce']);
    const attempt = await beginLogin(rp, redirectUri);
    await loginWithPassword(new Browser(), attempt, 'alice@example.com', 'alice-password');
  });
});

describe('DexServer login throttling', () => {
  let running: RunningDex;
  before(async () => {
    running = await startDex(DEX_CONFIG, {
      serverOptions: { loginLimiter: { maxFailures: 2, failureWindowMs: 60_000 } },
    });
  });
  after(async () => {
    await running.stop();
  });

  it('refuses even the right password after too many failures, with the same message', async () => {
    const rp = await relyingParty(running.issuer, 'argo-cd');
    const redirectUri = `${running.url}/auth/callback`;
    const browser = new Browser();
    let page = await openLoginPage(browser, await beginLogin(rp, redirectUri));
    for (let i = 0; i < 2; i++)
      page = await submitLogin(browser, page, 'alice@example.com', `guess-${i}`, redirectUri);
    const locked = await submitLogin(
      browser,
      page,
      'alice@example.com',
      'alice-password',
      redirectUri,
    );
    assert.equal(locked.status, 401);
    assert.match(locked.body, /Invalid email address or password\./);
    assert.equal(locked.location, undefined);
  });
});
