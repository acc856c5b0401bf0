import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuthError,
  INVALID_LOGIN_MESSAGE,
  LoginService,
  MemoryAccountStore,
  MemoryFailureStore,
  MemoryRevocationStore,
  SessionManager,
  hashPassword,
  isBcryptHash,
  projectTokenLookupFrom,
  verifyPassword,
  type Account,
  type FailureStore,
  type LoginOptions,
  type Sleep,
} from './index.js';
import {
  CollectingLogger,
  GatedSleep,
  RecordingSleep,
  SeededRandom,
  TEST_SECRET_KEY,
  TestClock,
  settle,
} from './test-helpers.js';

const PASSWORDS = {
  admin: 'admin-password',
  ci: 'ci-password1',
  off: 'off-password',
  keyonly: 'key-password',
};

const hashes = {
  admin: await hashPassword(PASSWORDS.admin),
  ci: await hashPassword(PASSWORDS.ci),
  off: await hashPassword(PASSWORDS.off),
  keyonly: await hashPassword(PASSWORDS.keyonly),
};

function accountsFixture(): Account[] {
  return [
    {
      name: 'admin',
      enabled: true,
      capabilities: ['login'],
      passwordHash: hashes.admin,
      tokens: [],
    },
    {
      name: 'ci',
      enabled: true,
      capabilities: ['login', 'apiKey'],
      passwordHash: hashes.ci,
      tokens: [],
    },
    { name: 'off', enabled: false, capabilities: ['login'], passwordHash: hashes.off, tokens: [] },
    {
      name: 'keyonly',
      enabled: true,
      capabilities: ['apiKey'],
      passwordHash: hashes.keyonly,
      tokens: [],
    },
    { name: 'nopass', enabled: true, capabilities: ['login'], tokens: [] },
  ];
}

interface WorldOptions {
  readonly login?: Partial<LoginOptions>;
  readonly sleep?: Sleep;
  readonly failures?: FailureStore;
}

function world(options: WorldOptions = {}) {
  const clock = new TestClock();
  const logger = new CollectingLogger();
  const accounts = new MemoryAccountStore(accountsFixture());
  const revocations = new MemoryRevocationStore({ clock });
  const random = new SeededRandom();
  const sessions = new SessionManager({
    secretKey: TEST_SECRET_KEY,
    accounts,
    projects: projectTokenLookupFrom(() => undefined),
    revocations,
    clock,
    random,
    logger,
  });
  const failures = options.failures ?? new MemoryFailureStore({ clock, random });
  const recording = new RecordingSleep();
  const bcryptRuns: string[] = [];
  const login = new LoginService(
    {
      sessions,
      accounts,
      failures,
      clock,
      random,
      logger,
      sleep: options.sleep ?? recording.sleep,
      verifyPassword: (password, hash) => {
        bcryptRuns.push(hash);
        return verifyPassword(password, hash);
      },
    },
    options.login,
  );
  return { clock, logger, accounts, sessions, login, recording, bcryptRuns };
}

/** Asserts the uniform login failure and returns the internal reason code (from `cause`). */
async function uniformFailure(attempt: Promise<unknown>): Promise<string> {
  let caught: unknown;
  await attempt.then(
    () => assert.fail('login should have failed'),
    (err: unknown) => {
      caught = err;
    },
  );
  assert.ok(caught instanceof AuthError, String(caught));
  assert.equal(caught.code, 'ERR_AUTH_INVALID_CREDENTIALS');
  assert.equal(caught.message, INVALID_LOGIN_MESSAGE);
  assert.ok(caught.cause instanceof AuthError);
  return caught.cause.code;
}

function invalidArgument(message: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof AuthError);
    assert.equal(err.code, 'ERR_AUTH_INVALID_ARGUMENT');
    assert.match(err.message, message);
    return true;
  };
}

