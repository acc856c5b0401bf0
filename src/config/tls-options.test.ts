import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bindOptions,
  ConfigError,
  clientCaOptionSpecs,
  dexServerClientOptionSpecs,
  envFromCmdParams,
  internalTlsOptionSpecs,
  newProgram,
  repoServerClientOptionSpecs,
  resolveOptions,
  tlsServerOptionSpecs,
  TlsPaths,
} from './index.js';

describe('tlsServerOptionSpecs', () => {
  it('defaults to TLS 1.2-1.3 and Argo CD’s suite plus its ECDSA twin', () => {
    const o = resolveOptions(tlsServerOptionSpecs('ARGOCD_REPO_SERVER'), {}, {});
    assert.deepEqual(
      { ...o },
      {
        tlsminversion: '1.2',
        tlsmaxversion: '1.3',
        tlsciphers: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      },
    );
  });

  it('reads Argo CD’s environment variables, and a flag beats the environment', () => {
    const specs = tlsServerOptionSpecs('ARGOCD_SERVER');
    const env = { ARGOCD_TLS_MIN_VERSION: '1.3', ARGOCD_TLS_CIPHERS: 'TLS_AES_128_GCM_SHA256' };
    const o = resolveOptions(specs, { tlsminversion: '1.1' }, env);
    assert.equal(o.tlsminversion, '1.1');
    assert.equal(o.tlsciphers, 'TLS_AES_128_GCM_SHA256');
  });

  it('maps argocd-cmd-params-cm keys per component onto the same variables', () => {
    assert.deepEqual(
      envFromCmdParams(tlsServerOptionSpecs('ARGOCD_SERVER'), {
        'server.tls.minversion': '1.3',
        'server.tls.ciphers': 'list',
        'reposerver.tls.minversion': '1.0',
      }),
      { ARGOCD_TLS_MIN_VERSION: '1.3', ARGOCD_TLS_CIPHERS: 'list' },
    );
    assert.deepEqual(
      envFromCmdParams(tlsServerOptionSpecs('ARGOCD_REPO_SERVER'), {
        'reposerver.tls.maxversion': '1.2',
      }),
      { ARGOCD_TLS_MAX_VERSION: '1.2' },
    );
  });

  it('refuses a malformed version naming the flag or the variable', () => {
    const specs = tlsServerOptionSpecs('ARGOCD_SERVER');
    assert.throws(
      () => resolveOptions(specs, { tlsmaxversion: '1.4' }, {}),
      (err: unknown) => err instanceof ConfigError && /--tlsmaxversion/.test(err.message),
    );
    assert.throws(
      () => resolveOptions(specs, {}, { ARGOCD_TLS_MIN_VERSION: 'TLSv1.2' }),
      (err: unknown) => err instanceof ConfigError && /ARGOCD_TLS_MIN_VERSION/.test(err.message),
    );
  });

  it('rejects an unknown prefix (a caller bug)', () => {
    assert.throws(() => tlsServerOptionSpecs('ARGOCD_NOPE'), TypeError);
    assert.equal(tlsServerOptionSpecs('X', 'custom').tlsciphers.cmdParamsKey, 'custom.tls.ciphers');
  });
});

