import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT, jwtVerify, type JWTPayload } from 'jose';
import type { AppProject } from '../apis/index.js';
import {
  AuthError,
  MemoryAccountStore,
  MemoryRevocationStore,
  SessionManager,
  assertProjectScope,
  hashPassword,
  projectTokenLookupFrom,
  withProjectRoleToken,
  withoutProjectRoleToken,
  type Account,
  type SessionManagerOptions,
} from './index.js';
import { CollectingLogger, SeededRandom, TEST_SECRET_KEY, TestClock } from './test-helpers.js';

function project(name: string, roles: string[]): AppProject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name, namespace: 'argocd' },
    spec: { roles: roles.map((r) => ({ name: r, policies: [] })) },
  };
}

const baseAccounts: Account[] = [
  { name: 'admin', enabled: true, capabilities: ['login'], tokens: [] },
  { name: 'ci', enabled: true, capabilities: ['apiKey', 'login'], tokens: [] },
  { name: 'keyonly', enabled: true, capabilities: ['apiKey'], tokens: [] },
];

function world(options: SessionManagerOptions = {}) {
  const clock = new TestClock();
  const accounts = new MemoryAccountStore(baseAccounts);
  const projects = new Map<string, AppProject>([
    ['team-a', project('team-a', ['deployer'])],
    ['team-b', project('team-b', ['deployer'])],
  ]);
  const revocations = new MemoryRevocationStore({ clock });
  const logger = new CollectingLogger();
  const sessions = new SessionManager(
    {
      secretKey: TEST_SECRET_KEY,
      accounts,
      projects: projectTokenLookupFrom((n) => projects.get(n)),
      revocations,
      clock,
      random: new SeededRandom(),
      logger,
    },
    options,
  );
  const nowSec = (): number => Math.floor(clock.now() / 1000);
  /** Signs arbitrary claims with the server key, as an attacker who knew it could not. */
  const sign = (payload: JWTPayload, alg = 'HS256'): Promise<string> =>
    new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(TEST_SECRET_KEY);
  return { clock, accounts, projects, revocations, logger, sessions, nowSec, sign };
}

function code(expected: string, message?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof AuthError, `expected AuthError, got ${String(err)}`);
    assert.equal(err.code, expected, err.message);
    if (message) assert.match(err.message, message);
    return true;
  };
}

