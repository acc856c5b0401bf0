import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, envFromCmdParams, resolveOptions, serverOptionSpecs } from './index.js';

describe('argocd-server options', () => {
  const specs = serverOptionSpecs();

  it("has Argo CD's defaults", () => {
    const o = resolveOptions(specs, {}, {});
    assert.equal(o.port, 8080);
    assert.equal(o.metricsPort, 8083);
    assert.equal(o.insecure, false);
    assert.deepEqual(o.apiContentTypes, ['application/json']);
    assert.equal(o.xFrameOptions, 'sameorigin');
    assert.equal(o.contentSecurityPolicy, "frame-ancestors 'self';");
    assert.equal(o.basehref, '/');
    assert.equal(o.repoServer, 'argocd-repo-server:8081');
    assert.equal(o.tlsminversion, '1.2');
  });

  it('reads flags over environment variables, and argocd-cmd-params-cm keys through them', () => {
    const env = envFromCmdParams(specs, {
      'server.insecure': 'true',
      'server.api.content.types': 'application/json;application/grpc-web',
      'server.basehref': '/argo',
    });
    const o = resolveOptions(specs, { basehref: '/other' }, env);
    assert.equal(o.insecure, true);
    assert.deepEqual(o.apiContentTypes, ['application/json', 'application/grpc-web']);
    assert.equal(o.basehref, '/other');
    assert.deepEqual(resolveOptions(specs, { apiContentTypes: '' }, {}).apiContentTypes, []);
  });

  it('refuses bad values with the flag named', () => {
    assert.throws(
      () => resolveOptions(specs, { port: '80x' }, {}),
      (e: unknown) => e instanceof ConfigError && e.message.includes('--port'),
    );
    assert.throws(() => resolveOptions(specs, { basehref: '/a/../b' }, {}), ConfigError);
    assert.throws(
      () => resolveOptions(specs, {}, { ARGOCD_SERVER_INSECURE: 'maybe' }),
      (e: unknown) => e instanceof ConfigError && e.message.includes('ARGOCD_SERVER_INSECURE'),
    );
  });

  it('reads the Redis password from REDIS_PASSWORD and never shows it in help or errors', () => {
    const o = resolveOptions(specs, {}, { REDIS_PASSWORD: 'hunter2' });
    assert.equal(o.redisPassword, 'hunter2');
    assert.equal(specs.redisPassword.secret, true);
  });
});
