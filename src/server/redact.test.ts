import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  maskSecretObject,
  redactText,
  removeCredentialFields,
  sanitizeClusterForApi,
  sanitizeRepoCredsForApi,
  sanitizeRepositoryForApi,
  SECRET_MASK,
  stripLastApplied,
} from './index.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

describe('redaction', () => {
  it('keeps only the public fields of a repository (an allow-list: unknown fields are dropped too)', () => {
    const repo = {
      repo: 'https://git.example/x.git',
      username: 'bob',
      password: 'p4ss',
      bearerToken: 'tok',
      sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----',
      tlsClientCertData: 'cert',
      tlsClientCertKey: 'key',
      githubAppPrivateKey: 'gh',
      gcpServiceAccountKey: 'gcp',
      azureServicePrincipalClientSecret: 'az',
      someFutureSecret: 'future',
      insecure: true,
      project: 'p',
    };
    assert.deepEqual(sanitizeRepositoryForApi(repo), {
      repo: 'https://git.example/x.git',
      username: 'bob',
      insecure: true,
      project: 'p',
    });
    assert.deepEqual(
      sanitizeRepoCredsForApi({
        url: 'https://git.example',
        password: 'x',
        sshPrivateKey: 'k',
        username: 'u',
      }),
      { url: 'https://git.example', username: 'u' },
    );
  });

  it('keeps a cluster without credentials, exec config or last-applied', () => {
    const cluster = {
      server: 'https://k8s.example',
      name: 'prod',
      annotations: { [LAST_APPLIED]: '{"data":{"config":"secret"}}', team: 'a' },
      config: {
        username: 'u',
        password: 'p',
        bearerToken: 't',
        execProviderConfig: { command: 'aws', env: { AWS_SECRET_ACCESS_KEY: 'x' } },
        awsAuthConfig: { clusterName: 'c', roleARN: 'arn', profile: 'p' },
        proxyUrl: 'http://user:pw@proxy:3128',
        tlsClientConfig: {
          insecure: false,
          serverName: 'k8s',
          caData: 'ca',
          certData: 'cert',
          keyData: 'key',
        },
      },
    };
    const out = sanitizeClusterForApi(cluster);
    assert.deepEqual(out, {
      server: 'https://k8s.example',
      name: 'prod',
      annotations: { team: 'a' },
      config: {
        tlsClientConfig: { insecure: false, serverName: 'k8s' },
        awsAuthConfig: { clusterName: 'c', roleARN: 'arn', profile: 'p' },
        proxyUrl: 'http://******@proxy:3128',
      },
    });
  });

  it('removes credential fields at any depth', () => {
    const out = removeCredentialFields({
      a: [{ password: 'x', ok: 1 }],
      b: { config: { bearerToken: 't', keyData: 'k' } },
      clientSecret: 's',
    });
    assert.deepEqual(out, { a: [{ ok: 1 }], b: { config: {} } });
  });

  it('masks every Secret value and drops last-applied', () => {
    const s = maskSecretObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'x', annotations: { [LAST_APPLIED]: '{}' } },
      data: { a: 'YQ==' },
      stringData: { b: 'c' },
    });
    assert.deepEqual(s.data, { a: SECRET_MASK });
    assert.deepEqual(s.stringData, { b: SECRET_MASK });
    assert.deepEqual(s.metadata.annotations, {});
    assert.deepEqual(stripLastApplied({ annotations: { a: 'b' } }), { annotations: { a: 'b' } });
  });

  it('redacts URL userinfo, query strings, bearer values, JWTs, private keys and named secrets from text', () => {
    const text = redactText(
      'git https://bob:hunter2@host/x?access_token=abc Authorization: Bearer abcdefghijk eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- s3cr3t-value',
      ['s3cr3t-value'],
    );
    for (const leaked of [
      'hunter2',
      'access_token=abc',
      'abcdefghijk',
      'eyJzdWIiOiJ4In0',
      'MIIE',
      's3cr3t-value',
    ])
      assert.ok(!text.includes(leaked), leaked);
  });
});
