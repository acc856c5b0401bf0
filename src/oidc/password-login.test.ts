import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcrypt';
import type { StaticPassword } from './index.js';
import {
  LoginLimiter,
  MAX_PASSWORD_BYTES,
  checkCsrfToken,
  csrfToken,
  verifyPassword,
} from './password-login.js';

describe('verifyPassword', () => {
  let users: StaticPassword[];
  before(async () => {
    users = [
      {
        email: 'Alice@Example.com',
        hash: await bcrypt.hash('correct horse', 4),
        username: 'alice',
        userID: 'a1',
        groups: ['admins'],
      },
    ];
  });

  const cases = [
    { name: 'the right password', login: 'alice@example.com', password: 'correct horse', ok: true },
    {
      name: 'the email in another case and with spaces',
      login: ' ALICE@example.COM ',
      password: 'correct horse',
      ok: true,
    },
    { name: 'a wrong password', login: 'alice@example.com', password: 'wrong', ok: false },
    { name: 'an unknown user', login: 'bob@example.com', password: 'correct horse', ok: false },
    { name: 'an empty password', login: 'alice@example.com', password: '', ok: false },
    {
      name: 'a password longer than bcrypt reads, even if its first 72 bytes match',
      login: 'alice@example.com',
      password: 'correct horse'.padEnd(MAX_PASSWORD_BYTES + 1, '!'),
      ok: false,
    },
  ];
  for (const c of cases) {
    it(`${c.ok ? 'accepts' : 'refuses'} ${c.name}`, async () => {
      const out = await verifyPassword(users, new LoginLimiter(), c.login, c.password);
      assert.equal(out.ok, c.ok);
      if (out.ok) assert.equal(out.user.userID, 'a1');
      else assert.equal(out.reason, 'invalid');
    });
  }

  it('locks a name after too many failures, even for the right password, until the window passes', async () => {
    let now = 1_000_000;
    const limiter = new LoginLimiter({ maxFailures: 3, failureWindowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i++)
      assert.equal((await verifyPassword(users, limiter, 'alice@example.com', 'x')).ok, false);
    const locked = await verifyPassword(users, limiter, 'alice@example.com', 'correct horse');
    assert.deepEqual(locked, { ok: false, reason: 'locked' });
    now += 60_001;
    assert.equal(
      (await verifyPassword(users, limiter, 'alice@example.com', 'correct horse')).ok,
      true,
    );
    assert.equal(limiter.size, 0, 'a success clears the counter');
  });

  it('counts failures of unknown names too, so probing costs attempts', async () => {
    const limiter = new LoginLimiter({ maxFailures: 1 });
    await verifyPassword(users, limiter, 'nobody@example.com', 'x');
    assert.equal(limiter.isLocked('nobody@example.com'), true);
  });
});

describe('LoginLimiter', () => {
  it('stays bounded and evicts a random name when full', () => {
    const picks: number[] = [];
    const limiter = new LoginLimiter({
      maxTracked: 3,
      randomIndex: (max) => {
        picks.push(max);
        return 0;
      },
    });
    for (const name of ['a', 'b', 'c', 'd']) limiter.recordFailure(name);
    assert.equal(limiter.size, 3);
    assert.deepEqual(picks, [3]);
  });
});

describe('csrfToken', () => {
  const key = Buffer.alloc(32, 7);
  it('accepts the token of the same interaction only', () => {
    const token = csrfToken(key, 'uid-1');
    assert.equal(checkCsrfToken(key, 'uid-1', token), true);
    assert.equal(checkCsrfToken(key, 'uid-2', token), false);
    assert.equal(checkCsrfToken(Buffer.alloc(32, 8), 'uid-1', token), false);
    assert.equal(checkCsrfToken(key, 'uid-1', undefined), false);
    assert.equal(checkCsrfToken(key, 'uid-1', `${token}x`), false);
  });
});