describe('repoServerClientOptionSpecs', () => {
  const cases = [
    { name: 'argocd-server', prefix: 'ARGOCD_SERVER', key: 'server' },
    {
      name: 'the application controller',
      prefix: 'ARGOCD_APPLICATION_CONTROLLER',
      key: 'controller',
    },
  ];
  for (const c of cases)
    it(`spells the variables and keys of ${c.name} as Argo CD does`, () => {
      const specs = repoServerClientOptionSpecs(c.prefix);
      assert.deepEqual(
        Object.values(specs).map((s) => [s.flag, s.env, s.cmdParamsKey]),
        [
          ['repo-server', `${c.prefix}_REPO_SERVER`, 'repo.server'],
          [
            'repo-server-plaintext',
            `${c.prefix}_REPO_SERVER_PLAINTEXT`,
            `${c.key}.repo.server.plaintext`,
          ],
          [
            'repo-server-strict-tls',
            `${c.prefix}_REPO_SERVER_STRICT_TLS`,
            `${c.key}.repo.server.strict.tls`,
          ],
          [
            'repo-server-ca-cert-path',
            `${c.prefix}_REPO_SERVER_CA_CERT_PATH`,
            `${c.key}.repo.server.ca.cert.path`,
          ],
          [
            'repo-server-client-cert-path',
            `${c.prefix}_REPO_SERVER_CLIENT_CERT_PATH`,
            `${c.key}.repo.server.client.cert.path`,
          ],
          [
            'repo-server-client-cert-key-path',
            `${c.prefix}_REPO_SERVER_CLIENT_CERT_KEY_PATH`,
            `${c.key}.repo.server.client.cert.key.path`,
          ],
        ],
      );
    });

  it('resolves defaults: Argo CD’s address, TLS without flags, no explicit paths', () => {
    const o = resolveOptions(repoServerClientOptionSpecs('ARGOCD_SERVER'), {}, {});
    assert.deepEqual(
      { ...o },
      {
        repoServer: 'argocd-repo-server:8081',
        repoServerPlaintext: false,
        repoServerStrictTls: false,
        repoServerCaCertPath: undefined,
        repoServerClientCertPath: undefined,
        repoServerClientCertKeyPath: undefined,
      },
    );
  });

  it('takes bare boolean flags and boolean variables', () => {
    const o = resolveOptions(
      repoServerClientOptionSpecs('ARGOCD_APPLICATION_CONTROLLER'),
      { repoServerPlaintext: true },
      { ARGOCD_APPLICATION_CONTROLLER_REPO_SERVER_STRICT_TLS: 'true' },
    );
    assert.equal(o.repoServerPlaintext, true);
    assert.equal(o.repoServerStrictTls, true);
  });
});

describe('dexServerClientOptionSpecs', () => {
  it('spells argocd-server’s Dex flags and variables', () => {
    const specs = dexServerClientOptionSpecs();
    assert.equal(specs.dexServer.env, 'ARGOCD_SERVER_DEX_SERVER');
    assert.equal(specs.dexServer.cmdParamsKey, 'server.dex.server');
    assert.equal(specs.dexServer.default, 'argocd-dex-server:5556');
    assert.equal(specs.dexServerPlaintext.cmdParamsKey, 'server.dex.server.plaintext');
    assert.equal(specs.dexServerStrictTls.env, 'ARGOCD_SERVER_DEX_SERVER_STRICT_TLS');
  });
});

describe('clientCaOptionSpecs and internalTlsOptionSpecs', () => {
  it('give the repo server Argo CD’s --client-ca-path and variable', () => {
    const specs = clientCaOptionSpecs('ARGOCD_REPO_SERVER', TlsPaths.repoServerClientCaPath);
    assert.equal(specs.clientCaPath.env, 'ARGOCD_REPO_SERVER_CLIENT_CA_PATH');
    assert.equal(specs.clientCaPath.cmdParamsKey, 'reposerver.client.ca.path');
    assert.equal(specs.clientCaPath.default, '/app/config/reposerver/mtls/client-ca.crt');
  });

  it('default the internal PKI directory and let the environment move it', () => {
    const o = resolveOptions(internalTlsOptionSpecs(), {}, { ARGOCD_INTERNAL_TLS_DIR: '/tmp/pki' });
    assert.equal(o.internalTlsDir, '/tmp/pki');
    assert.equal(
      resolveOptions(internalTlsOptionSpecs(), {}, {}).internalTlsDir,
      TlsPaths.internalTlsDir,
    );
  });

  it('bind together on one program without clashing flags, and parse from argv', () => {
    const specs = {
      ...tlsServerOptionSpecs('ARGOCD_SERVER'),
      ...repoServerClientOptionSpecs('ARGOCD_SERVER'),
      ...dexServerClientOptionSpecs('ARGOCD_SERVER'),
      ...internalTlsOptionSpecs(),
    };
    const program = bindOptions(newProgram('argocd-server', 'test', '0.0.0'), specs);
    program.exitOverride();
    program.parse(
      ['--tlsciphers', 'list', '--repo-server-strict-tls', '--dex-server-ca-cert-path', '/ca.pem'],
      { from: 'user' },
    );
    const o = resolveOptions(specs, program.opts(), {});
    assert.equal(o.tlsciphers, 'list');
    assert.equal(o.repoServerStrictTls, true);
    assert.equal(o.dexServerCaCertPath, '/ca.pem');
  });
});