describe('SessionManager login tokens', () => {
  it("issues Argo CD's claims: iss argocd, sub <user>:login, iat = nbf, exp = iat + 24h, UUID jti", async () => {
    const w = world();
    const { token, claims } = await w.sessions.issueSessionToken('admin');
    assert.equal(claims.iss, 'argocd');
    assert.equal(claims.sub, 'admin:login');
    assert.equal(claims.iat, w.nowSec());
    assert.equal(claims.nbf, claims.iat);
    assert.equal(claims.exp, claims.iat + 86_400);
    assert.match(
      claims.jti ?? '',
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    // an independent verifier accepts it with the same key
    const { payload, protectedHeader } = await jwtVerify(token, TEST_SECRET_KEY, {
      algorithms: ['HS256'],
      issuer: 'argocd',
      currentDate: new Date(w.clock.now()),
    });
    assert.equal(protectedHeader.alg, 'HS256');
    assert.equal(payload.sub, 'admin:login');
  });

  it('verifies its own token into the user and the kind', async () => {
    const w = world();
    const { token } = await w.sessions.issueSessionToken('admin');
    const v = await w.sessions.verifyToken(token);
    assert.ok(v.kind === 'login');
    assert.equal(v.subject, 'admin');
    assert.equal(v.username, 'admin');
  });

  it('uses users.session.duration when configured', async () => {
    const w = world({ sessionLifetimeMs: 3_600_000 });
    const { claims } = await w.sessions.issueSessionToken('admin');
    assert.equal((claims.exp ?? 0) - claims.iat, 3600);
  });

  it('refuses to issue a session for an unknown, disabled or login-less account', async () => {
    const w = world();
    await assert.rejects(
      w.sessions.issueSessionToken('nobody'),
      code('ERR_AUTH_ACCOUNT_NOT_FOUND'),
    );
    await assert.rejects(w.sessions.issueSessionToken('keyonly'), code('ERR_AUTH_CAPABILITY'));
    w.accounts.put({ ...baseAccounts[0]!, enabled: false });
    await assert.rejects(w.sessions.issueSessionToken('admin'), code('ERR_AUTH_ACCOUNT_DISABLED'));
  });
});

describe('SessionManager.verifyToken refuses', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it('alg none', async () => {
    const w = world();
    const token = new UnsecuredJWT({
      iss: 'argocd',
      sub: 'admin:login',
      iat: w.nowSec(),
      exp: w.nowSec() + 60,
      jti: 'x',
    }).encode();
    await assert.rejects(
      w.sessions.verifyToken(token),
      code('ERR_AUTH_TOKEN_INVALID', /algorithm "none"/),
    );
    const forged = w.logger.named('token.forged');
    assert.equal(forged.length, 1);
    const [event] = forged;
    assert.ok(event);
    assert.equal(event.security, 3);
    assert.equal(event.CWE, 347);
  });

  for (const alg of ['HS384', 'HS512']) {
    it(`${alg} under the server key`, async () => {
      const w = world();
      const token = await w.sign(
        { iss: 'argocd', sub: 'admin:login', iat: w.nowSec(), exp: w.nowSec() + 60, jti: 'x' },
        alg,
      );
      await assert.rejects(
        w.sessions.verifyToken(token),
        code('ERR_AUTH_TOKEN_INVALID', new RegExp(alg)),
      );
    });
  }

  it('RS256', async () => {
    const w = world();
    const token = await new SignJWT({
      iss: 'argocd',
      sub: 'admin:login',
      iat: w.nowSec(),
      exp: w.nowSec() + 60,
      jti: 'x',
    })
      .setProtectedHeader({ alg: 'RS256' })
      .sign(rsa.privateKey);
    await assert.rejects(w.sessions.verifyToken(token), code('ERR_AUTH_TOKEN_INVALID', /RS256/));
  });

  it('a tampered signature or payload', async () => {
    const w = world();
    const { token } = await w.sessions.issueSessionToken('admin');
    const [h, p, s] = token.split('.') as [string, string, string];
    const otherPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'ci:login' }),
    ).toString('base64url');
    await assert.rejects(
      w.sessions.verifyToken(`${h}.${otherPayload}.${s}`),
      code('ERR_AUTH_TOKEN_INVALID', /signature/),
    );
    const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
    await assert.rejects(
      w.sessions.verifyToken(`${h}.${p}.${flipped}`),
      code('ERR_AUTH_TOKEN_INVALID', /signature/),
    );
  });

  it('an expired token (after the clock skew)', async () => {
    const w = world();
    const { token } = await w.sessions.issueSessionToken('admin');
    w.clock.advance(86_400_000 + 4_000);
    await w.sessions.verifyToken(token); // within the 5 s skew
    w.clock.advance(1_000);
    await assert.rejects(w.sessions.verifyToken(token), code('ERR_AUTH_TOKEN_EXPIRED'));
  });

  it('a token that is not valid yet (nbf, iat in the future)', async () => {
    const w = world();
    const t = w.nowSec();
    const nbf = await w.sign({
      iss: 'argocd',
      sub: 'admin:login',
      iat: t,
      nbf: t + 60,
      exp: t + 3600,
      jti: 'a',
    });
    await assert.rejects(w.sessions.verifyToken(nbf), code('ERR_AUTH_TOKEN_NOT_YET_VALID'));
    const iat = await w.sign({
      iss: 'argocd',
      sub: 'admin:login',
      iat: t + 60,
      exp: t + 3600,
      jti: 'b',
    });
    await assert.rejects(w.sessions.verifyToken(iat), code('ERR_AUTH_TOKEN_NOT_YET_VALID'));
  });

  it('a wrong issuer', async () => {
    const w = world();
    const t = w.nowSec();
    const token = await w.sign({
      iss: 'https://dex.example',
      sub: 'admin:login',
      iat: t,
      exp: t + 60,
      jti: 'a',
    });
    await assert.rejects(w.sessions.verifyToken(token), code('ERR_AUTH_TOKEN_INVALID', /issuer/));
  });

  it('a user token without jti', async () => {
    const w = world();
    const t = w.nowSec();
    const token = await w.sign({ iss: 'argocd', sub: 'admin:login', iat: t, exp: t + 60 });
    await assert.rejects(w.sessions.verifyToken(token), code('ERR_AUTH_TOKEN_INVALID', /jti/));
  });

  it('a login token without exp (CVE-2021-26921: sessions must expire)', async () => {
    const w = world();
    const token = await w.sign({ iss: 'argocd', sub: 'admin:login', iat: w.nowSec(), jti: 'a' });
    await assert.rejects(
      w.sessions.verifyToken(token),
      code('ERR_AUTH_TOKEN_INVALID', /must expire/),
    );
  });

  it('a revoked jti (logout), even when its signature was cached', async () => {
    const w = world();
    const { token } = await w.sessions.issueSessionToken('admin');
    const v = await w.sessions.verifyToken(token);
    await w.sessions.revokeToken(v);
    await assert.rejects(w.sessions.verifyToken(token), code('ERR_AUTH_TOKEN_REVOKED'));
  });

  it('a token issued before the password changed, to the second', async () => {
    const w = world();
    const before = await w.sessions.issueSessionToken('admin');
    w.clock.advance(1_500);
    const sameSecond = w.clock.now();
    await w.accounts.setPassword('admin', await hashPassword('new-password-1'), sameSecond);
    await assert.rejects(
      w.sessions.verifyToken(before.token),
      code('ERR_AUTH_TOKEN_REVOKED', /account password has changed since token issued/),
    );
    // a token from the second of the change, and later ones, are fine (1 s granularity, as Argo CD)
    const after = await w.sessions.issueSessionToken('admin');
    assert.equal(after.claims.iat, Math.floor(sameSecond / 1000));
    await w.sessions.verifyToken(after.token);
  });

  it('a token of a disabled account', async () => {
    const w = world();
    const { token } = await w.sessions.issueSessionToken('ci');
    w.accounts.put({ ...baseAccounts[1]!, enabled: false });
    await assert.rejects(w.sessions.verifyToken(token), code('ERR_AUTH_ACCOUNT_DISABLED'));
  });

  it('a token of a deleted account', async () => {
    const w = world();
    const t = w.nowSec();
    const token = await w.sign({
      iss: 'argocd',
      sub: 'ghost:login',
      iat: t,
      exp: t + 60,
      jti: 'a',
    });
    await assert.rejects(w.sessions.verifyToken(token), code('ERR_AUTH_ACCOUNT_NOT_FOUND'));
  });

  it('a token whose kind needs a capability the account lacks', async () => {
    const w = world();
    const t = w.nowSec();
    const login = await w.sign({
      iss: 'argocd',
      sub: 'keyonly:login',
      iat: t,
      exp: t + 60,
      jti: 'a',
    });
    await assert.rejects(w.sessions.verifyToken(login), code('ERR_AUTH_CAPABILITY', /login/));
    // the admin has login only: an apiKey token (or a legacy bare subject, read as apiKey) fails
    const apiKey = await w.sign({ iss: 'argocd', sub: 'admin:apiKey', iat: t, jti: 'b' });
    await assert.rejects(w.sessions.verifyToken(apiKey), code('ERR_AUTH_CAPABILITY', /apiKey/));
    const bare = await w.sign({ iss: 'argocd', sub: 'admin', iat: t, jti: 'c' });
    await assert.rejects(w.sessions.verifyToken(bare), code('ERR_AUTH_CAPABILITY', /apiKey/));
  });

  it('an unknown subject suffix', async () => {
    const w = world();
    const t = w.nowSec();
    const token = await w.sign({ iss: 'argocd', sub: 'admin:root', iat: t, exp: t + 60, jti: 'a' });
    await assert.rejects(w.sessions.verifyToken(token), code('ERR_AUTH_TOKEN_INVALID', /subject/));
  });

  it('a token signed with a rotated-out key', async () => {
    const w = world();
    const { token } = await w.sessions.issueSessionToken('admin');
    await w.sessions.verifyToken(token);
    w.sessions.updateSecretKey(
      new Uint8Array(Buffer.from('rotated-rotated-rotated-rotated-rotated!', 'utf8')),
    );
    await assert.rejects(
      w.sessions.verifyToken(token),
      code('ERR_AUTH_TOKEN_INVALID', /signature/),
    );
  });
});

