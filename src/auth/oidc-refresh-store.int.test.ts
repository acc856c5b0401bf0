import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRedisServer, type RedisServer } from '../../test/support/redis.js';
import {
  AuthError,
  RedisRefreshTokenStore,
  createAuthRedisClient,
  type AuthRedisClient,
} from './index.js';

describe('RedisRefreshTokenStore', () => {
  let server: RedisServer;
  let redis: AuthRedisClient;

  before(async () => {
    server = await startRedisServer();
    redis = createAuthRedisClient({ url: server.url, password: server.password });
    await redis.connect();
  });
  after(async () => {
    await redis.close();
    await server.stop();
  });

  it('shares sessions between replicas with an expiry, under its own prefix', async () => {
    const a = new RedisRefreshTokenStore(redis);
    const b = new RedisRefreshTokenStore(redis);
    await a.set('session-1', 'sealed-value', Date.now() + 60_000);
    assert.equal(await b.get('session-1'), 'sealed-value');
    const ttl = await redis.pTTL('argocd-ts|oidc-refresh|session-1');
    assert.ok(ttl > 50_000 && ttl <= 60_000, `ttl ${ttl}`);
    await b.delete('session-1');
    assert.equal(await a.get('session-1'), undefined);
  });

  it('fails with ERR_AUTH_STORE when Redis is gone', async () => {
    const other = await startRedisServer();
    const c = createAuthRedisClient({ url: other.url, password: other.password });
    c.on('error', () => undefined);
    await c.connect();
    await other.stop();
    try {
      await assert.rejects(
        new RedisRefreshTokenStore(c).get('x'),
        (err: unknown) => err instanceof AuthError && err.code === 'ERR_AUTH_STORE',
      );
    } finally {
      c.destroy();
    }
  });
});
