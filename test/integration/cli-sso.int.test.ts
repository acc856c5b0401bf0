/**
 * `argocd login --sso`'s flow (src/cli/sso.ts) against the real bundled OpenID provider: PKCE S256,
 * a loopback redirect on 127.0.0.1, the state check, the code exchange and a refresh; a scripted
 * browser plays the user. (The whole `argocd login --sso` command needs the API server's
 * `/api/dex` proxy, which lands with the SSO work.)
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ArgoCdClient } from '../../src/client/index.js';
import { refreshSsoToken, ssoLogin, type SsoContext } from '../../src/cli/index.js';
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