describe('LoginService.login', () => {
  it('issues a session token for the right password and audits the success', async () => {
    const w = world();
    const result = await w.login.login('admin', PASSWORDS.admin, '10.0.0.1');
    assert.equal(result.username, 'admin');
    const v = await w.sessions.verifyToken(result.token);
    assert.equal(v.kind, 'login');
    const [ok] = w.logger.named('login.succeeded');
    assert.ok(ok);
    assert.equal(ok.security, 1);
    assert.equal(ok.fields?.clientAddress, '10.0.0.1');
  });

  it('fails every credential problem with the same error, and logs the real reason', async () => {
    const w = world();
    const reasons = {
      unknownUser: await uniformFailure(w.login.login('nobody', 'whatever-pass', 'a')),
      wrongPassword: await uniformFailure(w.login.login('admin', 'wrong-password', 'b')),
      disabledRightPassword: await uniformFailure(w.login.login('off', PASSWORDS.off, 'c')),
      noLoginCapability: await uniformFailure(w.login.login('keyonly', PASSWORDS.keyonly, 'd')),
      noPasswordSet: await uniformFailure(w.login.login('nopass', 'anything-at-all', 'e')),
      truncationAttack: await uniformFailure(
        w.login.login('admin', PASSWORDS.admin.padEnd(73, 'x'), 'f'),
      ),
    };
    assert.deepEqual(reasons, {
      unknownUser: 'ERR_AUTH_ACCOUNT_NOT_FOUND',
      wrongPassword: 'ERR_AUTH_INVALID_CREDENTIALS',
      disabledRightPassword: 'ERR_AUTH_ACCOUNT_DISABLED',
      noLoginCapability: 'ERR_AUTH_CAPABILITY',
      noPasswordSet: 'ERR_AUTH_INVALID_CREDENTIALS',
      truncationAttack: 'ERR_AUTH_INVALID_CREDENTIALS',
    });
    const failed = w.logger.named('login.failed');
    assert.equal(failed.length, 6);
    for (const e of failed) {
      assert.equal(e.security, 2);
      assert.ok(!JSON.stringify(e).includes('password1'), 'no password in the log');
    }
  });

  it('runs one bcrypt comparison even for unknown users and users without a password', async () => {
    const w = world();
    await uniformFailure(w.login.login('nobody', 'whatever-pass', 'a'));
    await uniformFailure(w.login.login('nopass', 'whatever-pass', 'a'));
    await uniformFailure(w.login.login('admin', 'wrong-password', 'a'));
    assert.equal(w.bcryptRuns.length, 3);
    for (const hash of w.bcryptRuns) {
      assert.ok(isBcryptHash(hash));
      assert.match(hash, /^\$2[ab]\$10\$/, 'the dummy hash costs what a real one costs');
    }
  });

  it('adds a random 500-1000 ms delay to every verification, whatever the outcome', async () => {
    const w = world({ login: { maxFailCount: 2 } });
    await w.login.login('admin', PASSWORDS.admin, 'a');
    await uniformFailure(w.login.login('nobody', 'x-password', 'a'));
    await uniformFailure(w.login.login('admin', 'wrong-pass', 'b'));
    await uniformFailure(w.login.login('admin', 'wrong-pass', 'b'));
    await uniformFailure(w.login.login('admin', PASSWORDS.admin, 'b')); // locked
    assert.equal(w.recording.requests.length, 5);
    for (const ms of w.recording.requests) assert.ok(ms >= 500 && ms <= 1000, String(ms));
    assert.ok(new Set(w.recording.requests).size > 1, 'the delay is random');
  });

  it('answers only when the delay is over, even after bcrypt is done', async () => {
    const gate = new GatedSleep();
    const w = world({ sleep: gate.sleep });
    let settled = false;
    const pending = w.login.login('admin', PASSWORDS.admin, 'a').finally(() => {
      settled = true;
    });
    // bcrypt starts while the delay is still running (bounded wait: fail, never hang)
    for (let i = 0; i < 500 && w.bcryptRuns.length === 0; i++) await settle();
    assert.equal(w.bcryptRuns.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 150)); // bcrypt (~50 ms) finishes meanwhile
    assert.equal(settled, false);
    gate.release();
    await pending;
  });

  it("refuses a blank password up front with Argo CD's message, uncounted and undelayed", async () => {
    const w = world({ login: { maxFailCount: 1 } });
    await assert.rejects(
      w.login.login('admin', '', 'a'),
      invalidArgument(/^Blank passwords are not allowed$/),
    );
    assert.equal(w.recording.requests.length, 0);
    await w.login.login('admin', PASSWORDS.admin, 'a'); // not locked by the blank attempt
  });

  it('refuses usernames over 32 bytes as an invalid argument', async () => {
    const w = world();
    await assert.rejects(
      w.login.login('a'.repeat(33), 'x-password', 'a'),
      invalidArgument(/32 bytes max/),
    );
    await assert.rejects(
      w.login.login('é'.repeat(17), 'x-password', 'a'),
      invalidArgument(/32 bytes max/),
    );
    // 32 bytes is a normal (here: unknown) username
    await uniformFailure(w.login.login('a'.repeat(32), 'x-password', 'a'));
  });
});

