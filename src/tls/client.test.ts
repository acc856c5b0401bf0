import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DefaultTlsPaths,
  internalTlsDirFromOption,
  isTlsError,
  planClientTls,
  repoServerClientTlsOptions,
  serverNameFromAddress,
  type ClientTlsOptions,
  type ClientTlsPlan,
} from './index.js';

const INTERNAL = DefaultTlsPaths.internalTlsDir;
const onDisk = (...paths: string[]) => {
  const set = new Set(paths);
  return (p: string): boolean => set.has(p);
};

describe('planClientTls', () => {
  const cases: {
    name: string;
    options: ClientTlsOptions;
    files: string[];
    want: Partial<ClientTlsPlan>;
  }[] = [
    {
      name: 'Argo CD’s default: TLS without verification',
      options: { link: 'repo-server' },
      files: [],
      want: { mode: 'insecure', caPaths: [] },
    },
    {
      name: 'plaintext',
      options: { link: 'repo-server', plaintext: true },
      files: [`${INTERNAL}/ca.crt`],
      want: { mode: 'plaintext', caPaths: [] },
    },
    {
      name: 'strict: the mounted argocd-repo-server-tls of argocd-server',
      options: { link: 'repo-server', strictTls: true },
      files: ['/app/config/server/tls/tls.crt'],
      want: {
        mode: 'strict',
        caPaths: ['/app/config/server/tls/ca.crt', '/app/config/server/tls/tls.crt'],
      },
    },
    {
      name: 'strict for the controller’s mount',
      options: { link: 'repo-server', strictTls: true, strictTlsDir: '/app/config/controller/tls' },
      files: ['/app/config/controller/tls/ca.crt'],
      want: { mode: 'strict' },
    },
    {
      name: 'strict for Dex: argocd-server’s mount of argocd-dex-server-tls',
      options: { link: 'dex-server', strictTls: true },
      files: ['/app/config/dex/tls/ca.crt'],
      want: {
        mode: 'strict',
        caPaths: ['/app/config/dex/tls/ca.crt', '/app/config/dex/tls/tls.crt'],
      },
    },
    {
      name: 'an explicit CA, which wins over strict and the internal CA',
      options: { link: 'repo-server', caCertPath: '/etc/ca.pem', strictTls: true },
      files: ['/etc/ca.pem', `${INTERNAL}/ca.crt`],
      want: { mode: 'ca-cert', caPaths: ['/etc/ca.pem'] },
    },
    {
      name: 'the internal CA when installed and no flag is given',
      options: { link: 'repo-server' },
      files: [`${INTERNAL}/ca.crt`, `${INTERNAL}/tls.crt`, `${INTERNAL}/tls.key`],
      want: {
        mode: 'internal-ca',
        caPaths: [`${INTERNAL}/ca.crt`],
        clientCert: {
          origin: 'internal',
          certPath: `${INTERNAL}/tls.crt`,
          keyPath: `${INTERNAL}/tls.key`,
        },
      },
    },
    {
      name: 'the internal CA disabled',
      options: { link: 'repo-server', internalTlsDir: null },
      files: [`${INTERNAL}/ca.crt`],
      want: { mode: 'insecure' },
    },
    {
      name: 'Argo CD’s default client certificate files when present',
      options: { link: 'repo-server' },
      files: [
        '/app/config/reposerver/mtls/client.crt',
        '/app/config/reposerver/mtls/client.key',
        `${INTERNAL}/tls.crt`,
        `${INTERNAL}/tls.key`,
      ],
      want: {
        mode: 'insecure',
        clientCert: {
          origin: 'default-path',
          certPath: '/app/config/reposerver/mtls/client.crt',
          keyPath: '/app/config/reposerver/mtls/client.key',
        },
      },
    },
    {
      name: 'explicit client certificate flags over every default',
      options: { link: 'repo-server', clientCertPath: '/c.crt', clientCertKeyPath: '/c.key' },
      files: [
        '/c.crt',
        '/c.key',
        '/app/config/reposerver/mtls/client.crt',
        '/app/config/reposerver/mtls/client.key',
      ],
      want: { clientCert: { origin: 'flag', certPath: '/c.crt', keyPath: '/c.key' } },
    },
    {
      name: 'no Argo CD default client certificate for Dex',
      options: { link: 'dex-server' },
      files: ['/app/config/reposerver/mtls/client.crt', '/app/config/reposerver/mtls/client.key'],
      want: { mode: 'insecure' },
    },
    {
      name: 'a host name as SNI and verified name',
      options: { link: 'repo-server', serverName: 'argocd-repo-server' },
      files: [],
      want: { servername: 'argocd-repo-server' },
    },
  ];
  for (const c of cases)
    it(`plans ${c.name}`, () => {
      const plan = planClientTls(c.options, onDisk(...c.files));
      for (const [k, v] of Object.entries(c.want))
        assert.deepEqual(plan[k as keyof ClientTlsPlan], v, k);
      if (!('clientCert' in c.want)) assert.equal(plan.clientCert, undefined);
    });

  it('sends no SNI for an IP address (it is verified as an IP SAN)', () => {
    assert.equal(
      planClientTls({ link: 'repo-server', serverName: '127.0.0.1' }, onDisk()).servername,
      undefined,
    );
  });

  const errors: { name: string; options: ClientTlsOptions; files: string[]; text: RegExp }[] = [
    {
      name: 'plaintext with strict TLS',
      options: { link: 'repo-server', plaintext: true, strictTls: true },
      files: [],
      text: /--repo-server-plaintext disables TLS, so --repo-server-strict-tls cannot be used/,
    },
    {
      name: 'plaintext with a CA path',
      options: { link: 'dex-server', plaintext: true, caCertPath: '/x' },
      files: ['/x'],
      text: /--dex-server-plaintext .*--dex-server-ca-cert-path/,
    },
    {
      name: 'a client certificate without its key',
      options: { link: 'repo-server', clientCertPath: '/c.crt' },
      files: ['/c.crt'],
      text: /--repo-server-client-cert-path is set but --repo-server-client-cert-key-path is not/,
    },
    {
      name: 'a key without its certificate',
      options: { link: 'repo-server', clientCertKeyPath: '/c.key' },
      files: ['/c.key'],
      text: /--repo-server-client-cert-key-path is set but --repo-server-client-cert-path is not/,
    },
    {
      name: 'a CA path that does not exist',
      options: { link: 'repo-server', caCertPath: '/nope.pem' },
      files: [],
      text: /--repo-server-ca-cert-path \/nope\.pem does not exist/,
    },
    {
      name: 'strict TLS without the mounted secret',
      options: { link: 'repo-server', strictTls: true },
      files: [],
      text: /--repo-server-strict-tls is set but neither .*ca\.crt nor .*tls\.crt exists/,
    },
    {
      name: 'a client certificate file that does not exist',
      options: { link: 'repo-server', clientCertPath: '/c.crt', clientCertKeyPath: '/c.key' },
      files: ['/c.key'],
      text: /--repo-server-client-cert-path \/c\.crt does not exist/,
    },
  ];
  for (const c of errors)
    it(`refuses ${c.name} with a message naming the flags`, () => {
      assert.throws(
        () => planClientTls(c.options, onDisk(...c.files)),
        (err: unknown) => isTlsError(err) && c.text.test(err.message),
      );
    });
});