describe('SessionManager API tokens', () => {
  it('records {id, iat, exp} in the account and verifies while the record exists', async () => {
    const w = world();
    const issued = await w.sessions.issueApiToken('ci', {
      id: 'deploy-bot',
      expiresInMs: 3_600_000,
    });
    assert.equal(issued.claims.sub, 'ci:apiKey');
    assert.equal(issued.claims.jti, 'deploy-bot');
    assert.deepEqual(issued.record, { id: 'deploy-bot', iat: w.nowSec(), exp: w.nowSec() + 3600 });
    assert.deepEqual(w.accounts.getAccount('ci')?.tokens, [issued.record]);
    const v = await w.sessions.verifyToken(issued.token);
    assert.equal(v.kind, 'apiKey');
    assert.equal(w.logger.named('token.issued').length, 1);
  });

  it('never expires by default (Argo CD), or after the lifetime the operator configured', async () => {
    const w = world();
    const b = await w.sessions.issueApiToken('ci');
    assert.equal(b.claims.exp, undefined);
    assert.deepEqual(Object.keys(b.record).sort(), ['iat', 'id']);
    await w.sessions.verifyToken(b.token);
    const p = await w.sessions.issueProjectToken('team-a', 'deployer');
    assert.equal(p.claims.exp, undefined);
    const bounded = world({ apiTokenDefaultLifetimeMs: 90 * 86_400_000 });
    const a = await bounded.sessions.issueApiToken('ci');
    assert.equal((a.claims.exp ?? 0) - a.claims.iat, 90 * 86_400);
  });

  it('refuses an API token whose record was deleted', async () => {
    const w = world();
    const issued = await w.sessions.issueApiToken('ci', { id: 'one' });
    await w.sessions.revokeApiToken('ci', 'one');
    await assert.rejects(w.sessions.verifyToken(issued.token), code('ERR_AUTH_TOKEN_REVOKED'));
    // a signed apiKey token that was never recorded is refused too
    const t = w.nowSec();
    const unlisted = await w.sign({
      iss: 'argocd',
      sub: 'ci:apiKey',
      iat: t,
      jti: 'never-recorded',
    });
    await assert.rejects(
      w.sessions.verifyToken(unlisted),
      code('ERR_AUTH_TOKEN_REVOKED', /deleted/),
    );
  });

  it('refuses duplicate ids, bad ids, negative expiry and accounts without apiKey', async () => {
    const w = world();
    await w.sessions.issueApiToken('ci', { id: 'same' });
    await assert.rejects(
      w.sessions.issueApiToken('ci', { id: 'same' }),
      code('ERR_AUTH_TOKEN_EXISTS'),
    );
    await assert.rejects(
      w.sessions.issueApiToken('ci', { id: 'has space' }),
      code('ERR_AUTH_INVALID_ARGUMENT'),
    );
    await assert.rejects(
      w.sessions.issueApiToken('ci', { expiresInMs: -1 }),
      code('ERR_AUTH_INVALID_ARGUMENT'),
    );
    await assert.rejects(w.sessions.issueApiToken('admin'), code('ERR_AUTH_CAPABILITY'));
    await assert.rejects(
      w.sessions.revokeApiToken('ci', 'missing'),
      code('ERR_AUTH_TOKEN_NOT_FOUND'),
    );
  });

  it('refuses API tokens issued before a password change too (as Argo CD)', async () => {
    const w = world();
    const issued = await w.sessions.issueApiToken('ci');
    w.clock.advance(2_000);
    await w.accounts.setPassword('ci', await hashPassword('another-pass'), w.clock.now());
    await assert.rejects(w.sessions.verifyToken(issued.token), code('ERR_AUTH_TOKEN_REVOKED'));
  });
});

