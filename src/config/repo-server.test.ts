import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  envFromCmdParams,
  parseCipherSuites,
  repoServerOptionSpecs,
  resolveOptions,
} from './index.js';

describe('repoServerOptionSpecs', () => {
  it('has Argo CD defaults', () => {
    const o = resolveOptions(repoServerOptionSpecs, {}, {});
    assert.equal(o.address, '0.0.0.0');
    assert.equal(o.port, 8081);
    assert.equal(o.disableTls, false);
    assert.equal(o.parallelismLimit, 0);
    assert.equal(o.maxCombinedDirectoryManifestsSize, 10_000_000);
    assert.equal(o.allowOobSymlinks, false);
    assert.equal(o.revisionCacheExpiration, 180_000);
    assert.equal(o.repoCacheExpiration, 86_400_000);
    assert.equal(o.execTimeout, 90_000);
    assert.equal(o.tlsMinVersion, '1.2');
    assert.equal(o.tlsMaxVersion, '1.3');
    assert.equal(o.dangerouslyAllowFileRepos, false);
  });

  it('maps argocd-cmd-params-cm keys to environment variables and applies them', () => {
    const env = envFromCmdParams(repoServerOptionSpecs, {
      'reposerver.max.combined.directory.manifests.size': '3M',
      'reposerver.allow.oob.symlinks': 'true',
      'reposerver.parallelism.limit': '4',
      'reposerver.disable.tls': 'true',
      'reposerver.repo.cache.expiration': '1h',
    });
    assert.equal(env.ARGOCD_REPO_SERVER_MAX_COMBINED_DIRECTORY_MANIFESTS_SIZE, '3M');
    const o = resolveOptions(repoServerOptionSpecs, {}, env);
    assert.equal(o.maxCombinedDirectoryManifestsSize, 3_000_000);
    assert.equal(o.allowOobSymlinks, true);
    assert.equal(o.parallelismLimit, 4);
    assert.equal(o.disableTls, true);
    assert.equal(o.repoCacheExpiration, 3_600_000);
  });

  it('lets a flag win over its environment variable', () => {
    const o = resolveOptions(
      repoServerOptionSpecs,
      { port: '9000' },
      { ARGOCD_REPO_SERVER_PORT: '9100' },
    );
    assert.equal(o.port, 9000);
  });
});

describe('parseCipherSuites', () => {
  it("maps Argo CD's Go cipher names to OpenSSL names", () => {
    assert.equal(
      parseCipherSuites('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_RSA_WITH_AES_256_GCM_SHA384'),
      'ECDHE-RSA-AES256-GCM-SHA384:AES256-GCM-SHA384',
    );
  });
  it('refuses an unknown name', () => {
    assert.throws(() => parseCipherSuites('TLS_RSA_WITH_RC4_128_SHA'), /unknown cipher suite/);
  });
});