describe('serverNameFromAddress', () => {
  const cases = [
    { name: 'host:port', input: 'argocd-repo-server:8081', want: 'argocd-repo-server' },
    { name: 'a URL', input: 'https://argocd-dex-server:5556', want: 'argocd-dex-server' },
    {
      name: 'an http URL with a path',
      input: 'http://argocd-dex-server:5556/api/dex',
      want: 'argocd-dex-server',
    },
    { name: 'an IPv4 address', input: '127.0.0.1:8081', want: '127.0.0.1' },
    { name: 'a bracketed IPv6 address', input: '[::1]:8081', want: '::1' },
    { name: 'a bare host', input: 'argocd-repo-server', want: 'argocd-repo-server' },
  ];
  for (const c of cases)
    it(`takes the host of ${c.name}`, () => {
      assert.equal(serverNameFromAddress(c.input), c.want);
    });
});

describe('repoServerClientTlsOptions', () => {
  it('maps the resolved flags and the internal TLS directory', () => {
    const o = repoServerClientTlsOptions(
      {
        repoServer: 'argocd-repo-server.argocd.svc:8081',
        repoServerPlaintext: false,
        repoServerStrictTls: true,
        repoServerCaCertPath: undefined,
        repoServerClientCertPath: '/c.crt',
        repoServerClientCertKeyPath: '/c.key',
      },
      { strictTlsDir: '/app/config/controller/tls', internalTlsDir: 'none' },
    );
    assert.deepEqual(o, {
      link: 'repo-server',
      plaintext: false,
      strictTls: true,
      caCertPath: undefined,
      clientCertPath: '/c.crt',
      clientCertKeyPath: '/c.key',
      serverName: 'argocd-repo-server.argocd.svc',
      internalTlsDir: null,
      strictTlsDir: '/app/config/controller/tls',
    });
  });

  it('reads "none" and "" as no internal CA, anything else as a directory', () => {
    assert.equal(internalTlsDirFromOption('none'), null);
    assert.equal(internalTlsDirFromOption(''), null);
    assert.equal(internalTlsDirFromOption(undefined), INTERNAL);
    assert.equal(internalTlsDirFromOption('/x'), '/x');
  });
});
