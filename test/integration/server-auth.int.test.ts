/**
 * Authentication and authorisation through HTTP against the real API server (real kube-apiserver,
 * real TLS): login and its cookie, the uniform login error, lockout, logout (revoked jti),
 * password change (older tokens refused), local accounts (disabled, missing capability), API
 * tokens, project tokens (own project only, deleted token refused), forged tokens (alg none, other
 * algorithms, wrong key, wrong issuer, expired, not yet valid, tampered cookie), token renewal,
 * anonymous access with empty claims, RBAC deny by default, can-i with slashes, version and
 * settings shapes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { ConfigNames, decodeSecretData, type Secret } from '../../src/apis/index.js';
import {
  startTestApiServer,
  type HttpResponse,
  type TestApiServer,
} from '../support/api-server.js';

const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;

function b64url(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

function cookieOf(res: HttpResponse): string {
  const set = res.headers['set-cookie'] ?? [];
  return set.map((c) => c.split(';')[0]).join('; ');
}

describe('argocd-server authentication and RBAC', () => {
  let srv: TestApiServer;
  let key: Uint8Array;
  let adminToken: string;

  const sign = async (
    claims: Record<string, unknown>,
    alg = 'HS256',
    signingKey: Uint8Array = key,
  ): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(signingKey);
  const now = (): number => Math.floor(Date.now() / 1000);

  before(async () => {
    srv = await startTestApiServer({
      namePrefix: 'srv-auth',
      cm: {
        'accounts.alice': 'login',
        'accounts.locky': 'login',
        'accounts.ci': 'apiKey',
        'accounts.bob': 'login',
        'accounts.bob.enabled': 'false',
        'accounts.viewer': 'login',
        'oidc.config':
          'name: Corp\nissuer: https://idp.example.com\nclientID: argo\nclientSecret: oidc-client-secret-value\n',
        passwordPattern: '^.{10,64}$',
      },
      rbac: {
        'policy.csv':
          'p, role:team-a-admin, projects, *, team-a, allow\ng, alice, role:team-a-admin\n',
      },
      loginOptions: { maxFailCount: 3, maxUsernameFailCount: 12 },
    });
    const secret = await srv.kube.get<Secret>({
      ...SECRETS,
      namespace: srv.namespace,
      name: ConfigNames.secret,
    });
    key = Buffer.from(decodeSecretData(secret)['server.secretkey'] ?? '', 'utf8');
    adminToken = await srv.login('admin', srv.adminPassword);
    // passwords for the local accounts, set by the admin (accounts, update)
    for (const name of ['alice', 'bob', 'viewer', 'locky']) {
      const res = await srv.request('PUT', '/api/v1/account/password', {
        token: adminToken,
        body: { name, currentPassword: srv.adminPassword, newPassword: `${name}-password-1` },
      });
      assert.equal(res.status, 200, res.text);
    }
  });
  after(async () => {
    await srv.close();
  });

  describe('login', () => {
    it('answers a token and sets the argocd.token cookie with HttpOnly, SameSite=Lax, Path and Secure', async () => {
      const res = await srv.request('POST', '/api/v1/session', {
        body: { username: 'admin', password: srv.adminPassword },
      });
      assert.equal(res.status, 200);
      const token = res.json<{ token: string }>().token;
      assert.equal(token.split('.').length, 3);
      const cookie = res.headers['set-cookie']?.[0] ?? '';
      assert.match(cookie, /^argocd\.token=/);
      assert.match(cookie, /; Path=\//);
      assert.match(cookie, /; SameSite=Lax/);
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; Secure/);
      const claims = JSON.parse(
        Buffer.from(token.split('.')[1] ?? '', 'base64url').toString(),
      ) as Record<string, unknown>;
      assert.equal(claims.iss, 'argocd');
      assert.equal(claims.sub, 'admin:login');
      assert.equal((claims.exp as number) - (claims.iat as number), 24 * 3600);
      assert.equal(typeof claims.jti, 'string');
    });

    it('answers the same error for an unknown user and a wrong password', async () => {
      const unknown = await srv.request('POST', '/api/v1/session', {
        body: { username: 'nobody', password: 'whatever-1' },
      });
      const wrong = await srv.request('POST', '/api/v1/session', {
        body: { username: 'viewer', password: 'wrong-password' },
      });
      assert.equal(unknown.status, 401);
      assert.equal(wrong.status, 401);
      assert.equal(unknown.text, wrong.text);
      assert.deepEqual(unknown.json(), {
        error: 'Invalid username or password',
        code: 16,
        message: 'Invalid username or password',
      });
      assert.equal(unknown.headers['set-cookie'], undefined);
    });

    it('refuses a disabled account and an account without the login capability with the same error', async () => {
      const disabled = await srv.request('POST', '/api/v1/session', {
        body: { username: 'bob', password: 'bob-password-1' },
      });
      const apiKeyOnly = await srv.request('POST', '/api/v1/session', {
        body: { username: 'ci', password: 'anything-1' },
      });
      assert.equal(disabled.status, 401);
      assert.equal(apiKeyOnly.status, 401);
      assert.equal(disabled.text, apiKeyOnly.text);
    });

    it('refuses blank passwords, over-long usernames and token-based login with 400', async () => {
      const blank = await srv.request('POST', '/api/v1/session', {
        body: { username: 'admin', password: '' },
      });
      assert.equal(blank.status, 400);
      assert.equal(blank.json().message, 'Blank passwords are not allowed');
      const long = await srv.request('POST', '/api/v1/session', {
        body: { username: 'a'.repeat(33), password: 'x' },
      });
      assert.equal(long.status, 400);
      const token = await srv.request('POST', '/api/v1/session', { body: { token: adminToken } });
      assert.equal(token.status, 400);
    });

    it('locks a username out after the failure limit, even for the right password, and audits it', async () => {
      const bad = { username: 'locky', password: 'not-lockys-password' };
      for (let i = 0; i < 3; i++)
        assert.equal((await srv.request('POST', '/api/v1/session', { body: bad })).status, 401);
      const right = await srv.request('POST', '/api/v1/session', {
        body: { username: 'locky', password: 'locky-password-1' },
      });
      assert.equal(right.status, 401);
      assert.equal(right.json().message, 'Invalid username or password');
      const lockout = srv.securityEvents().find((e) => e.event === 'login.locked-out');
      assert.ok(lockout);
      assert.equal(lockout.security, 5);
      assert.equal(lockout.CWE, 307);
      assert.ok(!JSON.stringify(srv.logs).includes('locky-password-1'));
    });
  });

  describe('tokens', () => {
    it('accepts the token as a bearer token and as the cookie, and shows the user', async () => {
      const anon = await srv.request('GET', '/api/v1/session/userinfo');
      assert.deepEqual(anon.json(), { loggedIn: false });
      const bearer = await srv.request('GET', '/api/v1/session/userinfo', { token: adminToken });
      const info = bearer.json<{
        loggedIn: boolean;
        username: string;
        iss: string;
        roles: string[];
      }>();
      assert.equal(info.loggedIn, true);
      assert.equal(info.username, 'admin');
      assert.equal(info.iss, 'argocd');
      assert.ok(info.roles.includes('role:admin'));
      const cookie = await srv.request('GET', '/api/v1/projects', {
        cookie: `argocd.token=${adminToken}`,
      });
      assert.equal(cookie.status, 200);
    });

    it('joins a token split over several cookies, and refuses a tampered or malformed cookie', async () => {
      const half = Math.floor(adminToken.length / 2);
      const split = await srv.request('GET', '/api/v1/projects', {
        cookie: `argocd.token=2:${adminToken.slice(0, half)}; argocd.token-1=${adminToken.slice(half)}`,
      });
      assert.equal(split.status, 200);
      const parts = adminToken.split('.');
      const payload = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString()) as Record<
        string,
        unknown
      >;
      const tampered = [parts[0], b64url({ ...payload, sub: 'alice:login' }), parts[2]].join('.');
      assert.equal(
        (await srv.request('GET', '/api/v1/projects', { cookie: `argocd.token=${tampered}` }))
          .status,
        401,
      );
      assert.equal(
        (await srv.request('GET', '/api/v1/projects', { cookie: `argocd.token=3:${adminToken}` }))
          .status,
        401,
      );
      assert.equal((await srv.request('GET', '/api/v1/projects')).status, 401);
    });

    it('refuses alg none, other algorithms and a foreign key, and logs forgeries', async () => {
      const claims = {
        iss: 'argocd',
        sub: 'admin:login',
        iat: now(),
        nbf: now(),
        exp: now() + 3600,
        jti: randomUUID(),
      };
      const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
      const hs512 = await sign(claims, 'HS512', Buffer.alloc(64, 1));
      const foreign = await sign(claims, 'HS256', Buffer.alloc(44, 7));
      const { privateKey } = await (await import('jose')).generateKeyPair('RS256');
      const rs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
      for (const [name, t] of [
        ['none', none],
        ['HS512', hs512],
        ['foreign key', foreign],
        ['RS256', rs256],
      ] as const) {
        const res = await srv.request('GET', '/api/v1/projects', { token: t });
        assert.equal(res.status, 401, name);
        assert.equal(res.json().code, 16, name);
      }
      assert.ok(
        srv
          .securityEvents()
          .some((e) => e.event === 'token.forged' && e.CWE === 347 && e.security === 3),
      );
    });

    it('refuses expired, not yet valid and wrong-issuer tokens signed with the right key', async () => {
      const base = { sub: 'admin:login', jti: randomUUID() };
      const expired = await sign({
        ...base,
        iss: 'argocd',
        iat: now() - 7200,
        nbf: now() - 7200,
        exp: now() - 3600,
      });
      const future = await sign({
        ...base,
        iss: 'argocd',
        iat: now(),
        nbf: now() + 3600,
        exp: now() + 7200,
      });
      const issuer = await sign({
        ...base,
        iss: 'https://evil.example.com',
        iat: now(),
        exp: now() + 3600,
      });
      for (const [name, t] of [
        ['expired', expired],
        ['not yet valid', future],
        ['issuer', issuer],
      ] as const) {
        const res = await srv.request('GET', '/api/v1/projects', { token: t });
        assert.equal(res.status, 401, `${name}: ${res.text}`);
      }
    });

    it('renews a login token with less than 5 minutes left through Set-Cookie', async () => {
      const jti = randomUUID();
      const t = await sign({
        iss: 'argocd',
        sub: 'admin:login',
        iat: now(),
        nbf: now(),
        exp: now() + 120,
        jti,
      });
      const res = await srv.request('GET', '/api/v1/projects', { token: t });
      assert.equal(res.status, 200);
      const renewed = cookieOf(res);
      assert.match(renewed, /^argocd\.token=ey/);
      const fresh = renewed.slice('argocd.token='.length);
      const claims = JSON.parse(Buffer.from(fresh.split('.')[1] ?? '', 'base64url').toString()) as {
        exp: number;
        iat: number;
        jti: string;
      };
      assert.notEqual(claims.jti, jti);
      assert.equal(claims.exp - claims.iat, 120, 'the same lifetime as the renewed token');
      assert.equal(
        (await srv.request('GET', '/api/v1/session/userinfo', { token: fresh })).json().loggedIn,
        true,
      );
      // a token with more time left is not renewed
      const long = await srv.request('GET', '/api/v1/projects', { token: adminToken });
      assert.equal(long.headers['set-cookie'], undefined);
    });

    it('revokes the token on logout (DELETE /api/v1/session) and clears the cookie', async () => {
      const token = await srv.login('viewer', 'viewer-password-1');
      assert.equal(
        (await srv.request('GET', '/api/v1/session/userinfo', { token })).json().loggedIn,
        true,
      );
      const out = await srv.request('DELETE', '/api/v1/session', {
        token,
        cookie: `argocd.token=${token}`,
        contentType: 'application/json',
      });
      assert.equal(out.status, 200);
      assert.match(out.headers['set-cookie']?.[0] ?? '', /^argocd\.token=; .*Max-Age=0/);
      assert.equal((await srv.request('GET', '/api/v1/projects', { token })).status, 401);
      assert.deepEqual((await srv.request('GET', '/api/v1/session/userinfo', { token })).json(), {
        loggedIn: false,
      });
    });

    it('refuses tokens issued before a password change; the changer gets a fresh cookie', async () => {
      const name = 'viewer';
      const first = await srv.login(name, 'viewer-password-1');
      const second = await srv.login(name, 'viewer-password-1');
      const weak = await srv.request('PUT', '/api/v1/account/password', {
        token: first,
        body: { currentPassword: 'viewer-password-1', newPassword: 'short' },
      });
      assert.equal(weak.status, 400);
      const wrong = await srv.request('PUT', '/api/v1/account/password', {
        token: first,
        body: { currentPassword: 'not-the-password', newPassword: 'viewer-password-2' },
      });
      assert.equal(wrong.status, 400);
      // the mtime has 1 s granularity: make sure "second" is from an earlier second
      await new Promise((r) => setTimeout(r, 1100));
      const ok = await srv.request('PUT', '/api/v1/account/password', {
        token: first,
        body: { currentPassword: 'viewer-password-1', newPassword: 'viewer-password-2' },
      });
      assert.equal(ok.status, 200, ok.text);
      const fresh = cookieOf(ok).slice('argocd.token='.length);
      await srv.waitFor(
        async () =>
          (await srv.request('GET', '/api/v1/session/userinfo', { token: second })).json()
            .loggedIn === false,
        'the old token to be refused',
      );
      assert.equal((await srv.request('GET', '/api/v1/projects', { token: first })).status, 401);
      assert.equal(
        (await srv.request('GET', '/api/v1/session/userinfo', { token: fresh })).json().loggedIn,
        true,
      );
      assert.equal(
        (
          await srv.request('POST', '/api/v1/session', {
            body: { username: name, password: 'viewer-password-2' },
          })
        ).status,
        200,
      );
    });

    it("refuses a token of a disabled account and of one that lost the token's capability", async () => {
      const t = await sign({
        iss: 'argocd',
        sub: 'bob:login',
        iat: now(),
        nbf: now(),
        exp: now() + 3600,
        jti: randomUUID(),
      });
      assert.equal((await srv.request('GET', '/api/v1/projects', { token: t })).status, 401);
      const apiKeyForLoginOnly = await sign({
        iss: 'argocd',
        sub: 'alice:apiKey',
        iat: now(),
        nbf: now(),
        jti: randomUUID(),
      });
      assert.equal(
        (await srv.request('GET', '/api/v1/projects', { token: apiKeyForLoginOnly })).status,
        401,
      );
    });
  });

  describe('API tokens of accounts', () => {
    it('creates, uses and deletes an API token; a deleted token is refused', async () => {
      const created = await srv.request('POST', '/api/v1/account/ci/token', {
        token: adminToken,
        body: { id: 'pipeline', expiresIn: 3600 },
      });
      assert.equal(created.status, 200, created.text);
      const token = created.json<{ token: string }>().token;
      const info = await srv.request('GET', '/api/v1/session/userinfo', { token });
      assert.equal(info.json().username, 'ci');
      const account = await srv.request('GET', '/api/v1/account/ci', { token: adminToken });
      const tokens = account.json<{
        tokens: { id: string; issuedAt: number; expiresAt: number }[];
      }>().tokens;
      const [first] = tokens;
      assert.ok(first);
      assert.equal(first.id, 'pipeline');
      assert.equal(first.expiresAt - first.issuedAt, 3600);
      assert.doesNotMatch(account.text, /\$2[aby]\$/);
      const dup = await srv.request('POST', '/api/v1/account/ci/token', {
        token: adminToken,
        body: { id: 'pipeline' },
      });
      assert.equal(dup.status, 409);
      const del = await srv.request('DELETE', '/api/v1/account/ci/token/pipeline', {
        token: adminToken,
        contentType: 'application/json',
      });
      assert.equal(del.status, 200, del.text);
      await srv.waitFor(
        async () =>
          (await srv.request('GET', '/api/v1/session/userinfo', { token })).json().loggedIn ===
          false,
        'the deleted token to be refused',
      );
    });

    it('refuses token creation without accounts update, and for an account without apiKey', async () => {
      const viewer = await srv.login('viewer', 'viewer-password-2');
      const res = await srv.request('POST', '/api/v1/account/ci/token', {
        token: viewer,
        body: {},
      });
      assert.equal(res.status, 403);
      assert.match(
        res.json<{ message: string }>().message,
        /^permission denied: accounts, update, ci, sub: viewer/,
      );
      const noKey = await srv.request('POST', '/api/v1/account/viewer/token', {
        token: viewer,
        body: {},
      });
      assert.equal(noKey.status, 400);
      assert.ok(
        srv
          .securityEvents()
          .some((e) => e.CWE === 285 && e.security === 2 && e.subject === 'viewer'),
      );
    });
  });

  describe('project tokens', () => {
    const project = (name: string) => ({
      metadata: { name },
      spec: {
        sourceRepos: ['*'],
        destinations: [{ server: '*', namespace: '*' }],
        roles: [
          { name: 'ci', policies: [`p, proj:${name}:ci, applications, get, ${name}/*, allow`] },
        ],
      },
    });

    it('work within their project only and stop working when deleted', async () => {
      for (const name of ['team-a', 'team-b']) {
        const res = await srv.request('POST', '/api/v1/projects', {
          token: adminToken,
          body: { project: project(name) },
        });
        assert.equal(res.status, 200, res.text);
      }
      const created = await srv.request('POST', '/api/v1/projects/team-a/roles/ci/token', {
        token: adminToken,
        body: { id: 'build-1', expiresIn: 600 },
      });
      assert.equal(created.status, 200, created.text);
      const token = created.json<{ token: string }>().token;
      const own = await srv.request('GET', '/api/v1/projects/team-a', { token });
      assert.equal(own.status, 200, own.text);
      const stored = own.json<{
        spec: { roles: { jwtTokens: { id: string }[] }[] };
        status: { jwtTokensByRole: Record<string, { items: { id: string }[] }> };
      }>();
      assert.equal(stored.spec.roles[0]?.jwtTokens[0]?.id, 'build-1');
      assert.equal(stored.status.jwtTokensByRole.ci?.items[0]?.id, 'build-1');
      assert.equal((await srv.request('GET', '/api/v1/projects/team-b', { token })).status, 403);
      assert.equal(
        (
          await srv.request('GET', '/api/v1/account/can-i/applications/get/team-a/web', { token })
        ).json().value,
        'yes',
      );
      assert.equal(
        (
          await srv.request('GET', '/api/v1/account/can-i/applications/get/team-b/web', { token })
        ).json().value,
        'no',
      );
      assert.equal(
        (
          await srv.request('GET', '/api/v1/account/can-i/applications/delete/team-a/web', {
            token,
          })
        ).json().value,
        'no',
      );
      assert.equal(
        (await srv.request('POST', '/api/v1/projects/team-a/roles/ci/token', { token, body: {} }))
          .status,
        403,
      );
      assert.equal(
        (
          await srv.request('PUT', '/api/v1/account/password', {
            token,
            body: { currentPassword: 'x', newPassword: 'yyyyyyyyyyyy' },
          })
        ).status,
        400,
      );
      const list = await srv.request('GET', '/api/v1/projects', { token });
      assert.deepEqual(
        list.json<{ items: { metadata: { name: string } }[] }>().items.map((p) => p.metadata.name),
        ['team-a'],
      );

      const iat = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
        iat: number;
      };
      const del = await srv.request(
        'DELETE',
        `/api/v1/projects/team-a/roles/ci/token/${iat.iat}?id=build-1`,
        { token: adminToken, contentType: 'application/json' },
      );
      assert.equal(del.status, 200, del.text);
      await srv.waitFor(
        async () => (await srv.request('GET', '/api/v1/projects/team-a', { token })).status === 401,
        'the deleted project token to be refused',
      );
    });

    it('cannot be revived by writing the token entry back into the project', async () => {
      const created = await srv.request('POST', '/api/v1/projects/team-b/roles/ci/token', {
        token: adminToken,
        body: { id: 'revive-me' },
      });
      const token = created.json<{ token: string }>().token;
      const iat = (
        JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
          iat: number;
        }
      ).iat;
      const withToken = (
        await srv.request('GET', '/api/v1/projects/team-b', { token: adminToken })
      ).json();
      await srv.request('DELETE', `/api/v1/projects/team-b/roles/ci/token/${iat}?id=revive-me`, {
        token: adminToken,
        contentType: 'application/json',
      });
      const current = (
        await srv.request('GET', '/api/v1/projects/team-b', { token: adminToken })
      ).json<{ metadata: { resourceVersion: string } }>();
      const put = await srv.request('PUT', '/api/v1/projects/team-b', {
        token: adminToken,
        body: {
          project: {
            ...withToken,
            metadata: {
              ...(withToken.metadata as object),
              resourceVersion: current.metadata.resourceVersion,
            },
          },
        },
      });
      assert.equal(put.status, 200, put.text);
      assert.doesNotMatch(put.text, /revive-me/);
      assert.equal((await srv.request('GET', '/api/v1/projects/team-b', { token })).status, 401);
    });
  });

  describe('RBAC', () => {
    it('denies by default: a logged-in user without policy sees nothing and may do nothing', async () => {
      const viewer = await srv.login('viewer', 'viewer-password-2');
      const list = await srv.request('GET', '/api/v1/projects', { token: viewer });
      assert.equal(list.status, 200);
      assert.deepEqual(list.json<{ items: unknown[] }>().items, []);
      assert.equal(
        (await srv.request('GET', '/api/v1/projects/team-a', { token: viewer })).status,
        403,
      );
      assert.equal((await srv.request('GET', '/api/v1/account', { token: viewer })).status, 403);
      assert.equal(
        (
          await srv.request('GET', '/api/v1/account/can-i/projects/get/team-a', { token: viewer })
        ).json().value,
        'no',
      );
      const create = await srv.request('POST', '/api/v1/projects', {
        token: viewer,
        body: { project: { metadata: { name: 'x' }, spec: {} } },
      });
      assert.equal(create.status, 403);
    });

    it('applies argocd-rbac-cm (alice administers team-a only) and answers can-i for objects with slashes', async () => {
      const token = await srv.login('alice', 'alice-password-1');
      assert.equal((await srv.request('GET', '/api/v1/projects/team-a', { token })).status, 200);
      assert.equal((await srv.request('GET', '/api/v1/projects/team-b', { token })).status, 403);
    });

    it('answers can-i for the caller with objects containing slashes, and 400 for unknown resources', async () => {
      const yes = await srv.request('GET', '/api/v1/account/can-i/applications/get/team-a/ns/web', {
        token: adminToken,
      });
      assert.deepEqual(yes.json(), { value: 'yes' });
      const bad = await srv.request('GET', '/api/v1/account/can-i/widgets/get/x', {
        token: adminToken,
      });
      assert.equal(bad.status, 400);
      assert.equal(
        (await srv.request('GET', '/api/v1/account/can-i/projects/get/team-a')).status,
        401,
      );
    });

    it('reloads the policy from argocd-rbac-cm without a restart, and keeps the last valid policy on errors', async () => {
      const viewer = await srv.login('viewer', 'viewer-password-2');
      await srv.setConfigMap(ConfigNames.rbacCm, {
        'policy.csv': 'p, viewer, projects, get, *, allow\n',
      });
      await srv.waitFor(
        async () =>
          (await srv.request('GET', '/api/v1/projects/team-a', { token: viewer })).status === 200,
        'the new policy',
      );
      await srv.setConfigMap(ConfigNames.rbacCm, { 'policy.csv': 'p, viewer, projects, get\n' });
      await srv.waitFor(
        () => srv.logs.some((l) => /last valid RBAC policy stays in force/.test(String(l.msg))),
        'the policy error to be logged',
      );
      assert.equal(
        (await srv.request('GET', '/api/v1/projects/team-a', { token: viewer })).status,
        200,
      );
    });
  });

  describe('anonymous access', () => {
    it('gives the anonymous caller only policy.default and never trusts an unverified token', async () => {
      await srv.setConfigMap(ConfigNames.cm, { 'users.anonymous.enabled': 'true' });
      await srv.setConfigMap(ConfigNames.rbacCm, {
        'policy.default': 'role:readonly',
        'policy.csv': '',
      });
      await srv.waitFor(
        async () => (await srv.request('GET', '/api/v1/projects')).status === 200,
        'anonymous access',
      );
      const list = await srv.request('GET', '/api/v1/projects');
      assert.ok(list.json<{ items: unknown[] }>().items.length >= 2);
      const forged = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: 'argocd', sub: 'admin:login', iat: now(), exp: now() + 3600, jti: 'x' })}.`;
      const create = await srv.request('POST', '/api/v1/projects', {
        token: forged,
        body: { project: { metadata: { name: 'anon-made' }, spec: {} } },
      });
      assert.equal(create.status, 403);
      assert.deepEqual(
        (await srv.request('GET', '/api/v1/session/userinfo', { token: forged })).json(),
        { loggedIn: false },
      );
      await srv.setConfigMap(ConfigNames.cm, { 'users.anonymous.enabled': 'false' });
      await srv.waitFor(
        async () => (await srv.request('GET', '/api/v1/projects')).status === 401,
        'anonymous access to end',
      );
    });
  });

  describe('version and settings', () => {
    it('gives logged-in callers the whole version message', async () => {
      const res = await srv.request('GET', '/api/version', { token: adminToken });
      const v = res.json();
      for (const k of [
        'Version',
        'BuildDate',
        'GitCommit',
        'Platform',
        'KustomizeVersion',
        'HelmVersion',
      ])
        assert.ok(k in v, k);
    });

    it('serves reduced settings anonymously and never a client secret', async () => {
      const anon = await srv.request('GET', '/api/v1/settings');
      assert.equal(anon.status, 200);
      const s = anon.json();
      assert.equal(s.url, 'https://argocd.example.com');
      assert.equal(s.userLoginsDisabled, false);
      assert.deepEqual(s.oidcConfig, {
        name: 'Corp',
        issuer: 'https://idp.example.com',
        clientID: 'argo',
      });
      assert.equal(s.passwordPattern, undefined);
      assert.equal(s.uiBannerContent, undefined);
      const full = await srv.request('GET', '/api/v1/settings', { token: adminToken });
      assert.equal(full.json().passwordPattern, '^.{10,64}$');
      for (const r of [anon, full]) {
        assert.doesNotMatch(r.text, /oidc-client-secret-value/);
        assert.doesNotMatch(r.text, /server\.secretkey|\$2[aby]\$/);
      }
      assert.deepEqual(
        (await srv.request('GET', '/api/v1/settings/plugins', { token: adminToken })).json(),
        { plugins: [] },
      );
    });
  });
});