describe('LoginService brute-force protection', () => {
  it('locks a username after 5 failures within 300 s without checking the password, and audits it', async () => {
    const w = world();
    for (let i = 0; i < 5; i++) {
      assert.equal(
        await uniformFailure(w.login.login('admin', `wrong-${i}-pw`, '10.0.0.1')),
        'ERR_AUTH_INVALID_CREDENTIALS',
      );
      w.clock.advance(30_000);
    }
    const runs = w.bcryptRuns.length;
    assert.equal(
      await uniformFailure(w.login.login('admin', PASSWORDS.admin, '10.0.0.1')),
      'ERR_AUTH_LOCKED',
    );
    assert.equal(w.bcryptRuns.length, runs, 'a locked login never reaches bcrypt');
    const lockouts = w.logger.named('login.locked-out');
    assert.equal(lockouts.length, 1);
    const [lockout] = lockouts;
    assert.ok(lockout);
    assert.equal(lockout.security, 5);
    assert.equal(lockout.CWE, 307);
    assert.deepEqual(
      [lockout.fields?.username, lockout.fields?.clientAddress],
      ['admin', '10.0.0.1'],
    );
  });

  it('does not lock after 5 failures spread over more than 300 s', async () => {
    const w = world();
    for (let i = 0; i < 5; i++) {
      await uniformFailure(w.login.login('admin', `wrong-${i}-pw`, '10.0.0.1'));
      w.clock.advance(301_000);
    }
    await w.login.login('admin', PASSWORDS.admin, '10.0.0.1');
    assert.equal(w.logger.named('login.locked-out').length, 0);
  });

  it('lifts the lock 300 s after the last counted attempt', async () => {
    const w = world();
    for (let i = 0; i < 5; i++) await uniformFailure(w.login.login('admin', 'wrong-pw-1', 'x'));
    w.clock.advance(299_000);
    assert.equal(
      await uniformFailure(w.login.login('admin', PASSWORDS.admin, 'x')),
      'ERR_AUTH_LOCKED',
    );
    w.clock.advance(1_000);
    await w.login.login('admin', PASSWORDS.admin, 'x');
  });

  it('resets the counters on success', async () => {
    const w = world();
    for (let i = 0; i < 4; i++) await uniformFailure(w.login.login('admin', 'wrong-pw-1', 'x'));
    await w.login.login('admin', PASSWORDS.admin, 'x');
    for (let i = 0; i < 4; i++) await uniformFailure(w.login.login('admin', 'wrong-pw-1', 'x'));
    await w.login.login('admin', PASSWORDS.admin, 'x');
  });

  it('locks the (username, address) pair, not the owner logging in from elsewhere', async () => {
    const w = world();
    for (let i = 0; i < 5; i++)
      await uniformFailure(w.login.login('admin', 'wrong-pw-1', '203.0.113.9'));
    assert.equal(
      await uniformFailure(w.login.login('admin', PASSWORDS.admin, '203.0.113.9')),
      'ERR_AUTH_LOCKED',
    );
    await w.login.login('admin', PASSWORDS.admin, '10.0.0.1');
  });

  it('cannot be pushed to a username-wide lock from one address (locked attempts are not counted)', async () => {
    const w = world();
    for (let i = 0; i < 40; i++)
      await uniformFailure(w.login.login('admin', 'wrong-pw-1', '203.0.113.9'));
    await w.login.login('admin', PASSWORDS.admin, '10.0.0.1');
  });

  it('locks the username for every address after 20 failures from many addresses', async () => {
    const w = world();
    for (let a = 0; a < 4; a++)
      for (let i = 0; i < 5; i++)
        await uniformFailure(w.login.login('admin', 'wrong-pw-1', `198.51.100.${a}`));
    assert.equal(
      await uniformFailure(w.login.login('admin', PASSWORDS.admin, '10.0.0.1')),
      'ERR_AUTH_LOCKED',
    );
    const scopes = w.logger.named('login.locked-out').map((e) => e.fields?.scope);
    assert.deepEqual(scopes, ['pair', 'pair', 'pair', 'username']);
  });

  it('behaves like Argo CD (username only) when the username limit equals the pair limit', async () => {
    const w = world({ login: { maxFailCount: 5, maxUsernameFailCount: 5 } });
    for (let i = 0; i < 5; i++)
      await uniformFailure(w.login.login('admin', 'wrong-pw-1', `198.51.100.${i}`));
    assert.equal(
      await uniformFailure(w.login.login('admin', PASSWORDS.admin, '10.0.0.1')),
      'ERR_AUTH_LOCKED',
    );
  });

  it('counts a burst of concurrent guesses before checking any, so only 5 reach bcrypt', async () => {
    const w = world({ login: { maxConcurrentLogins: 50 } });
    const reasons = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        uniformFailure(w.login.login('admin', `guess-${i}-pw`, '203.0.113.9')),
      ),
    );
    assert.equal(reasons.filter((r) => r === 'ERR_AUTH_LOCKED').length, 7);
    assert.equal(w.bcryptRuns.length, 5);
  });

  it('queues a burst of correct logins for one user and address instead of failing them', async () => {
    const w = world();
    const results = await Promise.all(
      Array.from({ length: 12 }, () => w.login.login('admin', PASSWORDS.admin, '203.0.113.9')),
    );
    assert.equal(results.length, 12);
    assert.equal(w.bcryptRuns.length, 12);
    assert.equal(w.logger.named('login.failed').length, 0);
  });

  it('counts nothing when the pair limit is 0 (Argo CD: protection disabled)', async () => {
    const w = world({ login: { maxFailCount: 0 } });
    for (let i = 0; i < 8; i++) await uniformFailure(w.login.login('admin', 'wrong-pw-1', 'x'));
    await w.login.login('admin', PASSWORDS.admin, 'x');
  });

  it('refuses logins when the failure store fails, rather than guessing', async () => {
    const broken: FailureStore = {
      admit: () => Promise.reject(new Error('store down')),
      settle: () => Promise.reject(new Error('store down')),
    };
    const w = world({ failures: broken });
    assert.equal(
      await uniformFailure(w.login.login('admin', PASSWORDS.admin, 'x')),
      'ERR_AUTH_STORE',
    );
    assert.equal(w.logger.named('store.degraded').length, 1);
  });
});