describe('SessionManager project tokens', () => {
  async function recorded(w: ReturnType<typeof world>, proj = 'team-a', id?: string) {
    const issued = await w.sessions.issueProjectToken(proj, 'deployer', {
      expiresInMs: 3_600_000,
      ...(id !== undefined ? { id } : {}),
    });
    const p = w.projects.get(proj)!;
    w.projects.set(proj, withProjectRoleToken(p, 'deployer', issued.record));
    return issued;
  }

  it('issues proj:<p>:<r> with jti = id, valid once recorded in the AppProject', async () => {
    const w = world();
    const issued = await w.sessions.issueProjectToken('team-a', 'deployer', {
      id: 'release',
      expiresInMs: 60_000,
    });
    assert.equal(issued.claims.sub, 'proj:team-a:deployer');
    assert.equal(issued.claims.jti, 'release');
    // not recorded yet: not valid
    await assert.rejects(w.sessions.verifyToken(issued.token), code('ERR_AUTH_TOKEN_REVOKED'));
    w.projects.set(
      'team-a',
      withProjectRoleToken(w.projects.get('team-a')!, 'deployer', issued.record),
    );
    const v = await w.sessions.verifyToken(issued.token);
    assert.ok(v.kind === 'project');
    assert.equal(v.project, 'team-a');
    assert.equal(v.role, 'deployer');
    assert.equal(v.subject, 'proj:team-a:deployer');
  });

  it('stops accepting a token the moment its entry is deleted', async () => {
    const w = world();
    const issued = await recorded(w);
    await w.sessions.verifyToken(issued.token);
    const { project: without, removed } = withoutProjectRoleToken(
      w.projects.get('team-a')!,
      'deployer',
      { id: issued.record.id },
    );
    assert.equal(removed, true);
    w.projects.set('team-a', without);
    await assert.rejects(
      w.sessions.verifyToken(issued.token),
      code('ERR_AUTH_TOKEN_REVOKED', /deleted/),
    );
  });

  it('refuses tokens of a deleted role or project', async () => {
    const w = world();
    const issued = await recorded(w);
    const p = w.projects.get('team-a')!;
    w.projects.set('team-a', { ...p, spec: { ...p.spec, roles: [] } });
    await assert.rejects(
      w.sessions.verifyToken(issued.token),
      code('ERR_AUTH_TOKEN_REVOKED', /no longer exists/),
    );
    w.projects.delete('team-a');
    await assert.rejects(w.sessions.verifyToken(issued.token), code('ERR_AUTH_TOKEN_REVOKED'));
  });

  it('names its project so the server can refuse it on another project', async () => {
    const w = world();
    const issued = await recorded(w);
    const v = await w.sessions.verifyToken(issued.token);
    assertProjectScope(v, 'team-a');
    assert.throws(() => {
      assertProjectScope(v, 'team-b');
    }, code('ERR_AUTH_PROJECT_SCOPE'));
    // same role name, same id, other project: the entry of team-a does not validate it
    const t = w.nowSec();
    const crafted = await w.sign({
      iss: 'argocd',
      sub: 'proj:team-b:deployer',
      iat: t,
      jti: issued.record.id,
    });
    await assert.rejects(w.sessions.verifyToken(crafted), code('ERR_AUTH_TOKEN_REVOKED'));
    // user tokens are not project-scoped
    const user = await w.sessions.verifyToken((await w.sessions.issueSessionToken('admin')).token);
    assertProjectScope(user, 'team-b');
  });

  it('accepts a legacy token without jti by its iat against an entry without id', async () => {
    const w = world();
    const t = w.nowSec();
    const p = w.projects.get('team-a')!;
    w.projects.set('team-a', {
      ...p,
      spec: { ...p.spec, roles: [{ name: 'deployer', policies: [], jwtTokens: [{ iat: t }] }] },
    });
    const legacy = await w.sign({ iss: 'argocd', sub: 'proj:team-a:deployer', iat: t });
    assert.equal((await w.sessions.verifyToken(legacy)).kind, 'project');
    const otherSecond = await w.sign({ iss: 'argocd', sub: 'proj:team-a:deployer', iat: t - 1 });
    await assert.rejects(w.sessions.verifyToken(otherSecond), code('ERR_AUTH_TOKEN_REVOKED'));
  });

  it('refuses an id already used by the role, and unknown roles', async () => {
    const w = world();
    await recorded(w, 'team-a', 'dup');
    await assert.rejects(
      w.sessions.issueProjectToken('team-a', 'deployer', { id: 'dup' }),
      code('ERR_AUTH_TOKEN_EXISTS'),
    );
    await assert.rejects(
      w.sessions.issueProjectToken('team-a', 'nope'),
      code('ERR_AUTH_INVALID_ARGUMENT'),
    );
  });

  it('refuses an expired project token', async () => {
    const w = world();
    const issued = await recorded(w);
    w.clock.advance(3_600_000 + 10_000);
    await assert.rejects(w.sessions.verifyToken(issued.token), code('ERR_AUTH_TOKEN_EXPIRED'));
  });
});

describe('SessionManager renewal', () => {
  it('renews login tokens with less than 5 minutes left, with a new jti and the same lifetime', async () => {
    const w = world({ sessionLifetimeMs: 3_600_000 });
    const { token } = await w.sessions.issueSessionToken('admin');
    let v = await w.sessions.verifyToken(token);
    assert.equal(w.sessions.shouldRenew(v), false);
    w.clock.advance(3_600_000 - 4 * 60_000);
    v = await w.sessions.verifyToken(token);
    assert.equal(w.sessions.shouldRenew(v), true);
    const renewed = await w.sessions.renew(v);
    assert.notEqual(renewed.claims.jti, v.claims.jti);
    assert.equal((renewed.claims.exp ?? 0) - renewed.claims.iat, 3600);
    await w.sessions.verifyToken(renewed.token);
  });

  it('never renews API or project tokens', async () => {
    const w = world();
    const { token } = await w.sessions.issueApiToken('ci', { expiresInMs: 60_000 });
    const v = await w.sessions.verifyToken(token);
    assert.equal(w.sessions.shouldRenew(v), false);
  });
});
