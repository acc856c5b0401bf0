import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRedisServer, type RedisServer } from '../../test/support/redis.js';
import {
  AuthError,
  LoginService,
  MemoryAccountStore,
  MemoryFailureStore,
  RedisFailureStore,
  RedisRevocationStore,
  SessionManager,
  createAuthRedisClient,
  hashPassword,
  projectTokenLookupFrom,
  type AuthRedisClient,
  type FailureLimits,
} from './index.js';
import { CollectingLogger, TEST_SECRET_KEY } from './test-helpers.js';

const ADMIN_PASSWORD = 'admin-password';
const adminHash = await hashPassword(ADMIN_PASSWORD);
const limits: FailureLimits = { pairLimit: 5, usernameLimit: 20, windowMs: 300_000 };

let server: RedisServer;
const clients: AuthRedisClient[] = [];
const stores: RedisRevocationStore[] = [];

async function connect(target: RedisServer = server): Promise<AuthRedisClient> {
  const client = createAuthRedisClient({ url: target.url, password: target.password });
  await client.connect();
  clients.push(client);
  return client;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One API server replica: its own Redis connections, sharing the Redis of the others. */
async function replica(prefix: string) {
  const client = await connect();
  const accounts = new MemoryAccountStore([
    { name: 'admin', enabled: true, capabilities: ['login'], passwordHash: adminHash, tokens: [] },
  ]);
  const revocations = new RedisRevocationStore(client, {
    resyncIntervalMs: 3_600_000, // only pub/sub can deliver within the test
    keyPrefix: `${prefix}revoked-token|`,
    channel: `${prefix}new-revoked-token`,
  });
  await revocations.start();
  stores.push(revocations);
  const sessions = new SessionManager({
    secretKey: TEST_SECRET_KEY,
    accounts,
    projects: projectTokenLookupFrom(() => undefined),
    revocations,
  });
  const failures = new RedisFailureStore(client, { keyPrefix: `${prefix}failures|` });
  const login = new LoginService(
    { sessions, accounts, failures, sleep: () => Promise.resolve() },
    { delayMinMs: 0, delayMaxMs: 0 },
  );
  return { client, sessions, login, revocations, failures };
}

function isUniform(err: unknown): boolean {
  return err instanceof AuthError && err.code === 'ERR_AUTH_INVALID_CREDENTIALS';
}

function causeOf(err: unknown): string | undefined {
  return err instanceof AuthError && err.cause instanceof AuthError ? err.cause.code : undefined;
}

describe('auth with a real redis-server', () => {
  before(async () => {
    server = await startRedisServer();
  });

  after(async () => {
    for (const s of stores) await s.stop();
    for (const c of clients) c.destroy();
    await server.stop();
  });

  it('refuses to configure a client without a password (CVE-2024-31989)', () => {
    assert.throws(
      () => createAuthRedisClient({ url: server.url }),
      (err: unknown) => err instanceof AuthError && err.code === 'ERR_AUTH_INVALID_OPTION',
    );
  });

  it('is refused by the server without the right password, which never shows in the log', async () => {
    const logger = new CollectingLogger();
    for (const password of [undefined, 'not-the-password']) {
      const client = createAuthRedisClient({
        url: server.url,
        ...(password !== undefined ? { password } : { insecureAllowNoPassword: true }),
        logger,
      });
      const refused = new Promise<string>((resolve) => {
        client.once('error', (err: unknown) => {
          resolve(String(err));
        });
      });
      const connecting = client.connect().catch(() => undefined);
      try {
        assert.match(await refused, /NOAUTH|WRONGPASS/);
      } finally {
        client.destroy();
        await connecting;
      }
    }
    assert.equal(logger.named('store.degraded').length, 2);
    for (const e of logger.events) assert.ok(!e.message.includes('not-the-password'));
  });

  it('shares failure counters between two LoginService replicas', async () => {
    const a = await replica('share|');
    const b = await replica('share|');
    for (let i = 0; i < 3; i++)
      await assert.rejects(a.login.login('admin', 'wrong-pw-1', '10.0.0.1'), isUniform);
    for (let i = 0; i < 2; i++)
      await assert.rejects(b.login.login('admin', 'wrong-pw-1', '10.0.0.1'), isUniform);
    let caught: unknown;
    await a.login.login('admin', ADMIN_PASSWORD, '10.0.0.1').catch((err: unknown) => {
      caught = err;
    });
    assert.equal(causeOf(caught), 'ERR_AUTH_LOCKED', 'locked on A by failures on A and B');
    await b.login.login('admin', ADMIN_PASSWORD, '10.0.0.2'); // other address: fine, and resets
    for (let i = 0; i < 4; i++)
      await assert.rejects(a.login.login('admin', 'wrong-pw-1', '10.0.0.2'), isUniform);
    await b.login.login('admin', ADMIN_PASSWORD, '10.0.0.2');
  });

  it('admits exactly the limit from a concurrent burst across replicas (atomic scripts)', async () => {
    const a = await replica('burst|');
    const b = await replica('burst|');
    const subject = { username: 'admin', clientAddress: '203.0.113.7' };
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).failures.admit(subject, limits)),
    );
    const states = results.map((r) => r.state);
    assert.equal(states.filter((x) => x === 'admitted').length, 5);
    assert.equal(states.filter((x) => x === 'saturated').length, 25);
    // the five fail: the subject is locked on both replicas, and nothing is left in flight
    await Promise.all(Array.from({ length: 5 }, () => a.failures.settle(subject, false, limits)));
    assert.equal((await b.failures.admit(subject, limits)).state, 'locked');
    const [, , pendingPair, pendingUser] = a.failures.keys(subject);
    assert.equal(await a.client.exists([pendingPair, pendingUser]), 0);
  });

  it('expires failure counters a window after the last failure (TTL in Redis)', async () => {
    const a = await replica('ttl|');
    const subject = { username: 'admin', clientAddress: 'x' };
    const short = { ...limits, windowMs: 400 };
    for (let i = 0; i < 5; i++) {
      assert.equal((await a.failures.admit(subject, short)).state, 'admitted');
      await a.failures.settle(subject, false, short);
    }
    const [pairKey] = a.failures.keys(subject);
    const ttl = await a.client.pTTL(pairKey);
    assert.ok(ttl > 0 && ttl <= 400, `ttl ${ttl}`);
    assert.equal((await a.failures.admit(subject, short)).state, 'locked');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await a.failures.admit(subject, short)).state, 'admitted');
  });

  it('propagates a logout to another replica through pub/sub at once', async () => {
    const a = await replica('revoke|');
    const b = await replica('revoke|');
    const { token } = await a.login.login('admin', ADMIN_PASSWORD, 'x');
    const onA = await a.sessions.verifyToken(token);
    await b.sessions.verifyToken(token);
    await a.sessions.revokeToken(onA);
    const jti = onA.claims.jti ?? '';
    await until(() => b.revocations.isRevoked(jti), 'the revocation to reach replica B');
    await assert.rejects(
      b.sessions.verifyToken(token),
      (err: unknown) => err instanceof AuthError && err.code === 'ERR_AUTH_TOKEN_REVOKED',
    );
    const ttl = await a.client.pTTL(`revoke|revoked-token|${jti}`);
    assert.ok(ttl > 86_000_000 && ttl <= 86_400_000, `TTL is the token's remaining life: ${ttl}`);
  });

  it('loads earlier revocations when a replica starts', async () => {
    const a = await replica('late|');
    await a.revocations.revoke('early-jti', Date.now() + 60_000);
    const c = await replica('late|');
    assert.equal(c.revocations.isRevoked('early-jti'), true);
  });

  describe('when Redis goes away', () => {
    let flaky: RedisServer;
    before(async () => {
      flaky = await startRedisServer();
    });
    after(async () => {
      await flaky.stop();
    });

    it("falls back to this replica's counters, then keeps revocations and pushes them back", async () => {
      const logger = new CollectingLogger();
      const client = await connect(flaky);
      const failures = new RedisFailureStore(client, {
        fallback: new MemoryFailureStore(),
        logger,
      });
      const revocations = new RedisRevocationStore(client, { resyncIntervalMs: 3_600_000, logger });
      await revocations.start();
      try {
        await flaky.stop();
        await until(() => !client.isReady, 'the client to notice');

        const subject = { username: 'admin', clientAddress: 'y' };
        const states: string[] = [];
        for (let i = 0; i < 7; i++) {
          const { state } = await failures.admit(subject, limits);
          states.push(state);
          if (state === 'admitted') await failures.settle(subject, false, limits);
        }
        assert.deepEqual(states, [...Array<string>(5).fill('admitted'), 'locked', 'locked']);
        assert.equal(failures.degraded, true);
        assert.ok(logger.named('store.degraded').length >= 1);

        await revocations.revoke('while-down', Date.now() + 60_000);
        assert.equal(revocations.isRevoked('while-down'), true);
        assert.equal(revocations.pending, 1);

        flaky = await startRedisServer({ port: flaky.port, password: flaky.password });
        await until(() => client.isReady, 'the client to reconnect', 10_000);
        await revocations.resync();
        assert.equal(revocations.pending, 0);
        assert.notEqual(await client.get('revoked-token|while-down'), null);
      } finally {
        await revocations.stop();
      }
    });
  });
});