describe('LoginService concurrency cap', () => {
  it('fails logins beyond the cap with the uniform error while others are in flight', async () => {
    const gate = new GatedSleep();
    const w = world({ sleep: gate.sleep, login: { maxConcurrentLogins: 2 } });
    const first = w.login.login('admin', PASSWORDS.admin, 'a');
    const second = w.login.login('ci', PASSWORDS.ci, 'b');
    assert.equal(w.login.inFlight, 2);
    assert.equal(
      await uniformFailure(w.login.login('admin', PASSWORDS.admin, 'c')),
      'ERR_AUTH_BUSY',
    );
    assert.equal(w.logger.named('login.busy').length, 1);
    gate.release();
    await Promise.all([first, second]);
    assert.equal(w.login.inFlight, 0);
    const third = w.login.login('admin', PASSWORDS.admin, 'c');
    for (let i = 0; i < 500 && gate.waiting === 0; i++) await settle();
    assert.equal(gate.waiting, 1);
    gate.release();
    await third;
  });
});

describe('LoginService.changePassword', () => {
  async function signedIn(w: ReturnType<typeof world>, user: 'admin' | 'ci') {
    const { token: raw } = await w.login.login(user, PASSWORDS[user], 'a');
    return { raw, token: await w.sessions.verifyToken(raw) };
  }
  const revoked = (err: unknown): boolean =>
    err instanceof AuthError && err.code === 'ERR_AUTH_TOKEN_REVOKED';

  it('changes the own password with the current one, revokes the old token and returns a new one', async () => {
    const w = world();
    const me = await signedIn(w, 'admin');
    const otherSession = (await w.sessions.issueSessionToken('admin')).token;
    w.clock.advance(2_000);
    const result = await w.login.changePassword({
      caller: { kind: 'local', token: me.token },
      currentPassword: PASSWORDS.admin,
      newPassword: 'brand-new-password',
      passwordPattern: '^.{8,32}$',
      mayUpdateAccount: false,
      clientAddress: 'a',
    });
    assert.ok(result.token);
    await w.sessions.verifyToken(result.token.token);
    await assert.rejects(w.sessions.verifyToken(me.raw), revoked);
    await assert.rejects(w.sessions.verifyToken(otherSession), /password has changed/);
    await uniformFailure(w.login.login('admin', PASSWORDS.admin, 'a'));
    await w.login.login('admin', 'brand-new-password', 'a');
    assert.equal(w.logger.named('password.changed').length, 1);
  });

  it("revokes the caller's own token even within the same second as the change", async () => {
    const w = world();
    const me = await signedIn(w, 'admin');
    await w.login.changePassword({
      caller: { kind: 'local', token: me.token },
      currentPassword: PASSWORDS.admin,
      newPassword: 'brand-new-password',
      passwordPattern: '^.{8,32}$',
      mayUpdateAccount: false,
      clientAddress: 'a',
    });
    // same second: the mtime check alone would let it through; the explicit revocation does not
    assert.equal(Math.floor(w.clock.now() / 1000), me.token.claims.iat);
    await assert.rejects(w.sessions.verifyToken(me.raw), revoked);
  });

  it('refuses a wrong current password, counting it like a failed login', async () => {
    const w = world();
    const me = await signedIn(w, 'admin');
    const request = {
      caller: { kind: 'local' as const, token: me.token },
      currentPassword: 'not-my-password',
      newPassword: 'brand-new-password',
      passwordPattern: '^.{8,32}$',
      mayUpdateAccount: false,
      clientAddress: 'a',
    };
    for (let i = 0; i < 5; i++)
      await assert.rejects(
        w.login.changePassword(request),
        (err: unknown) => err instanceof AuthError && err.code === 'ERR_AUTH_PASSWORD_MISMATCH',
      );
    assert.equal(
      await uniformFailure(w.login.login('admin', PASSWORDS.admin, 'a')),
      'ERR_AUTH_LOCKED',
    );
  });

  it('enforces passwordPattern and changes nothing when it fails', async () => {
    const w = world();
    const me = await signedIn(w, 'admin');
    await assert.rejects(
      w.login.changePassword({
        caller: { kind: 'local', token: me.token },
        currentPassword: PASSWORDS.admin,
        newPassword: 'short',
        passwordPattern: '^.{8,32}$',
        mayUpdateAccount: false,
        clientAddress: 'a',
      }),
      (err: unknown) => err instanceof AuthError && err.code === 'ERR_AUTH_PASSWORD_POLICY',
    );
    await w.login.login('admin', PASSWORDS.admin, 'a');
  });

  it("needs RBAC's consent to change another account, proving the caller's own password", async () => {
    const w = world();
    const me = await signedIn(w, 'admin');
    const ci = await signedIn(w, 'ci');
    const base = {
      caller: { kind: 'local' as const, token: me.token },
      username: 'ci',
      currentPassword: PASSWORDS.admin,
      newPassword: 'ci-new-password',
      passwordPattern: '^.{8,32}$',
      clientAddress: 'a',
    };
    await assert.rejects(
      w.login.changePassword({ ...base, mayUpdateAccount: false }),
      (err: unknown) => err instanceof AuthError && err.code === 'ERR_AUTH_FORBIDDEN',
    );
    w.clock.advance(2_000);
    const result = await w.login.changePassword({ ...base, mayUpdateAccount: true });
    assert.equal(result.token, undefined);
    await w.login.login('ci', 'ci-new-password', 'a');
    await assert.rejects(w.sessions.verifyToken(ci.raw), /password has changed/);
    await w.sessions.verifyToken(me.raw); // the caller's own session is untouched
  });

  it('refuses project tokens, stale SSO tokens and SSO users without RBAC consent', async () => {
    const w = world();
    const sso = (issuedAtMs: number, mayUpdateAccount: boolean) =>
      w.login.changePassword({
        caller: { kind: 'sso', username: 'jane@example.com', issuedAtMs },
        username: 'ci',
        currentPassword: '',
        newPassword: 'ci-new-password',
        passwordPattern: '^.{8,32}$',
        mayUpdateAccount,
        clientAddress: 'a',
      });
    const is = (code: string) => (err: unknown) => err instanceof AuthError && err.code === code;
    await assert.rejects(sso(w.clock.now() - 6 * 60_000, true), is('ERR_AUTH_TOKEN_TOO_OLD'));
    await assert.rejects(sso(w.clock.now(), false), is('ERR_AUTH_FORBIDDEN'));
    await sso(w.clock.now() - 60_000, true);
    await w.login.login('ci', 'ci-new-password', 'a');
    const project = {
      kind: 'project' as const,
      project: 'p',
      role: 'r',
      subject: 'proj:p:r',
      claims: { iss: 'argocd', sub: 'proj:p:r', iat: 0 },
    };
    await assert.rejects(
      w.login.changePassword({
        caller: { kind: 'local', token: project },
        currentPassword: 'x-password',
        newPassword: 'ci-new-password',
        passwordPattern: '^.{8,32}$',
        mayUpdateAccount: true,
        clientAddress: 'a',
      }),
      is('ERR_AUTH_INVALID_ARGUMENT'),
    );
  });
});
