import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { clusterFromSecret, encodeSecretData, type Cluster } from '../apis/index.js';
import { KubeConfigError, connectionFromCluster } from './index.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function secret(data: Record<string, string>): Cluster {
  return clusterFromSecret({ metadata: { name: 'prod' }, data: encodeSecretData(data) });
}

describe('connectionFromCluster', () => {
  it('reads a bearer token and a CA from a cluster Secret', () => {
    const c = connectionFromCluster(
      secret({
        server: 'https://10.0.0.1:6443/',
        config: JSON.stringify({
          bearerToken: TOKEN,
          tlsClientConfig: { caData: b64(PEM), serverName: 'kube' },
        }),
      }),
    );
    assert.equal(c.server, 'https://10.0.0.1:6443');
    assert.equal(c.token, TOKEN);
    assert.equal(c.caPem, PEM);
    assert.equal(c.tlsServerName, 'kube');
    assert.equal(c.insecureSkipTlsVerify, undefined);
    assert.equal(c.source, 'cluster secret prod');
  });

  it('reads basic auth, client certificates and insecure', () => {
    const c = connectionFromCluster(
      secret({
        server: 'https://k.example:443',
        config: JSON.stringify({
          username: 'admin',
          password: 'pw',
          tlsClientConfig: { certData: b64(PEM), keyData: b64(KEY), insecure: true },
        }),
      }),
    );
    assert.equal(c.username, 'admin');
    assert.equal(c.password, 'pw');
    assert.equal(c.certPem, PEM);
    assert.equal(c.keyPem, KEY);
    assert.equal(c.insecureSkipTlsVerify, true);
  });

  it('uses the pod service account for the in-cluster server without credentials', () => {
    const inCluster = {
      server: 'https://10.96.0.1:443',
      token: 'sa',
      source: 'in-cluster service account',
    };
    const c = connectionFromCluster(secret({ server: 'https://kubernetes.default.svc' }), {
      inCluster: () => inCluster,
    });
    assert.equal(c, inCluster);
    assert.throws(
      () =>
        connectionFromCluster(secret({ server: 'https://kubernetes.default.svc' }), {
          inCluster: () => undefined,
        }),
      /in-cluster service account is not available/,
    );
  });

  const refused = [
    {
      name: 'plain http',
      data: { server: 'http://k.example', config: '{}' },
      want: /must be an https:\/\/ URL/,
    },
    {
      name: 'credentials in the URL',
      data: { server: `https://admin:${TOKEN}@k.example`, config: '{}' },
      want: /credentials in its URL/,
    },
    {
      name: 'exec plugins',
      data: {
        server: 'https://k.example',
        config: JSON.stringify({ execProviderConfig: { command: 'aws', args: [TOKEN] } }),
      },
      want: /execProviderConfig is not supported/,
    },
    {
      name: 'AWS auth',
      data: {
        server: 'https://k.example',
        config: JSON.stringify({ awsAuthConfig: { clusterName: 'x' } }),
      },
      want: /awsAuthConfig/,
    },
    {
      name: 'a proxy',
      data: {
        server: 'https://k.example',
        config: JSON.stringify({ proxyUrl: 'http://proxy:3128' }),
      },
      want: /proxyUrl/,
    },
    {
      name: 'a CA that is not base64 PEM',
      data: {
        server: 'https://k.example',
        config: JSON.stringify({ bearerToken: TOKEN, tlsClientConfig: { caData: 'not-pem' } }),
      },
      want: /caData is not base64-encoded PEM/,
    },
    {
      name: 'a certificate without its key',
      data: {
        server: 'https://k.example',
        config: JSON.stringify({ tlsClientConfig: { certData: b64(PEM) } }),
      },
      want: /needs both certData and keyData/,
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name} with a clear message that holds no secret`, () => {
      assert.throws(
        () => connectionFromCluster(secret(c.data)),
        (err: unknown) => {
          assert.ok(err instanceof KubeConfigError);
          assert.match(err.message, c.want);
          assert.match(err.message, /secret prod/);
          assert.ok(!err.message.includes(TOKEN), err.message);
          assert.ok(!inspect(err).includes(TOKEN));
          return true;
        },
      );
    });
  }
});
